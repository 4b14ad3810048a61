/**
 * molLoss and fusedMolLoss against an independent PyTorch reference
 * (fixtures/make_mol_reference.py: F.log_softmax, F.nll_loss, F.kl_div with
 * log_target, torch.autograd, float64). The token cases start from trace rows
 * (ids, labels, EETB marks, packed segments, padding): the reference shifts them
 * itself (`logits[:, :-1]` against `ids[:, 1:]`), the test goes through
 * `makeMicroBatch`, so the shift, the segment boundaries and the padding are
 * checked too, not only the arithmetic. Every mode, EETB on and off, every
 * normalisation, klWeight 1 and 0.5; an all-prompt row, a row of only feedback,
 * a row of only decisions, and a packed row; gradients of loss, ce and kl to the
 * logits, the hidden states and the LM head; float32 and bfloat16 heads; a 4,099
 * vocabulary with peaked distributions over uneven chunks.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { cast, setBackend, tensor, type Tensor } from '@molrl/tensor';
import { baseDistribution } from './base-distribution.js';
import { fusedMolLoss } from './fused-mol-loss.js';
import { molLoss } from './mol-loss.js';
import type { MolMode, Normalization, TokenLabel } from './row-plan.js';
import { makeMicroBatch, type TrainingRow } from './trainer/batch.js';

interface Position {
  target: number;
  label: TokenLabel;
  mark: boolean;
  sequence: [number, number];
}

interface Result {
  mode: MolMode;
  eetb: boolean;
  normalization: Normalization;
  klWeight: number;
  loss: number;
  ce: number;
  kl: number;
  counts: { decision: number; feedback: number; excluded: number };
  [grad: `grad_${string}`]: number[] | undefined;
}

interface Case {
  name: string;
  vocab: number;
  results: Result[];
  positions: (Position | null)[];
  // logits case
  rows?: number | TrainingRow[];
  logits?: number[];
  baseLogits?: number[];
  // hidden-state cases
  hidden?: number;
  width?: number;
  headDtype?: 'float32' | 'bfloat16';
  hiddenStates?: number[];
  baseHiddenStates?: number[];
  head?: number[];
  headBf16?: number[];
  baseHead?: number[];
  formulaHead?: { scaleDiv: number };
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/mol-reference.json', import.meta.url), 'utf8')) as {
  cases: Case[];
};
const byName = (name: string): Case => fixture.cases.find((c) => c.name === name)!;

beforeAll(async () => {
  await setBackend('cpu');
});

/** The tolerance of a float32 computation against the float64 reference: |got - want| <= atol + rtol |want|. */
interface Tol {
  atol: number;
  rtol: number;
}

function worst(got: ArrayLike<number>, want: ArrayLike<number>, tol: Tol): number {
  expect(got.length).toBe(want.length);
  let w = 0;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i]! - want[i]!) / (tol.atol + tol.rtol * Math.abs(want[i]!));
    if (!(err <= w)) w = Number.isNaN(err) ? Infinity : err;
  }
  return w;
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: Tol, what: string): void {
  const w = worst(got, want, tol);
  expect(w, `${what}: worst error / tolerance`).toBeLessThanOrEqual(1);
}

/** The rows' sequence index, the loss rows in the order the reference gives them. */
function sequenceIndex(positions: (Position | null)[]): number[] {
  const ids = new Map<string, number>();
  return positions.map((p) => {
    if (!p) return 0;
    const key = p.sequence.join(':');
    if (!ids.has(key)) ids.set(key, ids.size);
    return ids.get(key)!;
  });
}

const label = (r: Result) => `${r.mode} eetb=${r.eetb} ${r.normalization} klWeight=${r.klWeight}`;

