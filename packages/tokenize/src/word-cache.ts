/**
 * A bounded cache of word -> encoded word, approximately least-recently-used:
 * two generations of Maps; when the young one is full the old one is dropped and
 * the young one becomes old; a hit in the old generation is promoted. Costs one
 * Map lookup on a hit, unlike a strict LRU which reorders on every hit.
 */
export class WordCache<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();

  constructor(private readonly generationSize: number) {}

  get(key: string): V | undefined {
    const v = this.young.get(key);
    if (v !== undefined) return v;
    if (this.generationSize <= 0) return undefined;
    const o = this.old.get(key);
    if (o !== undefined) this.set(key, o);
    return o;
  }

  set(key: string, value: V): void {
    if (this.generationSize <= 0) return;
    if (this.young.size >= this.generationSize) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }

  clear(): void {
    this.young.clear();
    this.old.clear();
  }
}
