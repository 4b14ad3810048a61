import { beforeAll, describe, expect, it } from 'vitest';
import { getBackend, gradcheck, setBackend, tensor, type Tensor } from '@molrl/tensor';
import { baseDistribution } from './base-distribution.js';
import { fusedMolLoss } from './fused-mol-loss.js';
import type { MolMode, Normalization, TokenLabel } from './row-plan.js';
import { randomMatrix } from './reference.test-util.js';

beforeAll(async () => {
  await setBackend('cpu');
});

const LABELS: TokenLabel[] = [
  'prompt',
  'decision',
  'decision',
  'glue',
  'feedback',
  'feedback',
  'decision',
  'feedback',
  'decision',
];
const N = LABELS.length;
const V = 11;
const H = 5;
const TARGETS = [-100, 3, 7, -100, 10, 0, 5, 9, 1];
const EMPTY_THINK = [false, true, false, false, false, false, false, false, false];
const SEQ = [0, 0, 0, 0, 1, 1, 1, 1, 1];
const hid = randomMatrix(N, H, 11);
const hidBase = randomMatrix(N, H, 12);
const W = randomMatrix(V, H, 13);
const WBase = randomMatrix(V, H, 14);

/** float64 on the host: p_base = softmax(h_b W_b^T), mean = sum_v p_base(v) W_v, entropy = -sum p log p. */
function reference(row: number[], head: number[][], baseHead: number[][]): { mean: number[]; entropy: number } {
  const logits = baseHead.map((w) => w.reduce((s, x, j) => s + x * row[j]!, 0));
  const m = Math.max(...logits);
  const lse = m + Math.log(logits.reduce((s, x) => s + Math.exp(x - m), 0));
  const p = logits.map((x) => Math.exp(x - lse));
  const mean = Array.from({ length: H }, (_, j) => p.reduce((s, pv, v) => s + pv * head[v]![j]!, 0));
  const entropy = -p.reduce((s, pv, v) => s + pv * (logits[v]! - lse), 0);
  return { mean, entropy };
}

async function worstDiff(a: Tensor, b: Tensor | number[]): Promise<number> {
  const x = await a.data();
  const y = Array.isArray(b) ? b : await b.data();
  expect(x.length).toBe(y.length);
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
  return worst;
}

describe('baseDistribution', () => {
  for (const ownHead of [false, true]) {
    it(`matches the direct formula (${ownHead ? "the base's own LM head" : 'shared LM head'}), over row and vocabulary chunks`, async () => {
      const rows = [8, 1, 2, 6];
      const d = baseDistribution({
        baseHidden: tensor(hidBase),
        lmHeadWeight: tensor(W),
        baseLmHeadWeight: ownHead ? tensor(WBase) : null,
        rows,
        rowChunk: 3,
        vocabChunk: 4,
      });
      expect(d.meanHead.shape).toEqual([rows.length, H]);
      expect(d.entropy.shape).toEqual([rows.length]);
      const ref = rows.map((r) => reference(hidBase[r]!, W, ownHead ? WBase : W));
      expect(
        await worstDiff(
          d.meanHead,
          ref.flatMap((x) => x.mean),
        ),
      ).toBeLessThan(1e-5);
      expect(
        await worstDiff(
          d.entropy,
          ref.map((x) => x.entropy),
        ),
      ).toBeLessThan(1e-5);
    });
  }

  it('takes every row of [B, T, H] states by default', async () => {
    const d = baseDistribution({
      baseHidden: tensor(hidBase.flat(), [1, N, H]),
      lmHeadWeight: tensor(W),
      vocabChunk: 3,
    });
    expect(d.meanHead.shape).toEqual([N, H]);
    const ref = hidBase.map((r) => reference(r, W, W));
    expect(
      await worstDiff(
        d.entropy,
        ref.map((x) => x.entropy),
      ),
    ).toBeLessThan(1e-5);
  });

  it('carries no gradient', () => {
    const d = baseDistribution({
      baseHidden: tensor(hidBase, undefined, { requiresGrad: true }),
      lmHeadWeight: tensor(W, undefined, { requiresGrad: true }),
    });
    expect(d.meanHead.requiresGrad).toBe(false);
    expect(d.entropy.requiresGrad).toBe(false);
  });

  it('names what is wrong', () => {
    expect(() => baseDistribution({ baseHidden: tensor(hidBase), lmHeadWeight: tensor(W), rows: [0, N] })).toThrow(
      /rows\[1\] = 9 is outside the 9 rows/,
    );
    expect(() =>
      baseDistribution({ baseHidden: tensor(hidBase), lmHeadWeight: tensor(randomMatrix(V, H + 1, 1)) }),
    ).toThrow(/does not match hidden size/);
    expect(() =>
      baseDistribution({
        baseHidden: tensor(hidBase),
        lmHeadWeight: tensor(W),
        baseLmHeadWeight: tensor(randomMatrix(V + 1, H, 1)),
      }),
    ).toThrow(/baseLmHeadWeight/);
  });
});