describe('molLoss against the PyTorch reference (logits)', () => {
  const c = byName('logits');
  const n = c.rows as number;
  const v = c.vocab;
  const labels = c.positions.map((p) => (p ? p.label : 'prompt'));
  const targets = c.positions.map((p) => (p ? p.target : -100));
  const marks = c.positions.map((p) => (p ? p.mark : false));
  const sequenceIds = sequenceIndex(c.positions);
  const tol: Tol = { atol: 2e-6, rtol: 2e-6 };

  function run(r: Result, output: 'loss' | 'ce' | 'kl', chunks: { rowChunk: number; vocabChunk: number }) {
    const logits = tensor(Float32Array.from(c.logits!), [n, v], { requiresGrad: true });
    const out = molLoss({
      logits,
      baseLogits: tensor(Float32Array.from(c.baseLogits!), [n, v]),
      targets,
      labels,
      mode: r.mode,
      eetb: r.eetb,
      emptyThink: marks,
      normalization: r.normalization,
      klWeight: r.klWeight,
      sequenceIds,
      ...chunks,
    });
    out[output].backward();
    return { out, grad: logits.grad!.dataSync() };
  }

  it.each(c.results.map((r) => [label(r), r] as const))('%s: loss, ce, kl, counts and d loss / d logits', (_, r) => {
    for (const chunks of [
      { rowChunk: 7, vocabChunk: 5 },
      { rowChunk: 1024, vocabChunk: 8192 },
    ]) {
      const { out, grad } = run(r, 'loss', chunks);
      expectClose([out.loss.dataSync()[0]!], [r.loss], tol, 'loss');
      expectClose([out.ce.dataSync()[0]!], [r.ce], tol, 'ce');
      expectClose([out.kl.dataSync()[0]!], [r.kl], tol, 'kl');
      expect(out.counts).toEqual(r.counts);
      expectClose(grad, r.grad_loss_logits!, tol, 'd loss / d logits');
    }
  });

  it.each(c.results.filter((r) => r.grad_ce_logits).map((r) => [label(r), r] as const))(
    '%s: d ce / d logits and d kl / d logits',
    (_, r) => {
      expectClose(run(r, 'ce', { rowChunk: 7, vocabChunk: 5 }).grad, r.grad_ce_logits!, tol, 'd ce / d logits');
      expectClose(run(r, 'kl', { rowChunk: 7, vocabChunk: 5 }).grad, r.grad_kl_logits!, tol, 'd kl / d logits');
    },
  );
});

/** A large head both sides build from the same small-integer formula (exact in float32). */
function formulaHead(v: number, h: number, scaleDiv: number): Float32Array {
  const w = new Float32Array(v * h);
  for (let i = 0; i < v; i++) {
    for (let j = 0; j < h; j++)
      w[i * h + j] = (((i * i * 7 + i * j * 13 + j * j * 3 + i * 5 + j * 11) % 251) - 125) / scaleDiv;
  }
  return w;
}

