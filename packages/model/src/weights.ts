/**
 * The tensors a Qwen3 checkpoint holds, with transformers' names and the
 * shapes config.json implies; and seeded random weights for tests and benchmarks.
 */
import { randn, tensor, type Tensor } from '@molrl/tensor';
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
 * Seeded random weights (normal, std = initializer_range; norms at 1), as
 * transformers initialises a fresh model. For tests and benchmarks.
 */
export function randomWeights(
  c: Qwen3Config,
  options: { seed?: number; dtype?: WeightDType } = {},
): Map<string, Tensor> {
  const seed = options.seed ?? 0;
  const dtype = options.dtype ?? 'float32';
  const out = new Map<string, Tensor>();
  let i = 0;
  for (const [name, shape] of expectedWeightShapes(c)) {
    i++;
    let t: Tensor;
    if (name.endsWith('norm.weight')) {
      t = tensor(new Float32Array(shape[0]).fill(1), shape, { dtype });
    } else {
      const f = randn(shape, { seed: seed * 100003 + i, std: c.initializer_range });
      t = dtype === 'float32' ? f : f.cast(dtype);
      if (t !== f) f.dispose();
    }
    out.set(name, t.keep());
  }
  return out;
}
