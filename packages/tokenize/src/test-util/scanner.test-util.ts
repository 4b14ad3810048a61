import type { Scanner } from '../split-scanner.js';

/** The pieces a split scanner cuts `text` into (its ends buffer starting small, so it must grow). */
export function scannedPieces(scan: Scanner, text: string): string[] {
  const [ends, n] = scan(text, 0, text.length, new Int32Array(4));
  const out: string[] = [];
  let a = 0;
  for (let i = 0; i < n; i++) {
    out.push(text.slice(a, ends[i]));
    a = ends[i]!;
  }
  return out;
}