describe('fusedMolLoss with a baseDistribution', () => {
  const cases: { mode: MolMode; normalization: Normalization; eetb: boolean }[] = [
    { mode: 'mol', normalization: 'separate', eetb: false },
    { mode: 'mol', normalization: 'token', eetb: true },
    { mode: 'mol', normalization: 'sequence', eetb: false },
    { mode: 'ce', normalization: 'separate', eetb: false },
  ];
  for (const ownHead of [false, true]) {
    for (const { mode, normalization, eetb } of cases) {
      it(`${mode}/${normalization}${eetb ? '/eetb' : ''}${ownHead ? ', own base head' : ''}: the same loss, parts and hidden gradients as from baseHidden`, async () => {
        const common = {
          lmHeadWeight: tensor(W),
          targets: TARGETS,
          labels: LABELS,
          mode,
          normalization,
          sequenceIds: SEQ,
          eetb: eetb ? EMPTY_THINK : undefined,
          rowChunk: 4,
          vocabChunk: 4,
        };
        const baseLmHeadWeight = ownHead ? tensor(WBase) : null;
        const h1 = tensor(hid, undefined, { requiresGrad: true });
        const direct = fusedMolLoss({ ...common, hidden: h1, baseHidden: tensor(hidBase), baseLmHeadWeight });
        direct.loss.backward();
        const h2 = tensor(hid, undefined, { requiresGrad: true });
        const dist = baseDistribution({
          baseHidden: tensor(hidBase),
          lmHeadWeight: tensor(W),
          baseLmHeadWeight,
          vocabChunk: 4,
        });
        const cached = fusedMolLoss({ ...common, hidden: h2, baseDistribution: dist });
        cached.loss.backward();
        for (const k of ['loss', 'ce', 'kl'] as const)
          expect(await cached[k].item()).toBeCloseTo(await direct[k].item(), 5);
        expect(cached.counts).toEqual(direct.counts);
        expect(await worstDiff(h2.grad!, h1.grad!)).toBeLessThan(1e-5);
      });
    }
  }

  for (const output of ['loss', 'kl'] as const) {
    it(`${output}: gradients to hidden states match finite differences`, async () => {
      const dist = baseDistribution({ baseHidden: tensor(hidBase), lmHeadWeight: tensor(W) });
      const weight = tensor(W);
      const r = await gradcheck(
        (hidden) =>
          fusedMolLoss({
            hidden,
            lmHeadWeight: weight,
            baseDistribution: dist,
            targets: TARGETS,
            labels: LABELS,
            rowChunk: 3,
            vocabChunk: 5,
          })[output],
        [tensor(hid, undefined, { requiresGrad: true })],
        { name: `fusedMolLoss(baseDistribution).${output}` },
      );
      expect(r.ok).toBe(true);
    });
  }

  it('names what is wrong', () => {
    const dist = baseDistribution({ baseHidden: tensor(hidBase), lmHeadWeight: tensor(W) });
    const common = { hidden: tensor(hid), targets: TARGETS, labels: LABELS };
    expect(() =>
      fusedMolLoss({ ...common, lmHeadWeight: tensor(W), baseDistribution: dist, baseHidden: tensor(hidBase) }),
    ).toThrow(/not both/);
    expect(() =>
      fusedMolLoss({ ...common, lmHeadWeight: tensor(W, undefined, { requiresGrad: true }), baseDistribution: dist }),
    ).toThrow(/frozen lmHeadWeight/);
    const short = baseDistribution({ baseHidden: tensor(hidBase), lmHeadWeight: tensor(W), rows: [1, 2] });
    expect(() => fusedMolLoss({ ...common, lmHeadWeight: tensor(W), baseDistribution: short })).toThrow(
      /meanHead has shape \[2, 5\], expected \[9, 5\]/,
    );
    expect(() => fusedMolLoss({ ...common, lmHeadWeight: tensor(W) })).toThrow(
      /neither baseHidden nor baseDistribution/,
    );
  });

  it("frees each row chunk's gathered rows after its chunk", () => {
    // Selected rows are gathered a chunk at a time; the result ([n, H] means, joined once) is
    // the only thing that grows with n. Holding every chunk's gather to the end adds another [n, H].
    const n = 64;
    const h = 512;
    const backend = getBackend();
    const weight = tensor(randomMatrix(32, h, 9, 0.1));
    const base = tensor(randomMatrix(2 * n, h, 10));
    const rows = Array.from({ length: n }, (_, i) => 2 * i + 1);
    const resultBytes = n * h * 4;
    backend.resetPeak();
    const before = backend.memory().bytesInUse;
    const dist = baseDistribution({ baseHidden: base, lmHeadWeight: weight, rows, rowChunk: 4 });
    // The chunks' means plus their join: 2 [n, H]; a chunk's own temporaries are a few [4, H].
    expect(backend.memory().peakBytes - before).toBeLessThan(2.25 * resultBytes);
    expect(dist.meanHead.shape).toEqual([n, h]);
  });

  it('keeps memory at rows x chunk: no [N, V] buffer at a large vocabulary', () => {
    const rows = 16;
    const vocab = 20_000;
    const backend = getBackend();
    const weight = tensor(randomMatrix(vocab, 8, 6, 0.5));
    const base = tensor(randomMatrix(rows, 8, 8));
    const labels: TokenLabel[] = Array.from({ length: rows }, (_, i) => (i % 2 ? 'decision' : 'feedback'));
    const t = Array.from({ length: rows }, (_, i) => (i * 977) % vocab);
    backend.resetPeak();
    const before = backend.memory().bytesInUse;
    const dist = baseDistribution({ baseHidden: base, lmHeadWeight: weight, vocabChunk: 512 });
    const hidden = tensor(randomMatrix(rows, 8, 7), undefined, { requiresGrad: true });
    const out = fusedMolLoss({
      hidden,
      baseDistribution: dist,
      lmHeadWeight: weight,
      targets: t,
      labels,
      vocabChunk: 512,
    });
    out.loss.backward();
    expect(backend.memory().peakBytes - before).toBeLessThan((rows * vocab * 4) / 4);
  });
});
