/**
 * The order rows are visited in: a Fisher-Yates shuffle per epoch whose seed is
 * derived from (seed, epoch). The loader's whole state is therefore (epoch,
 * step within the epoch): a resumed run recomputes the same order.
 */

/** mulberry32: a small, fast 32-bit generator; its whole state is one integer. */
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

export function epochOrder(rows: number, seed: number, epoch: number): number[] {
  const order = Array.from({ length: rows }, (_, i) => i);
  const random = mulberry32((Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca6b)) >>> 0);
  for (let i = rows - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** The rows of optimizer step `stepInEpoch` (globalBatchSize of them; the last step of an epoch may have fewer). */
export function stepRows(order: readonly number[], stepInEpoch: number, globalBatchSize: number): number[] {
  return order.slice(stepInEpoch * globalBatchSize, (stepInEpoch + 1) * globalBatchSize);
}

export function stepsPerEpoch(rows: number, globalBatchSize: number): number {
  return Math.ceil(rows / globalBatchSize);
}
