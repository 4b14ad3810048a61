import { beforeAll, describe, expect, it } from 'vitest';
import { getBackend, gradcheck, matmul, setBackend, tensor, tidy, type Tensor } from '@molrl/tensor';
import { molLoss } from './mol-loss.js';
import { fusedMolLoss } from './fused-mol-loss.js';
import type { MolMode, Normalization, TokenLabel } from './row-plan.js';
import { randomMatrix, referenceMolLoss } from './reference.test-util.js';

beforeAll(async () => {
  await setBackend('cpu');
});

const LABELS: TokenLabel[] = [
  'prompt',
  'prompt',
  'decision',
  'decision',
  'glue',
  'feedback',
  'feedback',
  'decision',
  'feedback',
  'glue',
  'decision',
];
const N = LABELS.length;
const V = 13;
const TARGETS = [-100, -100, 3, 7, -100, 12, 0, 5, 9, -100, 1];
const EMPTY_THINK = [false, false, true, true, false, false, false, false, false, false, false];
const SEQ = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1];

const z = randomMatrix(N, V, 1, 3);
const b = randomMatrix(N, V, 2, 3);

async function num(t: Tensor): Promise<number> {
  return t.item();
}

describe('molLoss values', () => {
  const cases: { mode: MolMode; eetb: boolean; normalization: Normalization; rowChunk: number; vocabChunk: number }[] =
    [];
  for (const mode of ['mol', 'ce', 'ce_nokl'] as MolMode[]) {
    for (const eetb of [false, true]) {
      for (const normalization of ['separate', 'token', 'sequence'] as Normalization[]) {
        cases.push({ mode, eetb, normalization, rowChunk: 4, vocabChunk: 5 });
      }
    }
  }
  cases.push({ mode: 'mol', eetb: false, normalization: 'separate', rowChunk: 1024, vocabChunk: 8192 });
  cases.push({ mode: 'mol', eetb: false, normalization: 'separate', rowChunk: 1, vocabChunk: 1 });

  it.each(cases)(
    '$mode eetb=$eetb $normalization (rows/$rowChunk, vocab/$vocabChunk) equals the direct formula',
    async (c) => {
      const ref = referenceMolLoss({
        logits: z,
        baseLogits: b,
        targets: TARGETS,
        labels: LABELS,
        mode: c.mode,
        excluded: c.eetb ? EMPTY_THINK : undefined,
        normalization: c.normalization,
        klWeight: 0.7,
        sequenceIds: SEQ,
      });
      const out = tidy(() =>
        molLoss({
          logits: tensor(z),
          baseLogits: tensor(b),
          targets: TARGETS,
          labels: LABELS,
          mode: c.mode,
          eetb: c.eetb,
          emptyThink: EMPTY_THINK,
          normalization: c.normalization,
          klWeight: 0.7,
          sequenceIds: SEQ,
          rowChunk: c.rowChunk,
          vocabChunk: c.vocabChunk,
        }),
      );
      expect(await num(out.loss)).toBeCloseTo(ref.loss, 5);
      expect(await num(out.ce)).toBeCloseTo(ref.ce, 5);
      expect(await num(out.kl)).toBeCloseTo(ref.kl, 5);
      expect(out.counts.decision).toBe(ref.decision);
      expect(out.counts.feedback).toBe(ref.feedback);
      expect(out.counts.excluded).toBe(c.eetb ? 2 : 0);
      if (c.mode !== 'mol') expect(await num(out.kl)).toBe(0);
    },
  );

  it('KL is zero when the trained and base logits agree, and CE ignores the base', async () => {
    const out = molLoss({ logits: tensor(z), baseLogits: tensor(z), targets: TARGETS, labels: LABELS });
    expect(Math.abs(await num(out.kl))).toBeLessThan(1e-5);
    const ceOnly = molLoss({ logits: tensor(z), targets: TARGETS, labels: LABELS, mode: 'ce_nokl' });
    expect(await num(ceOnly.ce)).toBeCloseTo(await num(out.ce), 6);
    // Another base moves the KL, never the CE.
    const otherBase = molLoss({ logits: tensor(z), baseLogits: tensor(b), targets: TARGETS, labels: LABELS });
    expect(await num(otherBase.kl)).toBeGreaterThan(1e-3);
    expect(await num(otherBase.ce)).toBeCloseTo(await num(ceOnly.ce), 6);
  });

  it('takes int32 target tensors', async () => {
    const safe = TARGETS.map((t) => Math.max(t, 0));
    const a = molLoss({
      logits: tensor(z),
      baseLogits: tensor(b),
      targets: tensor(Int32Array.from(safe)),
      labels: LABELS,
    });
    const ref = referenceMolLoss({ logits: z, baseLogits: b, targets: safe, labels: LABELS });
    expect(await num(a.loss)).toBeCloseTo(ref.loss, 5);
  });

  it('names what is wrong', () => {
    const bad = [...LABELS] as string[];
    bad[4] = 'tool';
    expect(() =>
      molLoss({ logits: tensor(z), baseLogits: tensor(b), targets: TARGETS, labels: bad as TokenLabel[] }),
    ).toThrow(/labels\[4\] is "tool"/);
    expect(() => molLoss({ logits: tensor(z), targets: TARGETS, labels: LABELS })).toThrow(/no baseLogits/);
    const t = [...TARGETS];
    t[5] = 99;
    expect(() => molLoss({ logits: tensor(z), baseLogits: tensor(b), targets: t, labels: LABELS })).toThrow(
      /targets\[5\] = 99/,
    );
    expect(() =>
      molLoss({ logits: tensor(z), baseLogits: tensor(b), targets: TARGETS, labels: LABELS, eetb: true }),
    ).toThrow(/emptyThink/);
    expect(() =>
      molLoss({
        logits: tensor(z),
        baseLogits: tensor(b),
        targets: TARGETS,
        labels: LABELS,
        normalization: 'sequence',
      }),
    ).toThrow(/sequenceIds/);
  });
});

