/**
 * Training rows (trace-dataset's `{ ids, labels, segmentIds? }`, packed or
 * not) to one forward pass: ids padded to the longest row, positions that
 * restart per packed segment, and the loss rows. Position t predicts token
 * t + 1 and takes that token's label; a pair that crosses a segment boundary,
 * and padding, carry no loss.
 */
import { isTokenLabel, TOKEN_LABELS, type TokenLabel } from '../row-plan.js';

export interface TrainingRow {
  ids: number[];
  /** One label per token. */
  labels: TokenLabel[];
  /** Packed rows: the segment of each token (positions restart and attention stays within a segment). */
  segmentIds?: number[];
  /** EETB marks per token (truthy = inside an empty think block). */
  emptyThink?: ArrayLike<boolean | number>;
}

export interface MicroBatch {
  ids: number[][];
  positionIds: number[][];
  segmentIds: number[][];
  /** Flattened [B * T] loss rows. */
  targets: Int32Array;
  labels: TokenLabel[];
  emptyThink: Uint8Array;
  /** Per loss row: the (row, segment) it belongs to, for per-sequence normalisation. */
  sequenceIds: Int32Array;
}

/**
 * A training row's fields, checked before any step (`vocabSize`, when given, bounds the ids):
 * errors name the row (`where`) and the index.
 */
export function checkRow(row: TrainingRow, where: string, vocabSize?: number): void {
  if (!row || !Array.isArray(row.ids) || row.ids.length === 0)
    throw new Error(`${where}: ids must be a non-empty array`);
  if (!Array.isArray(row.labels) || row.labels.length !== row.ids.length) {
    throw new Error(`${where}: labels must have one entry per id (${row.ids.length}), got ${row.labels?.length}`);
  }
  if (row.segmentIds !== undefined) {
    if (!Array.isArray(row.segmentIds) || row.segmentIds.length !== row.ids.length)
      throw new Error(
        `${where}: segmentIds must have one entry per id (${row.ids.length}), got ${Array.isArray(row.segmentIds) ? row.segmentIds.length : typeof row.segmentIds}`,
      );
    // Positions restart where the id changes, but attention joins tokens of equal ids: a segment
    // that comes back (1, 1, 2, 1) would attend to its first part from restarted positions,
    // and NaN would make every token a segment of its own.
    const ended = new Set<number>();
    for (let i = 0; i < row.segmentIds.length; i++) {
      const s = row.segmentIds[i]!;
      if (!Number.isInteger(s))
        throw new Error(
          `${where}: segmentIds[${i}] = ${typeof s === 'string' ? JSON.stringify(s) : String(s)} is not an integer`,
        );
      const prev = i > 0 ? row.segmentIds[i - 1]! : s;
      if (s === prev) continue;
      ended.add(prev);
      if (ended.has(s))
        throw new Error(
          `${where}: segmentIds[${i}] = ${s} returns to a segment that ended before index ${i} (a packed row's segments are contiguous runs)`,
        );
    }
  }
  if (row.emptyThink && row.emptyThink.length !== row.ids.length) {
    throw new Error(
      `${where}: emptyThink must have one entry per id (${row.ids.length}), got ${row.emptyThink.length}`,
    );
  }
  for (let i = 0; i < row.ids.length; i++) {
    const id = row.ids[i]!;
    const shown = typeof id === 'string' ? JSON.stringify(id) : String(id);
    if (!Number.isInteger(id) || id < 0) throw new Error(`${where}: ids[${i}] = ${shown} is not a token id`);
    if (vocabSize !== undefined && id >= vocabSize)
      throw new Error(`${where}: ids[${i}] = ${id} is outside the vocabulary [0, ${vocabSize})`);
    if (!isTokenLabel(row.labels[i]))
      throw new Error(
        `${where}: labels[${i}] is ${JSON.stringify(row.labels[i])}; expected ${TOKEN_LABELS.join(', ')}`,
      );
  }
}

export function makeMicroBatch(rows: readonly TrainingRow[], padId = 0): MicroBatch {
  // No rows made a width of -Infinity and a RangeError from new Array.
  if (!Array.isArray(rows) || rows.length === 0)
    throw new Error(
      `makeMicroBatch: rows must be a non-empty array of training rows, got ${Array.isArray(rows) ? '[]' : typeof rows}`,
    );
  if (!Number.isInteger(padId) || padId < 0)
    throw new Error(
      `makeMicroBatch: padId must be a token id (an integer >= 0), got ${typeof padId === 'string' ? JSON.stringify(padId) : String(padId)}`,
    );
  const width = Math.max(...rows.map((r) => r.ids.length));
  const n = rows.length * width;
  const targets = new Int32Array(n);
  const labels: TokenLabel[] = new Array(n).fill('prompt');
  const emptyThink = new Uint8Array(n);
  const sequenceIds = new Int32Array(n);
  const ids: number[][] = [];
  const positionIds: number[][] = [];
  const segmentIds: number[][] = [];
  let sequence = 0;
  rows.forEach((row, b) => {
    const len = row.ids.length;
    const seg = row.segmentIds ?? new Array<number>(len).fill(0);
    const rowIds = [...row.ids];
    const pos: number[] = [];
    const segs: number[] = [];
    let start = 0;
    for (let t = 0; t < len; t++) {
      if (t > 0 && seg[t] !== seg[t - 1]) start = t;
      pos.push(t - start);
      segs.push(seg[t]!);
    }
    // Padding is its own segment so real tokens never attend to it.
    const padSegment = Math.max(...segs) + 1;
    for (let t = len; t < width; t++) {
      rowIds.push(padId);
      pos.push(t - len);
      segs.push(padSegment);
    }
    ids.push(rowIds);
    positionIds.push(pos);
    segmentIds.push(segs);
    for (let t = 0; t < len; t++) {
      const i = b * width + t;
      if (t > 0 && seg[t] !== seg[t - 1]) sequence++;
      sequenceIds[i] = sequence;
      if (t + 1 >= len || seg[t + 1] !== seg[t]) continue;
      targets[i] = row.ids[t + 1]!;
      labels[i] = row.labels[t + 1]!;
      emptyThink[i] = row.emptyThink?.[t + 1] ? 1 : 0;
    }
    sequence++;
  });
  return { ids, positionIds, segmentIds, targets, labels, emptyThink, sequenceIds };
}
