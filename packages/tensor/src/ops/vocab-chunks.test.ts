import { beforeAll, describe, expect, it } from 'vitest';
import {
  cast,
  checkChunkSize,
  chunkRanges,
  foldSoftmaxChunk,
  getBackend,
  headRowsFloat32,
  logAddExp,
  logSumExp,
  matmul,
  memory,
  onlineSoftmax,
  setBackend,
  softmax,
  tensor,
  tidy,
  type Tensor,
} from '../index.js';

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

describe('chunkRanges and checkChunkSize', () => {
  it('splits [0, n) into pieces of at most chunk, the last one shorter', () => {
    expect(chunkRanges(10, 4)).toEqual([
      [0, 4],
      [4, 4],
      [8, 2],
    ]);
    expect(chunkRanges(8, 4)).toEqual([
      [0, 4],
      [4, 4],
    ]);
    expect(chunkRanges(3, 8)).toEqual([[0, 3]]);
    expect(chunkRanges(0, 8)).toEqual([]);
  });
  it('names bad sizes', () => {
    expect(() => chunkRanges(4, 0)).toThrow('chunkRanges: chunk must be a positive integer, got 0');
    expect(() => chunkRanges(-1, 2)).toThrow('chunkRanges: n must be a non-negative integer, got -1');
    expect(checkChunkSize('lossFn', 'vocabChunk', undefined, 8192)).toBe(8192);
    expect(checkChunkSize('lossFn', 'vocabChunk', 7, 8192)).toBe(7);
    expect(() => checkChunkSize('lossFn', 'vocabChunk', 0, 8192)).toThrow(
      'lossFn: vocabChunk must be a positive integer, got 0',
    );
    expect(() => checkChunkSize('lossFn', 'rowChunk', 2.5, 1024)).toThrow(
      'lossFn: rowChunk must be a positive integer, got 2.5',
    );
  });
});

describe('logAddExp', () => {
  it('is log(exp(a) + exp(b)), finite where exp overflows', async () => {
    const a = tensor([0, 1.5, -3, 1000, -1000]);
    const b = tensor([0, -2, -3, 999, -1000]);
    const got = await logAddExp(a, b).data();
    const want = [
      Math.log(2),
      Math.log(Math.exp(1.5) + Math.exp(-2)),
      -3 + Math.log(2),
      1000 + Math.log1p(Math.exp(-1)),
      -1000 + Math.log(2),
    ];
    want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, 4));
  });
});