describe('molLoss gradients', () => {
  const small = { labels: LABELS.slice(0, 9), targets: TARGETS.slice(0, 9) };
  const zs = z.slice(0, 9).map((r) => r.slice(0, 7).map((x) => x / 3));
  const bs = b.slice(0, 9).map((r) => r.slice(0, 7).map((x) => x / 3));
  const targets = small.targets.map((t) => (t < 0 ? t : t % 7));
  for (const output of ['loss', 'ce', 'kl'] as const) {
    for (const mode of ['mol', 'ce'] as MolMode[]) {
      it(`${output} (${mode}) matches finite differences`, async () => {
        const r = await gradcheck(
          (logits) =>
            molLoss({
              logits,
              baseLogits: tensor(bs),
              targets,
              labels: small.labels,
              mode,
              rowChunk: 4,
              vocabChunk: 3,
              normalization: 'token',
            })[output],
          [tensor(zs, undefined, { requiresGrad: true })],
          { name: `molLoss.${output}` },
        );
        expect(r.ok).toBe(true);
      });
    }
  }
});

describe('fusedMolLoss', () => {
  const H = 6;
  const hid = randomMatrix(N, H, 3);
  const hidBase = randomMatrix(N, H, 4);
  const W = randomMatrix(V, H, 5);
  const targets = TARGETS;

  for (const mode of ['mol', 'ce', 'ce_nokl'] as MolMode[]) {
    it(`${mode}: same loss, ce, kl and gradients as molLoss on the logits`, async () => {
      const h1 = tensor(hid, undefined, { requiresGrad: true });
      const w1 = tensor(W, undefined, { requiresGrad: true });
      const unfused = molLoss({
        logits: matmul(h1, w1, { transposeB: true }),
        baseLogits: matmul(tensor(hidBase), tensor(W), { transposeB: true }),
        targets,
        labels: LABELS,
        mode,
        eetb: EMPTY_THINK,
      });
      unfused.loss.backward();
      const h2 = tensor(hid, undefined, { requiresGrad: true });
      const w2 = tensor(W, undefined, { requiresGrad: true });
      const fused = fusedMolLoss({
        hidden: h2,
        baseHidden: tensor(hidBase),
        lmHeadWeight: w2,
        targets,
        labels: LABELS,
        mode,
        eetb: EMPTY_THINK,
        rowChunk: 2,
        vocabChunk: 4,
      });
      fused.loss.backward();
      expect(await num(fused.loss)).toBeCloseTo(await num(unfused.loss), 5);
      expect(await num(fused.ce)).toBeCloseTo(await num(unfused.ce), 5);
      expect(await num(fused.kl)).toBeCloseTo(await num(unfused.kl), 5);
      expect(fused.counts).toEqual(unfused.counts);
      const close = async (a: Tensor, b: Tensor) => {
        const [x, y] = [await a.data(), await b.data()];
        let worst = 0;
        for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
        expect(worst).toBeLessThan(1e-5);
      };
      await close(h2.grad!, h1.grad!);
      await close(w2.grad!, w1.grad!);
    });
  }

  it('takes [B, T, H] hidden states and int32 target tensors', async () => {
    const a = fusedMolLoss({
      hidden: tensor(hid.flat(), [1, N, H]),
      baseHidden: tensor(hidBase.flat(), [1, N, H]),
      lmHeadWeight: tensor(W),
      targets: tensor(Int32Array.from(targets.map((t) => Math.max(0, t)))),
      labels: LABELS,
    });
    const b2 = fusedMolLoss({
      hidden: tensor(hid),
      baseHidden: tensor(hidBase),
      lmHeadWeight: tensor(W),
      targets,
      labels: LABELS,
    });
    expect(await num(a.loss)).toBeCloseTo(await num(b2.loss), 6);
  });

  for (const output of ['loss', 'ce', 'kl'] as const) {
    it(`${output}: gradients to hidden states and LM head match finite differences`, async () => {
      const r = await gradcheck(
        (hidden, weight) =>
          // The base distribution is a constant: its LM head is a separate, frozen copy here.
          fusedMolLoss({
            hidden,
            lmHeadWeight: weight,
            baseHidden: tensor(hidBase),
            baseLmHeadWeight: tensor(W),
            targets,
            labels: LABELS,
            rowChunk: 3,
            vocabChunk: 5,
          })[output],
        [tensor(hid, undefined, { requiresGrad: true }), tensor(W, undefined, { requiresGrad: true })],
        { name: `fusedMolLoss.${output}` },
      );
      expect(r.ok).toBe(true);
    });
  }

  it('kl with the base sharing the LM head (the LoRA case): gradients to hidden states match finite differences', async () => {
    const weight = tensor(W);
    const r = await gradcheck(
      (hidden) =>
        fusedMolLoss({
          hidden,
          lmHeadWeight: weight,
          baseHidden: tensor(hidBase),
          targets,
          labels: LABELS,
          rowChunk: 3,
          vocabChunk: 5,
        }).kl,
      [tensor(hid, undefined, { requiresGrad: true })],
      { name: 'fusedMolLoss.kl shared head' },
    );
    expect(r.ok).toBe(true);
  });

  it('keeps memory at rows x chunk: no [N, V] buffer at a large vocabulary', () => {
    const rows = 16;
    const vocab = 20_000;
    const chunk = 512;
    const backend = getBackend();
    const weight = tensor(randomMatrix(vocab, 8, 6, 0.5));
    const hidden = tensor(randomMatrix(rows, 8, 7), undefined, { requiresGrad: true });
    const base = tensor(randomMatrix(rows, 8, 8));
    const labels: TokenLabel[] = Array.from({ length: rows }, (_, i) => (i % 2 ? 'decision' : 'feedback'));
    const t = Array.from({ length: rows }, (_, i) => (i * 977) % vocab);
    backend.resetPeak();
    const before = backend.memory().bytesInUse;
    const out = fusedMolLoss({ hidden, baseHidden: base, lmHeadWeight: weight, targets: t, labels, vocabChunk: chunk });
    out.loss.backward();
    const extra = backend.memory().peakBytes - before;
    // One [rows, V] float32 buffer would be 1.28 MB; the chunked loss needs a few [rows, chunk] and [chunk, H] ones.
    expect(extra).toBeLessThan((rows * vocab * 4) / 4);
  });
});
