/**
 * The MoL loss written out directly, in float64 on the host, one row at a
 * time over the whole vocabulary: the formula the chunked implementations must
 * agree with.
 */
import { mulberry32 } from '@molrl/tensor';
import type { MolMode, Normalization, TokenLabel } from './row-plan.js';

export interface ReferenceInput {
  logits: number[][];
  baseLogits?: number[][];
  targets: number[];
  labels: TokenLabel[];
  mode?: MolMode;
  excluded?: boolean[];
  normalization?: Normalization;
  klWeight?: number;
  sequenceIds?: number[];
}

function logSoftmax(row: number[]): number[] {
  const m = Math.max(...row);
  const lse = m + Math.log(row.reduce((s, x) => s + Math.exp(x - m), 0));
  return row.map((x) => x - lse);
}

export function referenceMolLoss(input: ReferenceInput): {
  loss: number;
  ce: number;
  kl: number;
  decision: number;
  feedback: number;
} {
  const mode = input.mode ?? 'mol';
  const terms: { kind: 'ce' | 'kl'; value: number; seq: number }[] = [];
  let decision = 0;
  let feedback = 0;
  input.labels.forEach((label, i) => {
    if (label === 'prompt' || label === 'glue' || input.excluded?.[i]) return;
    const lp = logSoftmax(input.logits[i]!);
    const ce = () => -lp[input.targets[i]!]!;
    if (label === 'feedback') {
      feedback++;
      terms.push({ kind: 'ce', value: ce(), seq: input.sequenceIds?.[i] ?? 0 });
    } else if (mode === 'ce') {
      decision++;
      terms.push({ kind: 'ce', value: ce(), seq: input.sequenceIds?.[i] ?? 0 });
    } else if (mode === 'mol') {
      decision++;
      const lb = logSoftmax(input.baseLogits![i]!);
      const kl = lb.reduce((s, x, v) => s + Math.exp(x) * (x - lp[v]!), 0);
      terms.push({ kind: 'kl', value: kl, seq: input.sequenceIds?.[i] ?? 0 });
    }
  });
  const ces = terms.filter((t) => t.kind === 'ce');
  const kls = terms.filter((t) => t.kind === 'kl');
  const mean = (xs: { value: number }[]) => (xs.length ? xs.reduce((s, t) => s + t.value, 0) / xs.length : 0);
  const ce = mean(ces);
  const kl = mean(kls);
  const w = input.klWeight ?? 1;
  const weighted = (t: { kind: string; value: number }) => (t.kind === 'kl' ? w * t.value : t.value);
  let loss: number;
  const normalization = input.normalization ?? 'separate';
  if (normalization === 'separate') loss = ce + w * kl;
  else if (normalization === 'token') loss = terms.reduce((s, t) => s + weighted(t), 0) / terms.length;
  else {
    const bySeq = new Map<number, number[]>();
    for (const t of terms) bySeq.set(t.seq, [...(bySeq.get(t.seq) ?? []), weighted(t)]);
    loss = [...bySeq.values()].reduce((s, xs) => s + xs.reduce((a, b) => a + b, 0) / xs.length, 0) / bySeq.size;
  }
  return { loss, ce, kl, decision, feedback };
}

/** A seeded float generator (mulberry32) for test data. */
export const seededRandom = mulberry32;

export function randomMatrix(rows: number, cols: number, seed: number, scale = 1): number[][] {
  const r = seededRandom(seed);
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => (r() * 2 - 1) * scale));
}
