import { beforeAll, describe, expect, it } from 'vitest';
import {
  cast,
  div,
  exp,
  getBackend,
  gradcheck,
  logSoftmax,
  matmul,
  memory,
  mul,
  neg,
  noGrad,
  setBackend,
  sum,
  tensor,
  type Tensor,
} from '@molrl/tensor';
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

const N = 7;
const H = 5;
const V = 23;
const hid = randomMatrix(N, H, 1, 1.5);
const W = randomMatrix(V, H, 2, 1.5);
const targets = [0, 22, 5, 11, 11, 17, 3];

/** The unfused path: the full [N, V] logits, scaled, log-softmaxed. */
function reference(hidden: Tensor, weight: Tensor, temperature: number): { logp: Float32Array; entropy: Float32Array } {
  return noGrad(() => {
    const lp = logSoftmax(div(matmul(hidden, weight, { transposeB: true }), temperature), 1);
    const entropy = neg(sum(mul(exp(lp), lp), [1]));
    const all = lp.dataSync();
    return { logp: Float32Array.from(targets, (t, i) => all[i * V + t]!), entropy: entropy.dataSync() as Float32Array };
  });
}

describe('tokenLogProbs', () => {
  for (const [vocabChunk, rowChunk] of [
    [4, 3],
    [23, 100],
    [8192, 1024],
    [1, 2],
  ] as const) {
    it(`equals the unfused log-softmax and entropy (vocabChunk ${vocabChunk}, rowChunk ${rowChunk})`, async () => {
      const hidden = tensor(hid);
      const weight = tensor(W);
      for (const temperature of [1, 0.7]) {
        const want = reference(hidden, weight, temperature);
        const got = tokenLogProbs(hidden, weight, targets, { temperature, vocabChunk, rowChunk, entropy: true });
        expect(got.logps.shape).toEqual([N]);
        const lp = await got.logps.data();
        const ent = await got.entropy!.data();
        want.logp.forEach((v, i) => expect(lp[i]).toBeCloseTo(v, 5));
        want.entropy.forEach((v, i) => expect(ent[i]).toBeCloseTo(v, 5));
      }
    });
  }

  it('takes int32 target tensors and [B, T, H] hidden states', async () => {
    const hidden = tensor(hid.slice(0, 6)).reshape([2, 3, H]);
    const got = tokenLogProbs(hidden, tensor(W), tensor(targets.slice(0, 6), [2, 3], { dtype: 'int32' }), {
      vocabChunk: 6,
    });
    const want = reference(tensor(hid), tensor(W), 1).logp;
    const lp = await got.logps.data();
    for (let i = 0; i < 6; i++) expect(lp[i]).toBeCloseTo(want[i]!, 5);
  });

  it('reads a bfloat16 LM head chunk by chunk, as the widened head', async () => {
    const w16 = cast(tensor(W), 'bfloat16');
    const widened = cast(w16, 'float32');
    const want = reference(tensor(hid), widened, 0.9).logp;
    const lp = await tokenLogProbs(tensor(hid), w16, targets, { temperature: 0.9, vocabChunk: 5 }).logps.data();
    want.forEach((v, i) => expect(lp[i]).toBeCloseTo(v, 5));
  });

  it('gradients to the hidden states and the LM head match finite differences', async () => {
    const r = await gradcheck(
      (hidden, weight) =>
        tokenLogProbs(hidden, weight, targets, { temperature: 0.7, vocabChunk: 4, rowChunk: 3 }).logps,
      [tensor(hid, undefined, { requiresGrad: true }), tensor(W, undefined, { requiresGrad: true })],
      { name: 'tokenLogProbs' },
    );
    expect(r.ok).toBe(true);
    expect(r.checked).toBeGreaterThan(0);
  });

  it('gradients equal those of the unfused path (hidden only: a frozen head gets none)', async () => {
    const upstream = tensor(randomMatrix(1, N, 9)[0]!);
    const fusedH = tensor(hid, undefined, { requiresGrad: true });
    const frozen = tensor(W);
    sum(
      mul(tokenLogProbs(fusedH, frozen, targets, { temperature: 0.7, vocabChunk: 6, entropy: true }).logps, upstream),
    ).backward();
    const plainH = tensor(hid, undefined, { requiresGrad: true });
    const lp = logSoftmax(div(matmul(plainH, frozen, { transposeB: true }), 0.7), 1);
    const onehot = tensor(
      targets.map((t, i) => Array.from({ length: V }, (_, v) => (v === t ? upstream.dataSync()[i]! : 0))),
    );
    sum(mul(lp, onehot)).backward();
    const a = await fusedH.grad!.data();
    const b = await plainH.grad!.data();
    b.forEach((v, i) => expect(a[i]).toBeCloseTo(v, 5));
    expect(frozen.grad).toBeNull();
  });

  it('keeps peak memory flat as the vocabulary grows at a fixed chunk (no [N, V] buffer)', () => {
    const rows = 32;
    const h = 8;
    const chunk = 512;
    const backend = getBackend();
    const extraAt = (vocab: number) => {
      const weight = tensor(randomMatrix(vocab, h, 3, 0.5));
      const hidden = tensor(randomMatrix(rows, h, 4), undefined, { requiresGrad: true });
      const t = Array.from({ length: rows }, (_, i) => (i * 977) % vocab);
      backend.resetPeak();
      const before = backend.memory().bytesInUse;
      const { logps, entropy } = tokenLogProbs(hidden, weight, t, { vocabChunk: chunk, entropy: true });
      sum(logps).backward();
      const extra = backend.memory().peakBytes - before;
      for (const x of [weight, hidden, logps, entropy!]) x.dispose();
      return extra;
    };
    const small = extraAt(4 * chunk);
    const large = extraAt(64 * chunk);
    // [rows, V] float32 logits at the large vocabulary would be 4 MiB.
    expect(large).toBeLessThan((rows * 64 * chunk * 4) / 16);
    expect(large).toBeLessThanOrEqual(small * 1.1);
  });

  it('leaves no storage behind', () => {
    const before = memory().storages;
    const hidden = tensor(hid, undefined, { requiresGrad: true });
    const weight = tensor(W, undefined, { requiresGrad: true });
    const { logps, entropy } = tokenLogProbs(hidden, weight, targets, { vocabChunk: 4, rowChunk: 2, entropy: true });
    const total = sum(logps);
    total.backward();
    for (const x of [hidden.grad!, weight.grad!, total, logps, entropy!, hidden, weight]) x.dispose();
    expect(memory().storages).toBe(before);
  });

  it('names bad input', () => {
    const hidden = tensor(hid);
    const weight = tensor(W);
    expect(() => tokenLogProbs(hidden, weight, [0, 1], {})).toThrow(
      'tokenLogProbs: 2 targets for 7 rows of hidden states',
    );
    expect(() => tokenLogProbs(hidden, weight, [0, 1, 2, 3, 4, 5, 23])).toThrow(
      'tokenLogProbs: targets[6] = 23 is not a token id in [0, 23)',
    );
    expect(() => tokenLogProbs(hidden, tensor(randomMatrix(V, 4, 5)), targets)).toThrow('does not match hidden size 5');
    expect(() => tokenLogProbs(hidden, weight, targets, { vocabChunk: 0 })).toThrow(
      'vocabChunk must be a positive integer',
    );
    expect(() => tokenLogProbs(hidden, weight, targets, { temperature: 0 })).toThrow(
      'temperature must be a positive number',
    );
  });
});
