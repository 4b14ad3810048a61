/**
 * The BPE model of tokenizer.json: vocabulary, merge ranks, unk token, byte
 * fallback, continuing-subword prefix / end-of-word suffix and `ignore_merges`,
 * as the reference library applies them to one pre-tokenized word.
 *
 * A word is merged by repeatedly joining the adjacent pair with the lowest merge
 * rank, leftmost first. Short words use a linear scan over a small array, long
 * ones a binary heap over a linked list of symbols (O(n log n)).
 */
import { BYTE_TO_CHAR, utf8Into } from './byte-level.js';
import { TokenizerFormatError } from './errors.js';
import { MergeTable } from './merge-table.js';
import type { EncodedWord, TokenizerModel } from './tokenizer-model.js';
import { expectString, optionalBoolean, type BpeModelJson, type ComponentJson } from './tokenizer-json.js';
import { readVocabulary } from './vocabulary.js';
import { WordCache } from './word-cache.js';

const LINEAR_LIMIT = 48;

const METASPACE = '\u2581';
/** A '▁' after another character, inside a token. */
const CROSSES_METASPACE = /[^\u2581]\u2581/u;

/** Encoded words one after the other, as one. */
function joinWords(parts: EncodedWord[]): EncodedWord {
  let n = 0;
  for (const p of parts) n += p.length >> 1;
  const out = new Int32Array(2 * n);
  let k = 0;
  for (const p of parts) {
    const m = p.length >> 1;
    for (let j = 0; j < m; j++) {
      out[k + j] = p[j]!;
      out[n + k + j] = p[m + j]!;
    }
    k += m;
  }
  return out;
}

export class BpeModel implements TokenizerModel {
  readonly vocab: Map<string, number>;
  readonly idToToken: string[];
  readonly merges: MergeTable;
  readonly unkToken: string | null;
  readonly unkId: number;
  readonly prefix: string;
  readonly suffix: string;
  readonly byteFallback: boolean;
  readonly fuseUnk: boolean;
  readonly ignoreMerges: boolean;
  /**
   * Whether a word may be cut before each '▁' that follows another character
   * and its parts merged alone: no vocabulary token holds such a pair, so no
   * merge can join across it (SentencePiece-style BPE with no pre-tokenizer,
   * Llama 2 and Gemma, where a whole text is one word). Same ids; the parts are
   * short enough for the word cache.
   */
  readonly cutsAtMetaspace: boolean;
  /** Id of each byte's byte-level character, when all 256 are in the vocabulary. */
  readonly byteToId: Int32Array | null;
  private readonly cache: WordCache<EncodedWord>;
  private bytes = new Uint8Array(1024);
  private ids = new Int32Array(1024);
  private lens = new Int32Array(1024);
  private ranks = new Int32Array(1024);
  private slots = new Int32Array(1024);

