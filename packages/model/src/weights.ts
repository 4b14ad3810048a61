/**
 * The tensors a Qwen3 checkpoint holds, with transformers' names and the
 * shapes config.json implies; and seeded random weights for tests and benchmarks.
 */
import { concat, randn, tensor, type Tensor } from '@molrl/tensor';
import type { Qwen3Config } from './config.js';
import { Qwen3Module, type WeightDType } from './qwen3.js';

/** name -> shape, in checkpoint order (embeddings, layers, final norm, untied lm_head): the model's own table. */
export function expectedWeightShapes(c: Qwen3Config): Map<string, number[]> {
  return Qwen3Module.parameterShapes(c);
}

/** Bytes of the weights in a storage dtype. */
export function weightBytes(c: Qwen3Config, dtype: WeightDType = 'float32'): number {
  let n = 0;
  for (const s of expectedWeightShapes(c).values()) n += s.reduce((a, b) => a * b, 1);
  return n * (dtype === 'float32' ? 4 : 2);
}

/**
 * Elements of one float32 draw when a 16-bit weight is made in pieces of rows:
 * 512 MiB, under the 1 and 2 GiB storage-binding limits adapters commonly have.
 * Qwen3-0.6B's and Qwen3-8B's embeddings (151,936 x 1,024 and x 4,096) drawn
 * whole would be 0.6 and 2.5 GB float32 buffers.
 */
export const RANDOM_WEIGHT_PIECE_ELEMENTS = 2 ** 27;

/**
 * Seeded random weights (normal, std = initializer_range; norms at 1), as
 * transformers initialises a fresh model. For tests and benchmarks. A 16-bit
 * weight of more than `pieceElements` elements is drawn in pieces of rows, each
 * from its place in the same stream (randn's `offset`) and cast as it comes: the
 * values drawn whole, without the whole float32 draw on the device.
 */
export function randomWeights(
  c: Qwen3Config,
  options: { seed?: number; dtype?: WeightDType; pieceElements?: number } = {},
): Map<string, Tensor> {
  const seed = options.seed ?? 0;
  const dtype = options.dtype ?? 'float32';
  const pieceElements = options.pieceElements ?? RANDOM_WEIGHT_PIECE_ELEMENTS;
  if (!(Number.isInteger(pieceElements) && pieceElements > 0))
    throw new Error(`randomWeights: pieceElements must be a positive integer, got ${pieceElements}`);
  const out = new Map<string, Tensor>();
  let i = 0;
  for (const [name, shape] of expectedWeightShapes(c)) {
    i++;
    let t: Tensor;
    if (name.endsWith('norm.weight')) {
      t = tensor(new Float32Array(shape[0]).fill(1), shape, { dtype });
    } else {
      t = randomWeight(shape, { seed: seed * 100003 + i, std: c.initializer_range, dtype, pieceElements });
    }
    out.set(name, t.keep());
  }
  return out;
}

function randomWeight(
  shape: number[],
  o: { seed: number; std: number; dtype: WeightDType; pieceElements: number },
): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const rows = shape[0]!;
  const cols = size / rows;
  if (o.dtype === 'float32' || size <= o.pieceElements) {
    const f = randn(shape, { seed: o.seed, std: o.std });
    if (o.dtype === 'float32') return f;
    const t = f.cast(o.dtype);
    f.dispose();
    return t;
  }
  // Whole multiples of 4 rows, so each piece starts on a Philox block (randn's offset rule).
  const pieceRows = Math.max(4, Math.floor(o.pieceElements / cols / 4) * 4);
  const pieces: Tensor[] = [];
  for (let r = 0; r < rows; r += pieceRows) {
    const f = randn([Math.min(pieceRows, rows - r), ...shape.slice(1)], { seed: o.seed, std: o.std, offset: r * cols });
    pieces.push(f.cast(o.dtype));
    f.dispose();
  }
  const whole = concat(pieces, 0);
  for (const p of pieces) p.dispose();
  return whole;
}