function hiddenCase(name: string, tol: Tol, chunks: { rowChunk: number; vocabChunk: number }[]) {
  const c = byName(name);
  const rows = c.rows as TrainingRow[];
  const [v, h, width] = [c.vocab, c.hidden!, c.width!];
  const b = rows.length;
  const batch = makeMicroBatch(rows);
  const headValues = c.formulaHead ? formulaHead(v, h, c.formulaHead.scaleDiv) : Float32Array.from(c.head!);
  const bf16 = c.headDtype === 'bfloat16';
  const makeHead = (requiresGrad: boolean): Tensor => {
    const w = tensor(headValues, [v, h]);
    const head = bf16 ? cast(w, 'bfloat16') : w;
    head.requiresGrad = requiresGrad;
    return head;
  };
  const makeBaseHead = (): Tensor | null => {
    if (!c.baseHead) return null;
    const w = tensor(Float32Array.from(c.baseHead), [v, h]);
    return bf16 ? cast(w, 'bfloat16') : w;
  };

  function run(
    r: Result,
    output: 'loss' | 'ce' | 'kl',
    opts: { rowChunk: number; vocabChunk: number; headGrad: boolean; precomputed?: boolean },
  ) {
    const hidden = tensor(Float32Array.from(c.hiddenStates!), [b, width, h], { requiresGrad: true });
    const baseHidden = tensor(Float32Array.from(c.baseHiddenStates!), [b, width, h]);
    const head = makeHead(opts.headGrad);
    const base = opts.precomputed
      ? {
          baseDistribution: baseDistribution({
            baseHidden,
            lmHeadWeight: head,
            rowChunk: opts.rowChunk,
            vocabChunk: opts.vocabChunk,
          }),
        }
      : { baseHidden, baseLmHeadWeight: makeBaseHead() };
    const out = fusedMolLoss({
      hidden,
      lmHeadWeight: head,
      ...base,
      targets: batch.targets,
      labels: batch.labels,
      mode: r.mode,
      eetb: r.eetb ? batch.emptyThink : undefined,
      normalization: r.normalization,
      klWeight: r.klWeight,
      sequenceIds: batch.sequenceIds,
      rowChunk: opts.rowChunk,
      vocabChunk: opts.vocabChunk,
    });
    out[output].backward();
    return { out, dHidden: hidden.grad!.dataSync(), dHead: opts.headGrad ? head.grad! : null };
  }

  describe(`fusedMolLoss against the PyTorch reference: ${name}`, () => {
    it('makeMicroBatch shifts as the reference does: position t scores token t + 1, within its segment', () => {
      expect(batch.labels.length).toBe(b * width);
      const seen = new Map<string, number>();
      c.positions.forEach((p, i) => {
        if (!p) {
          expect(['prompt', 'glue']).toContain(batch.labels[i]);
          return;
        }
        expect(batch.targets[i], `target of row ${i}`).toBe(p.target);
        expect(batch.labels[i], `label of row ${i}`).toBe(p.label);
        expect(batch.emptyThink[i], `EETB mark of row ${i}`).toBe(p.mark ? 1 : 0);
        if (p.label === 'decision' || p.label === 'feedback') {
          const key = p.sequence.join(':');
          if (!seen.has(key)) seen.set(key, batch.sequenceIds[i]!);
          expect(batch.sequenceIds[i], `sequence of row ${i}`).toBe(seen.get(key));
        }
      });
      // Distinct sequences stay distinct.
      expect(new Set(seen.values()).size).toBe(seen.size);
    });

    if (bf16) {
      it("the bfloat16 head holds torch's rounding of the float32 weights (round to nearest even)", () => {
        expect([...cast(makeHead(false), 'float32').dataSync()]).toEqual(c.headBf16);
      });
    }

    const withHead = (r: Result) => r.grad_loss_head !== undefined;
    it.each(c.results.map((r) => [label(r), r] as const))(
      '%s: loss, ce, kl, counts and d loss / d hidden (and / d head)',
      (_, r) => {
        for (const ch of chunks) {
          const { out, dHidden, dHead } = run(r, 'loss', { ...ch, headGrad: withHead(r) });
          expectClose([out.loss.dataSync()[0]!], [r.loss], tol, 'loss');
          expectClose([out.ce.dataSync()[0]!], [r.ce], tol, 'ce');
          expectClose([out.kl.dataSync()[0]!], [r.kl], tol, 'kl');
          expect(out.counts).toEqual(r.counts);
          expectClose(dHidden, r.grad_loss_hidden!, tol, 'd loss / d hidden');
          if (dHead && !bf16) expectClose(dHead.dataSync(), r.grad_loss_head!, tol, 'd loss / d head');
          if (dHead && bf16) {
            // A bf16 head gets its gradient in bf16: within one bf16 step (2^-7 relative) of the reference's, rounded.
            expect(dHead.dtype).toBe('bfloat16');
            expectClose(
              cast(dHead, 'float32').dataSync(),
              r.grad_loss_head_bf16!,
              { atol: 1e-6, rtol: 2 ** -7 },
              'd loss / d head (bf16)',
            );
          }
        }
      },
    );

    it.each(c.results.filter((r) => r.grad_ce_hidden).map((r) => [label(r), r] as const))(
      '%s: d ce and d kl to hidden and head',
      (_, r) => {
        for (const output of ['ce', 'kl'] as const) {
          const { dHidden, dHead } = run(r, output, { ...chunks[0]!, headGrad: true });
          expectClose(dHidden, r[`grad_${output}_hidden`]!, tol, `d ${output} / d hidden`);
          if (!bf16) expectClose(dHead!.dataSync(), r[`grad_${output}_head`]!, tol, `d ${output} / d head`);
        }
      },
    );

    if (!c.baseHead) {
      it.each(c.results.map((r) => [label(r), r] as const))(
        '%s: the same from a precomputed baseDistribution (frozen head)',
        (_, r) => {
          const { out, dHidden } = run(r, 'loss', { ...chunks[0]!, headGrad: false, precomputed: true });
          expectClose([out.loss.dataSync()[0]!], [r.loss], tol, 'loss');
          expectClose([out.kl.dataSync()[0]!], [r.kl], tol, 'kl');
          expectClose(dHidden, r.grad_loss_hidden!, tol, 'd loss / d hidden');
        },
      );
    }
  });
}

hiddenCase('shared-head-f32', { atol: 2e-6, rtol: 2e-6 }, [
  { rowChunk: 7, vocabChunk: 5 },
  { rowChunk: 1024, vocabChunk: 8192 },
]);
hiddenCase('own-base-head-f32', { atol: 2e-6, rtol: 2e-6 }, [{ rowChunk: 4, vocabChunk: 6 }]);
hiddenCase('shared-head-bf16', { atol: 2e-6, rtol: 2e-6 }, [{ rowChunk: 7, vocabChunk: 5 }]);
hiddenCase('large-vocab-f32', { atol: 2e-6, rtol: 2e-6 }, [{ rowChunk: 5, vocabChunk: 700 }]);
hiddenCase('large-vocab-near-base-f32', { atol: 2e-6, rtol: 2e-6 }, [{ rowChunk: 5, vocabChunk: 700 }]);
