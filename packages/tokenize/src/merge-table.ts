/**
 * Merge ranks keyed by the pair of token ids, in an open-addressing hash table
 * over typed arrays: no string keys, no boxed numbers, one probe in the usual case.
 */
export class MergeTable {
  private readonly mask: number;
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private readonly rank: Int32Array;
  private readonly merged: Int32Array;
  size = 0;

  constructor(capacityHint: number) {
    let cap = 16;
    while (cap < capacityHint * 2) cap <<= 1;
    this.mask = cap - 1;
    this.left = new Int32Array(cap).fill(-1);
    this.right = new Int32Array(cap);
    this.rank = new Int32Array(cap);
    this.merged = new Int32Array(cap);
  }

  private slot(a: number, b: number): number {
    return (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77)) & this.mask;
  }

  /**
   * Add a merge. A pair listed twice takes its last rank: the reference builds its
   * map by inserting merges in order, so later entries overwrite earlier ones.
   */
  set(a: number, b: number, rank: number, merged: number): void {
    let s = this.slot(a, b);
    while (this.left[s] !== -1) {
      if (this.left[s] === a && this.right[s] === b) {
        this.rank[s] = rank;
        this.merged[s] = merged;
        return;
      }
      s = (s + 1) & this.mask;
    }
    this.left[s] = a;
    this.right[s] = b;
    this.rank[s] = rank;
    this.merged[s] = merged;
    this.size++;
  }

  /** The slot of pair (a, b), or -1 when it is not a merge. */
  find(a: number, b: number): number {
    let s = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77)) & this.mask;
    for (;;) {
      const l = this.left[s];
      if (l === -1) return -1;
      if (l === a && this.right[s] === b) return s;
      s = (s + 1) & this.mask;
    }
  }

  rankAt(slot: number): number {
    return this.rank[slot];
  }

  mergedAt(slot: number): number {
    return this.merged[slot];
  }
}
