/**
 * Language-model rows from token sequences: sequences packed greedily into rows
 * of a fixed length, positions restarting per sequence (so attention stays
 * inside it), targets shifted by one and a loss mask that is 0 across a
 * sequence boundary and on padding.
 */
export interface LmRow {
  ids: number[];
  positionIds: number[];
  targets: number[];
  mask: number[];
}

export function packLmRows(sequences: readonly number[][], rowLength: number, padId: number): LmRow[] {
  if (!Number.isInteger(rowLength) || rowLength < 2)
    throw new RangeError(`packLmRows: rowLength must be an integer >= 2, got ${rowLength}`);
  const rows: LmRow[] = [];
  let ids: number[] = [];
  let pos: number[] = [];
  let seg: number[] = [];
  let segment = 0;
  const flush = () => {
    if (!ids.length) return;
    const n = ids.length;
    const targets: number[] = [];
    const mask: number[] = [];
    for (let i = 0; i < rowLength; i++) {
      const real = i + 1 < n && seg[i] === seg[i + 1];
      targets.push(real ? ids[i + 1]! : padId);
      mask.push(real ? 1 : 0);
    }
    while (ids.length < rowLength) {
      ids.push(padId);
      pos.push(0);
      seg.push(-1);
    }
    rows.push({ ids, positionIds: pos, targets, mask });
    ids = [];
    pos = [];
    seg = [];
  };
  for (const sequence of sequences) {
    const s = sequence.slice(0, rowLength);
    if (ids.length + s.length > rowLength) flush();
    segment++;
    s.forEach((id, i) => {
      ids.push(id);
      pos.push(i);
      seg.push(segment);
    });
  }
  flush();
  return rows;
}
