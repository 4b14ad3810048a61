/**
 * The prompt stream: every epoch is a seeded shuffle of the data set, and the
 * stream runs on across epochs, so a step that straddles an epoch boundary takes
 * the rest of one order and the start of the next. The position alone (prompts
 * seen) restores it.
 */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function epochOrder(size: number, seed: number, epoch: number): number[] {
  const order = Array.from({ length: size }, (_, i) => i);
  const rand = mulberry32((seed * 0x9e3779b1 + epoch * 0x85ebca6b) >>> 0);
  for (let i = size - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** The data-set indices of prompts [start, start + count) of the stream. */
export function promptIndices(size: number, seed: number, start: number, count: number): number[] {
  const out: number[] = [];
  let epoch = -1;
  let order: number[] = [];
  for (let k = start; k < start + count; k++) {
    const e = Math.floor(k / size);
    if (e !== epoch) {
      epoch = e;
      order = epochOrder(size, seed, e);
    }
    out.push(order[k % size]!);
  }
  return out;
}
