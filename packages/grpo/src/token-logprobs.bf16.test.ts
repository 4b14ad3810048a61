import { beforeAll, describe, expect, it } from 'vitest';
import { cast, getBackend, setBackend, sum, tensor, type Tensor } from '@molrl/tensor';
import { tokenLogProbs } from './token-logprobs.js';

beforeAll(async () => {
  await setBackend('cpu');
});

/** Deterministic values in [-scale, scale). */
function randomMatrix(rows: number, cols: number, seed: number, scale = 1): number[][] {
  let x = (seed * 2654435761) >>> 0;
  const next = () => {
    x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    return ((x >>> 8) / 2 ** 24) * 2 - 1;
  };
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => next() * scale));
}

function worstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

const N = 9;
const H = 5;
const V = 29;
const hid = randomMatrix(N, H, 21, 1.5);
const W = randomMatrix(V, H, 22, 1.5);
const targets = [0, 28, 5, 11, 11, 17, 3, 27, 14];

// A bfloat16 LM head that does not require grad (a checkpoint loaded with bf16 storage).
describe('tokenLogProbs with a bfloat16 LM head', () => {
  let w16: Tensor;
  let rounded: Tensor;
  beforeAll(() => {
    w16 = cast(tensor(W), 'bfloat16');
    rounded = cast(w16, 'float32');
  });

  function run(
    head: Tensor,
    t: Tensor | number[],
  ): { logps: Float32Array; entropy: Float32Array; dHidden: Float32Array } {
    const hidden = tensor(hid, undefined, { requiresGrad: true });
    const out = tokenLogProbs(hidden, head, t, { temperature: 0.8, vocabChunk: 7, rowChunk: 4, entropy: true });
    sum(out.logps).backward();
    return { logps: out.logps.dataSync(), entropy: out.entropy!.dataSync(), dHidden: hidden.grad!.dataSync() };
  }

  it('same log-probs, entropies and hidden gradients as the float32 head of the same rounded weights', () => {
    expect(worstDiff(rounded.dataSync(), tensor(W).dataSync())).toBeGreaterThan(1e-4);
    const want = run(rounded, targets);
    const got = run(w16, targets);
    expect(worstDiff(got.logps, want.logps)).toBe(0);
    expect(worstDiff(got.entropy, want.entropy)).toBe(0);
    expect(worstDiff(got.dHidden, want.dHidden)).toBe(0);
    expect(w16.grad).toBeNull();
  });

  it('takes int32 target tensors', () => {
    const want = run(rounded, targets);
    const got = run(w16, tensor(Int32Array.from(targets)));
    expect(worstDiff(got.logps, want.logps)).toBe(0);
  });

  it('names device targets that are not int32', () => {
    expect(() => tokenLogProbs(tensor(hid), w16, tensor(targets))).toThrow(
      'tokenLogProbs: targets must be an int32 tensor, got float32',
    );
  });

  it('never widens the whole head: peak memory far below a float32 copy of it', () => {
    const rows = 16;
    const vocab = 32_768;
    const h = 16;
    const backend = getBackend();
    const head = cast(tensor(randomMatrix(vocab, h, 23, 0.5)), 'bfloat16');
    const hidden = tensor(randomMatrix(rows, h, 24), undefined, { requiresGrad: true });
    const t = Array.from({ length: rows }, (_, i) => (i * 977) % vocab);
    backend.resetPeak();
    const before = backend.memory().bytesInUse;
    const { logps, entropy } = tokenLogProbs(hidden, head, t, { vocabChunk: 512, entropy: true });
    sum(logps).backward();
    const extra = backend.memory().peakBytes - before;
    // The head widened to float32 would be 2 MiB.
    expect(extra).toBeLessThan((vocab * h * 4) / 4);
    expect(entropy!.dataSync().every((e) => Number.isFinite(e) && e > 0)).toBe(true);
  });
});