  constructor(json: ComponentJson, options: { cacheSize?: number; file?: string } = {}) {
    const file = options.file;
    const m = json as unknown as BpeModelJson;
    const { vocab, idToToken } = readVocabulary(m.vocab, file);
    this.vocab = vocab;
    this.idToToken = idToToken;
    if (m.dropout !== undefined && m.dropout !== null && m.dropout !== 0) {
      throw new TokenizerFormatError(
        'model.dropout',
        `BPE dropout (${m.dropout}) is not supported: encoding would not be deterministic`,
        file,
      );
    }
    this.unkToken =
      m.unk_token === undefined || m.unk_token === null ? null : expectString(m.unk_token, 'model.unk_token', file);
    this.unkId = this.unkToken === null ? -1 : (this.vocab.get(this.unkToken) ?? -1);
    if (this.unkToken !== null && this.unkId < 0)
      throw new TokenizerFormatError('model.unk_token', `"${this.unkToken}" is not in model.vocab`, file);
    this.prefix = m.continuing_subword_prefix
      ? expectString(m.continuing_subword_prefix, 'model.continuing_subword_prefix', file)
      : '';
    this.suffix = m.end_of_word_suffix ? expectString(m.end_of_word_suffix, 'model.end_of_word_suffix', file) : '';
    this.byteFallback = optionalBoolean(m.byte_fallback, 'model.byte_fallback', false, file);
    this.fuseUnk = optionalBoolean(m.fuse_unk, 'model.fuse_unk', false, file);
    this.ignoreMerges = optionalBoolean(m.ignore_merges, 'model.ignore_merges', false, file);
    if (!Array.isArray(m.merges)) throw new TokenizerFormatError('model.merges', 'expected an array', file);
    this.merges = new MergeTable(m.merges.length);
    const merges = m.merges;
    const prefix = this.prefix;
    for (let rank = 0; rank < merges.length; rank++) {
      const entry = merges[rank];
      let a: string;
      let b: string;
      if (typeof entry === 'string') {
        const sp = entry.indexOf(' ', 1);
        if (sp < 0) throw new TokenizerFormatError(`model.merges[${rank}]`, `"${entry}" is not "left right"`, file);
        a = entry.slice(0, sp);
        b = entry.slice(sp + 1);
      } else if (
        Array.isArray(entry) &&
        entry.length === 2 &&
        typeof entry[0] === 'string' &&
        typeof entry[1] === 'string'
      ) {
        a = entry[0];
        b = entry[1];
      } else {
        throw new TokenizerFormatError(`model.merges[${rank}]`, 'expected "left right" or ["left", "right"]', file);
      }
      const ia = this.vocab.get(a);
      const ib = this.vocab.get(b);
      const joined = a + (prefix && b.startsWith(prefix) ? b.slice(prefix.length) : b);
      const im = this.vocab.get(joined);
      if (ia === undefined || ib === undefined || im === undefined) {
        const field = `model.merges[${rank}]`;
        if (ia === undefined)
          throw new TokenizerFormatError(field, `left part ${JSON.stringify(a)} is not in model.vocab`, file);
        if (ib === undefined)
          throw new TokenizerFormatError(field, `right part ${JSON.stringify(b)} is not in model.vocab`, file);
        throw new TokenizerFormatError(field, `merged token ${JSON.stringify(joined)} is not in model.vocab`, file);
      }
      this.merges.set(ia, ib, rank, im);
    }
    const byteIds = new Int32Array(256);
    let allBytes = this.prefix === '' && this.suffix === '';
    for (let b = 0; b < 256 && allBytes; b++) {
      const id = this.vocab.get(BYTE_TO_CHAR[b]);
      if (id === undefined) allBytes = false;
      else byteIds[b] = id;
    }
    this.byteToId = allBytes ? byteIds : null;
    this.cache = new WordCache(options.cacheSize ?? 50_000);
    this.cutsAtMetaspace =
      this.prefix === '' &&
      this.suffix === '' &&
      !this.ignoreMerges &&
      this.vocab.has(METASPACE) &&
      !this.idToToken.some((t) => t !== undefined && CROSSES_METASPACE.test(t));
  }

  get vocabSize(): number {
    return this.idToToken.length;
  }

  /** `fuse_unk` joins any run of unknown characters into one unk token. */
  get unkSpansRuns(): boolean {
    return this.fuseUnk && this.unkId >= 0;
  }

