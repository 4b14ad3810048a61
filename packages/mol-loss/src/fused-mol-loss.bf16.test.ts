import { beforeAll, describe, expect, it } from 'vitest';
import { cast, getBackend, matmul, setBackend, tensor, type Tensor } from '@molrl/tensor';
import { fusedMolLoss } from './fused-mol-loss.js';
import { molLoss } from './mol-loss.js';
import type { MolMode, TokenLabel } from './row-plan.js';
import { randomMatrix } from './reference.test-util.js';

beforeAll(async () => {
  await setBackend('cpu');
});

// A bfloat16 LM head that does not require grad (a checkpoint loaded with bf16 storage).
const LABELS: TokenLabel[] = [
  'prompt',
  'decision',
  'feedback',
  'decision',
  'glue',
  'feedback',
  'decision',
  'feedback',
  'decision',
];
const N = LABELS.length;
const V = 17;
const H = 6;
const TARGETS = [-100, 3, 16, 0, -100, 9, 12, 5, 7];
const hid = randomMatrix(N, H, 11, 1.5);
const hidBase = randomMatrix(N, H, 12, 1.5);
const W = randomMatrix(V, H, 13, 1.5);
const Wb = randomMatrix(V, H, 14, 1.5);

function worstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

function scalarOf(t: Tensor): number {
  return t.dataSync()[0]!;
}

interface Run {
  loss: number;
  ce: number;
  kl: number;
  dHidden: Float32Array;
}

function run(mode: MolMode, head: Tensor, baseHead: Tensor | null): Run {
  const hidden = tensor(hid, undefined, { requiresGrad: true });
  const out = fusedMolLoss({
    hidden,
    baseHidden: tensor(hidBase),
    lmHeadWeight: head,
    baseLmHeadWeight: baseHead,
    targets: TARGETS,
    labels: LABELS,
    mode,
    rowChunk: 3,
    vocabChunk: 5,
  });
  out.loss.backward();
  return { loss: scalarOf(out.loss), ce: scalarOf(out.ce), kl: scalarOf(out.kl), dHidden: hidden.grad!.dataSync() };
}

describe('fusedMolLoss with a bfloat16 LM head', () => {
  let w16: Tensor;
  let wb16: Tensor;
  // The float32 heads holding the same bf16-rounded weights.
  let rounded: Tensor;
  let roundedBase: Tensor;
  beforeAll(() => {
    w16 = cast(tensor(W), 'bfloat16');
    wb16 = cast(tensor(Wb), 'bfloat16');
    rounded = cast(w16, 'float32');
    roundedBase = cast(wb16, 'float32');
  });

  it('the rounding is real: the bf16 weights differ from the float32 ones', () => {
    expect(worstDiff(rounded.dataSync(), tensor(W).dataSync())).toBeGreaterThan(1e-4);
  });

  for (const mode of ['mol', 'ce', 'ce_nokl'] as MolMode[]) {
    it(`${mode}, base sharing the head: same loss, ce, kl and hidden gradients as the float32 head of the rounded weights`, () => {
      const want = run(mode, rounded, null);
      const got = run(mode, w16, null);
      expect(got.loss).toBe(want.loss);
      expect(got.ce).toBe(want.ce);
      expect(got.kl).toBe(want.kl);
      expect(worstDiff(got.dHidden, want.dHidden)).toBe(0);
      if (mode === 'mol') expect(got.kl).toBeGreaterThan(0);
    });
  }

  it('mol, base with its own bf16 head: same values and hidden gradients as the float32 heads of the rounded weights', () => {
    const want = run('mol', rounded, roundedBase);
    const got = run('mol', w16, wb16);
    expect(got.loss).toBe(want.loss);
    expect(got.kl).toBe(want.kl);
    expect(worstDiff(got.dHidden, want.dHidden)).toBe(0);
  });

  it('agrees with molLoss on the logits of the rounded weights', () => {
    const got = run('mol', w16, wb16);
    const unfused = molLoss({
      logits: matmul(tensor(hid), rounded, { transposeB: true }),
      baseLogits: matmul(tensor(hidBase), roundedBase, { transposeB: true }),
      targets: TARGETS,
      labels: LABELS,
      mode: 'mol',
    });
    expect(got.loss).toBeCloseTo(scalarOf(unfused.loss), 5);
    expect(got.ce).toBeCloseTo(scalarOf(unfused.ce), 5);
    expect(got.kl).toBeCloseTo(scalarOf(unfused.kl), 5);
  });

  it('a bf16 head that does require grad gets its gradient in bf16: the float32 gradient of the rounded head, rounded', () => {
    const grad = (head: Tensor) => {
      head.requiresGrad = true;
      const out = fusedMolLoss({
        hidden: tensor(hid),
        baseHidden: tensor(hidBase),
        baseLmHeadWeight: roundedBase,
        lmHeadWeight: head,
        targets: TARGETS,
        labels: LABELS,
        rowChunk: 4,
        vocabChunk: 6,
      });
      out.loss.backward();
      return head.grad!;
    };
    const want = grad(cast(w16, 'float32'));
    const got = grad(cast(tensor(W), 'bfloat16'));
    expect(got.dtype).toBe('bfloat16');
    expect(worstDiff(got.dataSync(), cast(want, 'bfloat16').dataSync())).toBe(0);
  });

  it('takes int32 target tensors with a bf16 head', () => {
    const ids = TARGETS.map((t) => Math.max(0, t));
    const a = fusedMolLoss({
      hidden: tensor(hid),
      baseHidden: tensor(hidBase),
      lmHeadWeight: w16,
      targets: tensor(Int32Array.from(ids)),
      labels: LABELS,
    });
    const b = fusedMolLoss({
      hidden: tensor(hid),
      baseHidden: tensor(hidBase),
      lmHeadWeight: rounded,
      targets: ids,
      labels: LABELS,
    });
    expect(scalarOf(a.loss)).toBe(scalarOf(b.loss));
  });

  it('never widens the whole bf16 head: memory stays at rows x chunk', () => {
    const rows = 16;
    const vocab = 32_768;
    const h = 16;
    const chunk = 512;
    const backend = getBackend();
    const head = cast(tensor(randomMatrix(vocab, h, 15, 0.5)), 'bfloat16');
    const hidden = tensor(randomMatrix(rows, h, 16), undefined, { requiresGrad: true });
    const base = tensor(randomMatrix(rows, h, 17));
    const labels: TokenLabel[] = Array.from({ length: rows }, (_, i) => (i % 2 ? 'decision' : 'feedback'));
    const t = Array.from({ length: rows }, (_, i) => (i * 977) % vocab);
    backend.resetPeak();
    const before = backend.memory().bytesInUse;
    const out = fusedMolLoss({ hidden, baseHidden: base, lmHeadWeight: head, targets: t, labels, vocabChunk: chunk });
    out.loss.backward();
    const extra = backend.memory().peakBytes - before;
    // The head widened to float32 would be 2 MiB; the chunked loss needs a few [rows, chunk] and [chunk, H] buffers.
    expect(extra).toBeLessThan((vocab * h * 4) / 4);
    expect(Number.isFinite(scalarOf(out.loss))).toBe(true);
  });
});
