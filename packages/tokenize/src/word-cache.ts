/**
 * A bounded cache of word -> encoded word, approximately least-recently-used:
 * two generations of Maps; when the young one is full the old one is dropped and
 * the young one becomes old; a hit in the old generation is promoted. Costs one
 * Map lookup on a hit, unlike a strict LRU which reorders on every hit.
 *
 * Words of `maxKeyLength` units or more are neither looked up nor kept, as the
 * reference's BPE cache skips words of 256 bytes or more: a long "word" (a
 * whole text where there is no pre-tokenizer, as Llama 2's) rarely comes again,
 * and would cost a hash of its length and memory for nothing.
 */
export class WordCache<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();

  constructor(
    private readonly generationSize: number,
    private readonly maxKeyLength = 256,
  ) {}

  get(key: string): V | undefined {
    if (key.length >= this.maxKeyLength) return undefined;
    const v = this.young.get(key);
    if (v !== undefined) return v;
    if (this.generationSize <= 0) return undefined;
    const o = this.old.get(key);
    if (o !== undefined) this.set(key, o);
    return o;
  }

  set(key: string, value: V): void {
    if (this.generationSize <= 0 || key.length >= this.maxKeyLength) return;
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