  /**
   * Encode one word given as UTF-8 bytes mapped to byte-level characters (the
   * ByteLevel pre-tokenizer's output). `key` is the word before that mapping, used
   * as the cache key; the word is text[start, end).
   */
  encodeByteLevelWord(text: string, start: number, end: number): EncodedWord {
    const key = end - start === text.length ? text : text.slice(start, end);
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    let result: EncodedWord;
    if (this.byteToId === null) {
      let word = '';
      const n = this.utf8(text, start, end);
      for (let i = 0; i < n; i++) word += BYTE_TO_CHAR[this.bytes[i]];
      result = this.encodeSymbols(word);
    } else {
      const n = this.utf8(text, start, end);
      if (this.ignoreMerges) {
        let word = '';
        for (let i = 0; i < n; i++) word += BYTE_TO_CHAR[this.bytes[i]];
        const id = this.vocab.get(word);
        if (id !== undefined) {
          result = Int32Array.of(id, n);
          this.cache.set(key, result);
          return result;
        }
      }
      this.ensure(n);
      const ids = this.ids;
      const lens = this.lens;
      const byteToId = this.byteToId;
      for (let i = 0; i < n; i++) {
        ids[i] = byteToId[this.bytes[i]];
        lens[i] = 1;
      }
      result = this.mergeWord(n);
    }
    this.cache.set(key, result);
    return result;
  }

  /** Encode one word of text (not byte-level mapped): characters become symbols. */
  encodeWord(word: string): EncodedWord {
    if (this.cutsAtMetaspace) {
      const parts: EncodedWord[] = [];
      let start = 0;
      for (let i = 1; i < word.length; i++)
        if (word.charCodeAt(i) === 0x2581 && word.charCodeAt(i - 1) !== 0x2581) {
          parts.push(this.encodeWhole(word.slice(start, i)));
          start = i;
        }
      if (parts.length > 0) {
        parts.push(this.encodeWhole(word.slice(start)));
        return joinWords(parts);
      }
    }
    return this.encodeWhole(word);
  }

  private encodeWhole(word: string): EncodedWord {
    const hit = this.cache.get(word);
    if (hit !== undefined) return hit;
    const result = this.encodeSymbols(word);
    this.cache.set(word, result);
    return result;
  }

  private utf8(text: string, start: number, end: number): number {
    if (this.bytes.length < (end - start) * 3) this.bytes = new Uint8Array((end - start) * 3 + 64);
    return utf8Into(text, start, end, this.bytes);
  }

  private ensure(n: number): void {
    if (this.ids.length >= n + 1) return;
    const cap = n * 2 + 16;
    this.ids = new Int32Array(cap);
    this.lens = new Int32Array(cap);
    this.ranks = new Int32Array(cap);
    this.slots = new Int32Array(cap);
  }