describe('onlineSoftmax', () => {
  const M = 5;
  const H = 4;
  const V = 11;
  const x = randomMatrix(M, H, 1, 2);
  const W = randomMatrix(V, H, 2, 2);

  /** The direct path: the whole [M, V] logits. */
  function direct(weight: Tensor): { lse: Float32Array; acc: Float32Array } {
    return tidy(() => {
      const z = matmul(tensor(x), weight, { transposeB: true });
      return {
        lse: logSumExp(z, 1, { keepDims: true }).dataSync() as Float32Array,
        acc: matmul(softmax(z, 1), weight).dataSync() as Float32Array,
      };
    });
  }

  for (const chunk of [1, 3, 4, V, 64]) {
    it(`equals logsumexp(x W^T) and softmax(x W^T) W (vocabulary chunk ${chunk})`, () => {
      const want = direct(tensor(W));
      const st = tidy(() => onlineSoftmax(tensor(x), tensor(W), chunkRanges(V, chunk)));
      expect(st.lse.shape).toEqual([M, 1]);
      expect(st.acc!.shape).toEqual([M, H]);
      expect(worstDiff(st.lse.dataSync(), want.lse)).toBeLessThan(1e-5);
      expect(worstDiff(st.acc!.dataSync(), want.acc)).toBeLessThan(1e-5);
    });
  }

  /** Entropy of softmax(x W^T) per row, in float64 from the same (float32) values. */
  function entropyReference(rows: number[][], weight: number[][]): number[] {
    return rows.map((r) => {
      const z = weight.map((w) => w.reduce((a, v, h) => a + v * r[h]!, 0));
      const m = Math.max(...z);
      const lse = m + Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0));
      return z.reduce((a, v) => a + Math.exp(v - lse) * (lse - v), 0);
    });
  }

  for (const chunk of [1, 3, 4, V]) {
    it(`keeps the entropy of softmax(x W^T) when asked (vocabulary chunk ${chunk})`, () => {
      const st = tidy(() => onlineSoftmax(tensor(x), tensor(W), chunkRanges(V, chunk), { withEntropy: true }));
      expect(st.entropy!.shape).toEqual([M, 1]);
      expect(worstDiff(st.entropy!.dataSync(), entropyReference(x, W))).toBeLessThan(1e-5);
    });
  }

  it('keeps the entropy, however small, as precise as float32 holds the largest logit', () => {
    // Rows along one head row, scaled: the softmax concentrates on it, entropies from ~0.8 down to ~1e-12.
    const head = randomMatrix(64, 8, 7);
    const rows = [5, 10, 20, 50, 100, 200, 400].map((c) => head[3]!.map((v) => Math.fround(v * c)));
    const want = entropyReference(rows, head);
    const got = onlineSoftmax(tensor(rows), tensor(head), chunkRanges(64, 16), {
      withEntropy: true,
    }).entropy!.dataSync();
    want.forEach((w, i) => {
      // One float32 unit in the last place of the largest logit (L - E_p[z] misses this by up to 100x).
      const maxLogit = Math.max(...head.map((h) => Math.abs(h.reduce((a, v, k) => a + v * rows[i]![k]!, 0))));
      expect(Math.abs(got[i]! - w), `row ${i}: entropy ${got[i]} vs ${w}`).toBeLessThan(2 ** -23 * maxLogit);
    });
    expect(Math.min(...want)).toBeLessThan(1e-10);
  });

  it('keeps only the log-sum-exp when withAcc is false', () => {
    const want = direct(tensor(W));
    const st = onlineSoftmax(tensor(x), tensor(W), chunkRanges(V, 3), { withAcc: false });
    expect(st.acc).toBeNull();
    expect(worstDiff(st.lse.dataSync(), want.lse)).toBeLessThan(1e-5);
  });

  it('reads a bfloat16 head slice by slice: same values as the float32 head of the same rounded weights', () => {
    const w16 = cast(tensor(W), 'bfloat16');
    const rounded = cast(w16, 'float32');
    // The rounding is real: the bf16 weights differ from the originals.
    expect(worstDiff(rounded.dataSync(), tensor(W).dataSync())).toBeGreaterThan(1e-4);
    const want = onlineSoftmax(tensor(x), rounded, chunkRanges(V, 4));
    const got = onlineSoftmax(tensor(x), w16, chunkRanges(V, 4));
    expect(worstDiff(got.lse.dataSync(), want.lse.dataSync())).toBe(0);
    expect(worstDiff(got.acc!.dataSync(), want.acc!.dataSync())).toBe(0);
    const direct16 = direct(rounded);
    expect(worstDiff(got.lse.dataSync(), direct16.lse)).toBeLessThan(1e-5);
  });

  it('widens only one [chunk, H] slice of a bfloat16 head at a time', () => {
    const rows = 8;
    const vocab = 8192;
    const chunk = 256;
    const h = 16;
    const backend = getBackend();
    const w16 = cast(tensor(randomMatrix(vocab, h, 3, 0.5)), 'bfloat16');
    const xs = tensor(randomMatrix(rows, h, 4));
    backend.resetPeak();
    const before = backend.memory().bytesInUse;
    const st = onlineSoftmax(xs, w16, chunkRanges(vocab, chunk));
    const extra = backend.memory().peakBytes - before;
    // The head widened whole would be vocab x h x 4 bytes = 512 KiB; a few [chunk, h] and [rows, chunk] buffers are far less.
    expect(extra).toBeLessThan((vocab * h * 4) / 8);
    for (const t of [st.lse, st.acc!, w16, xs]) t.dispose();
  });

  it('leaves only the returned state behind', () => {
    const xs = tensor(x);
    const w = tensor(W);
    const before = memory().storages;
    const st = onlineSoftmax(xs, w, chunkRanges(V, 2));
    expect(memory().storages).toBe(before + 2);
    for (const t of [st.lse, st.acc!, xs, w]) t.dispose();
  });

  it('names bad input', () => {
    expect(() => onlineSoftmax(tensor(x), tensor(W), [])).toThrow('onlineSoftmax: vocabParts is empty');
  });
});

describe('foldSoftmaxChunk', () => {
  it('gives the first chunk as the state, then scales that weigh old and new parts (they sum to one)', () => {
    const l1 = tensor([[0.5], [-2]]);
    const l2 = tensor([[1.25], [3]]);
    const first = foldSoftmaxChunk(null, l1, null);
    expect(first.state.lse).toBe(l1);
    expect(first.oldScale).toBeNull();
    const second = foldSoftmaxChunk(first.state, l2, null);
    const lse = second.state.lse.dataSync();
    expect(lse[0]).toBeCloseTo(Math.log(Math.exp(0.5) + Math.exp(1.25)), 5);
    expect(lse[1]).toBeCloseTo(Math.log(Math.exp(-2) + Math.exp(3)), 5);
    const a = second.oldScale!.dataSync();
    const b = second.chunkScale!.dataSync();
    expect(a[0]! + b[0]!).toBeCloseTo(1, 6);
    expect(a[1]).toBeCloseTo(Math.exp(-2 - lse[1]!), 6);
    expect(second.state.acc).toBeNull();
  });

  it('names an accumulator given for only one side', () => {
    const st = foldSoftmaxChunk(null, tensor([[0]]), tensor([[1, 2]])).state;
    expect(() => foldSoftmaxChunk(st, tensor([[0]]), null)).toThrow(
      'foldSoftmaxChunk: accChunk must be given exactly when',
    );
  });
});

describe('headRowsFloat32', () => {
  it('slices rows of the head and widens a half-precision head', () => {
    const w16 = tensor([1, 2, 3, 4, 5.5, 6], [3, 2], { dtype: 'bfloat16' });
    const rows = headRowsFloat32(w16, 1, 2);
    expect(rows.dtype).toBe('float32');
    expect(Array.from(rows.dataSync())).toEqual([3, 4, 5.5, 6]);
    const w32 = tensor([
      [1, 2],
      [3, 4],
    ]);
    const first = headRowsFloat32(w32, 0, 1);
    expect(first.dtype).toBe('float32');
    expect(first.shape).toEqual([1, 2]);
    expect(Array.from(first.dataSync())).toEqual([1, 2]);
  });
});
