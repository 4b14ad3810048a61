/**
 * Packing short traces into full rows, and batches that mix decision and
 * feedback tokens in proportion.
 *
 * A packed row holds several traces (segments) back to back, padded to
 * `rowLength`. `segmentIds[i]` is 1, 2, ... for the traces and 0 for padding;
 * `positions[i]` restarts at 0 for every segment, so a model with packed
 * attention (attend only within the same segment) sees each trace as if alone.
 */
import { Rng } from './rng.js';
import type { LabelledTrace, TokenLabel } from './types.js';

export interface PackedRow {
  ids: number[];
  labels: TokenLabel[];
  emptyThink: boolean[];
  segmentIds: number[];
  positions: number[];
  /** Indices (into the input) of the traces in this row, in order. */
  traces: number[];
}

export interface PackOptions {
  rowLength: number;
  /** Id written in padding (e.g. the tokenizer's pad token). */
  padId: number;
}

/**
 * First-fit-decreasing packing: traces longest first, each into the first row
 * with room. Deterministic; a trace longer than `rowLength` is an error (apply the
 * context policy first).
 */
export function packTraces(traces: LabelledTrace[], options: PackOptions): PackedRow[] {
  const { rowLength, padId } = options;
  if (!Number.isInteger(rowLength) || rowLength < 1)
    throw new RangeError(`rowLength: expected a positive integer, got ${rowLength}`);
  if (!Number.isInteger(padId) || padId < 0)
    throw new RangeError(`padId: expected a token id (an integer >= 0), got ${JSON.stringify(padId)}`);
  const order = traces.map((t, i) => i).sort((a, b) => traces[b]!.ids.length - traces[a]!.ids.length || a - b);
  const bins: Array<{ used: number; members: number[] }> = [];
  for (const i of order) {
    const n = traces[i]!.ids.length;
    if (n > rowLength)
      throw new RangeError(`traces[${i}]: ${n} tokens do not fit a row of ${rowLength} (apply fitContext first)`);
    if (n === 0) continue;
    let bin = bins.find((b) => b.used + n <= rowLength);
    if (!bin) {
      bin = { used: 0, members: [] };
      bins.push(bin);
    }
    bin.used += n;
    bin.members.push(i);
  }
  return bins.map((bin) => {
    const row: PackedRow = {
      ids: [],
      labels: [],
      emptyThink: [],
      segmentIds: [],
      positions: [],
      traces: [...bin.members].sort((a, b) => a - b),
    };
    row.traces.forEach((i, s) => {
      const t = traces[i]!;
      for (let k = 0; k < t.ids.length; k++) {
        row.ids.push(t.ids[k]!);
        row.labels.push(t.labels[k]!);
        row.emptyThink.push(t.emptyThink[k] ?? false);
        row.segmentIds.push(s + 1);
        row.positions.push(k);
      }
    });
    while (row.ids.length < rowLength) {
      row.ids.push(padId);
      row.labels.push('glue');
      row.emptyThink.push(false);
      row.segmentIds.push(0);
      row.positions.push(0);
    }
    return row;
  });
}

function counts(row: Pick<PackedRow, 'labels'>): { decision: number; feedback: number } {
  let decision = 0;
  let feedback = 0;
  for (const l of row.labels) {
    if (l === 'decision') decision++;
    else if (l === 'feedback') feedback++;
  }
  return { decision, feedback };
}

export interface MixedBatchOptions {
  batchSize: number;
  seed?: number;
  /** Rows considered for each slot (default 64): larger mixes closer, costs more. */
  window?: number;
  /** Keep a last, smaller batch (default true). */
  keepPartial?: boolean;
}

/**
 * Batches of packed rows whose feedback share (feedback / (decision + feedback)
 * tokens) stays close to the whole set's: rows are shuffled by seed, then each
 * slot of a batch takes, among the next `window` rows, the one that brings the
 * batch's share closest to the target. Returns row indices per batch.
 */
export function mixedBatches(rows: Array<Pick<PackedRow, 'labels'>>, options: MixedBatchOptions): number[][] {
  const { batchSize } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`batchSize: expected a positive integer, got ${batchSize}`);
  const window = options.window ?? 64;
  const c = rows.map(counts);
  const total = c.reduce((a, x) => ({ decision: a.decision + x.decision, feedback: a.feedback + x.feedback }), {
    decision: 0,
    feedback: 0,
  });
  const target = total.feedback / Math.max(1, total.decision + total.feedback);
  const pool = new Rng(options.seed ?? 0).shuffle(rows.map((_, i) => i));
  const batches: number[][] = [];
  while (pool.length > 0) {
    const batch: number[] = [];
    let d = 0;
    let f = 0;
    while (batch.length < batchSize && pool.length > 0) {
      let best = 0;
      let bestGap = Infinity;
      for (let k = 0; k < Math.min(window, pool.length); k++) {
        const x = c[pool[k]!]!;
        const gap = Math.abs((f + x.feedback) / Math.max(1, d + f + x.decision + x.feedback) - target);
        if (gap < bestGap) {
          bestGap = gap;
          best = k;
        }
      }
      const [chosen] = pool.splice(best, 1);
      batch.push(chosen!);
      d += c[chosen!]!.decision;
      f += c[chosen!]!.feedback;
    }
    if (batch.length === batchSize || (options.keepPartial ?? true)) batches.push(batch);
  }
  return batches;
}

/** Feedback share of a set of rows: feedback / (decision + feedback) tokens. */
export function feedbackShare(rows: Array<Pick<PackedRow, 'labels'>>): number {
  let d = 0;
  let f = 0;
  for (const r of rows) {
    const x = counts(r);
    d += x.decision;
    f += x.feedback;
  }
  return f / Math.max(1, d + f);
}