  /** The reference's word setup: per character, with prefix, suffix, byte fallback and unk. */
  private encodeSymbols(word: string): EncodedWord {
    if (this.ignoreMerges) {
      const id = this.vocab.get(word);
      if (id !== undefined) return Int32Array.of(id, [...word].length);
    }
    const chars = [...word];
    this.ensure(chars.length * 4);
    const ids = this.ids;
    const lens = this.lens;
    let n = 0;
    let pendingUnk = false;
    chars.forEach((ch, i) => {
      let s = i === 0 ? ch : this.prefix + ch;
      if (i === chars.length - 1) s += this.suffix;
      const id = this.vocab.get(s);
      if (id !== undefined) {
        ids[n] = id;
        lens[n++] = 1;
        pendingUnk = false;
        return;
      }
      if (this.byteFallback) {
        const bytes = new TextEncoder().encode(ch);
        const byteIds = [...bytes].map((b) => this.vocab.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`));
        if (byteIds.every((x) => x !== undefined)) {
          // All byte tokens of one character share its length; the first carries it.
          byteIds.forEach((x, k) => {
            ids[n] = x!;
            lens[n++] = k === 0 ? 1 : 0;
          });
          pendingUnk = false;
          return;
        }
      }
      if (this.unkId < 0) {
        throw new Error(`BPE: character ${JSON.stringify(ch)} is not in the vocabulary and the model has no unk_token`);
      }
      if (this.fuseUnk && pendingUnk) {
        lens[n - 1] += 1;
      } else {
        ids[n] = this.unkId;
        lens[n++] = 1;
      }
      pendingUnk = true;
    });
    return this.mergeWord(n);
  }

  /** Merge this.ids[0..n) in place by rank; returns the encoded word. */
  private mergeWord(n: number): EncodedWord {
    if (n > LINEAR_LIMIT) return this.mergeWordHeap(n);
    const ids = this.ids;
    const lens = this.lens;
    const ranks = this.ranks;
    const slots = this.slots;
    const merges = this.merges;
    const NONE = 0x7fffffff;
    for (let i = 0; i + 1 < n; i++) {
      const s = merges.find(ids[i], ids[i + 1]);
      slots[i] = s;
      ranks[i] = s < 0 ? NONE : merges.rankAt(s);
    }
    while (n > 1) {
      let best = NONE;
      let at = -1;
      for (let i = 0; i + 1 < n; i++) {
        if (ranks[i] < best) {
          best = ranks[i];
          at = i;
        }
      }
      if (at < 0) break;
      ids[at] = merges.mergedAt(slots[at]);
      lens[at] += lens[at + 1];
      for (let i = at + 1; i + 1 < n; i++) {
        ids[i] = ids[i + 1];
        lens[i] = lens[i + 1];
        ranks[i] = ranks[i + 1];
        slots[i] = slots[i + 1];
      }
      n--;
      if (at > 0) {
        const s = merges.find(ids[at - 1], ids[at]);
        slots[at - 1] = s;
        ranks[at - 1] = s < 0 ? NONE : merges.rankAt(s);
      }
      if (at + 1 < n) {
        const s = merges.find(ids[at], ids[at + 1]);
        slots[at] = s;
        ranks[at] = s < 0 ? NONE : merges.rankAt(s);
      } else {
        ranks[at] = NONE;
      }
    }
    const out = new Int32Array(2 * n);
    out.set(ids.subarray(0, n));
    out.set(lens.subarray(0, n), n);
    return out;
  }

  private mergeWordHeap(n: number): EncodedWord {
    const ids = this.ids;
    const lens = this.lens;
    const merges = this.merges;
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    // Heap keys: rank * 2^32 + position, so ties go to the leftmost pair.
    let heap = new Float64Array(n + 16);
    let size = 0;
    const push = (key: number) => {
      if (size === heap.length) {
        const h = new Float64Array(heap.length * 2);
        h.set(heap);
        heap = h;
      }
      let i = size++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (heap[p] <= key) break;
        heap[i] = heap[p];
        i = p;
      }
      heap[i] = key;
    };
    const pop = (): number => {
      const top = heap[0];
      const last = heap[--size];
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= size) break;
        if (c + 1 < size && heap[c + 1] < heap[c]) c++;
        if (heap[c] >= last) break;
        heap[i] = heap[c];
        i = c;
      }
      heap[i] = last;
      return top;
    };
    const consider = (i: number) => {
      const j = next[i];
      if (j < 0) return;
      const s = merges.find(ids[i], ids[j]);
      if (s >= 0) push(merges.rankAt(s) * 4294967296 + i);
    };
    for (let i = 0; i + 1 < n; i++) consider(i);
    let count = n;
    while (size > 0) {
      const key = pop();
      const rank = Math.floor(key / 4294967296);
      const i = key - rank * 4294967296;
      const j = next[i];
      if (ids[i] < 0 || j < 0) continue; // removed, or no right neighbour any more
      const s = merges.find(ids[i], ids[j]);
      if (s < 0 || merges.rankAt(s) !== rank) continue; // stale entry
      ids[i] = merges.mergedAt(s);
      lens[i] += lens[j];
      ids[j] = -1;
      next[i] = next[j];
      if (next[j] >= 0) prev[next[j]] = i;
      count--;
      if (prev[i] >= 0) consider(prev[i]);
      consider(i);
    }
    const out = new Int32Array(2 * count);
    let k = 0;
    for (let i = 0; i >= 0; i = next[i]) {
      out[k] = ids[i];
      out[count + k] = lens[i];
      k++;
    }
    return out;
  }
}
