/**
 * A byte-level BPE trainer that writes a Qwen-style tokenizer: NFC, Qwen's split
 * regex, byte-level mapping, the 256 byte symbols first, then merges learnt by
 * pair frequency (ties to the smaller pair of ids, like the reference trainer),
 * and the special tokens as added tokens after the model vocabulary (Qwen's
 * layout). The tokenizer.json it writes loads in the reference library.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { MetricsWriter, startProgress, writeFileAtomicSync, type ProgressOptions } from '@molrl/progress';
import { BYTE_TO_CHAR } from './byte-level.js';
import { QWEN_SPLIT_PATTERN, qwenSplit } from './qwen-split.js';
import { qwen3ChatTemplate } from './qwen3.js';
import type { AddedTokenJson, TokenizerConfigJson, TokenizerJson } from './tokenizer-json.js';

export interface SpecialTokenSpec {
  content: string;
  /** Dropped by decode({ skipSpecialTokens }) (default true). Qwen keeps <think> non-special. */
  special?: boolean;
}

export interface BpeTrainerOptions {
  /** Total vocabulary: 256 bytes + merges + special tokens. */
  vocabSize: number;
  /** A pair seen fewer times than this is never merged (default 2). */
  minFrequency?: number;
  specialTokens?: Array<string | SpecialTokenSpec>;
  /** tokenizer_config.json chat template (default: Qwen3's; null for none). */
  chatTemplate?: string | null;
  eosToken?: string;
  padToken?: string;
  /** Progress display (default: a bar on a TTY, log lines otherwise); `{ mode: 'silent' }` for none. */
  progress?: ProgressOptions;
  /** Append one JSON line per 50 merges here: {merges, vocab, pair_count, time}. */
  metricsPath?: string;
}

/** Qwen's special tokens for a small model: <think> and </think> stay non-special, as in Qwen3. */
export const QWEN_STYLE_SPECIAL_TOKENS: SpecialTokenSpec[] = [
  { content: '<|endoftext|>', special: true },
  { content: '<|im_start|>', special: true },
  { content: '<|im_end|>', special: true },
  { content: '<think>', special: false },
  { content: '</think>', special: false },
];

export interface TrainedTokenizer {
  tokenizerJson: TokenizerJson;
  tokenizerConfig: TokenizerConfigJson;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Max-heap of [count, a, b] ordered by count, then by smaller (a, b). */
class PairHeap {
  private items: Array<[number, number, number]> = [];
  private static before(x: [number, number, number], y: [number, number, number]): boolean {
    if (x[0] !== y[0]) return x[0] > y[0];
    if (x[1] !== y[1]) return x[1] < y[1];
    return x[2] < y[2];
  }
  get size(): number {
    return this.items.length;
  }
  push(x: [number, number, number]): void {
    const h = this.items;
    h.push(x);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!PairHeap.before(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }
  pop(): [number, number, number] {
    const h = this.items;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && PairHeap.before(h[l], h[m])) m = l;
        if (r < h.length && PairHeap.before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

const where = 'trainBpeTokenizer';

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v} ${String(v)}`;
  return typeof v;
}

/** The special tokens as specs, each checked; a duplicate or empty one is refused. */
function specialSpecs(list: Array<string | SpecialTokenSpec>): SpecialTokenSpec[] {
  if (!Array.isArray(list))
    throw new TypeError(`${where}: options.specialTokens must be an array, got ${describeValue(list)}`);
  const seen = new Set<string>();
  return list.map((s, i) => {
    const spec = typeof s === 'string' ? { content: s, special: true } : s;
    if (typeof spec !== 'object' || spec === null || typeof spec.content !== 'string' || spec.content === '')
      throw new TypeError(
        `${where}: options.specialTokens[${i}] must be a non-empty string or { content, special? }, got ${describeValue(s)}`,
      );
    if (spec.special !== undefined && typeof spec.special !== 'boolean')
      throw new TypeError(
        `${where}: options.specialTokens[${i}].special must be a boolean, got ${describeValue(spec.special)}`,
      );
    if (seen.has(spec.content))
      throw new RangeError(`${where}: options.specialTokens[${i}] ${JSON.stringify(spec.content)} is given twice`);
    seen.add(spec.content);
    return spec;
  });
}

function checkTrainerOptions(options: BpeTrainerOptions, specials: SpecialTokenSpec[]): void {
  const { minFrequency, chatTemplate, metricsPath } = options;
  if (minFrequency !== undefined && !(Number.isInteger(minFrequency) && minFrequency >= 1))
    throw new TypeError(`${where}: options.minFrequency must be an integer >= 1, got ${describeValue(minFrequency)}`);
  if (chatTemplate !== undefined && chatTemplate !== null && typeof chatTemplate !== 'string')
    throw new TypeError(`${where}: options.chatTemplate must be a string or null, got ${describeValue(chatTemplate)}`);
  if (metricsPath !== undefined && (typeof metricsPath !== 'string' || metricsPath === ''))
    throw new TypeError(`${where}: options.metricsPath must be a non-empty string, got ${describeValue(metricsPath)}`);
  for (const key of ['eosToken', 'padToken'] as const) {
    const v = options[key];
    if (v === undefined) continue;
    if (!specials.some((s) => s.content === v))
      throw new RangeError(
        `${where}: options.${key} ${describeValue(v)} is not one of the special tokens (${specials.map((s) => s.content).join(', ')})`,
      );
  }
}

export function trainBpeTokenizer(texts: Iterable<string>, options: BpeTrainerOptions): TrainedTokenizer {
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`${where}: options must be an object with vocabSize, got ${describeValue(options)}`);
  if (typeof texts === 'string' || typeof (texts as Iterable<string> | null)?.[Symbol.iterator] !== 'function')
    throw new TypeError(
      `${where}: texts must be an iterable of strings (an array, a generator), got ${describeValue(texts)}`,
    );
  const specials = specialSpecs(options.specialTokens ?? QWEN_STYLE_SPECIAL_TOKENS);
  checkTrainerOptions(options, specials);
  const minFrequency = options.minFrequency ?? 2;
  const mergeBudget = options.vocabSize - 256 - specials.length;
  if (!Number.isInteger(options.vocabSize) || mergeBudget < 0) {
    throw new RangeError(
      `${where}: vocabSize ${typeof options.vocabSize === 'number' ? options.vocabSize : describeValue(options.vocabSize)} must be an integer of at least 256 + ${specials.length} special tokens`,
    );
  }

  // 1. Count words: split out special tokens, NFC, Qwen's split, UTF-8 bytes.
  const specialRe = specials.length > 0 ? new RegExp(specials.map((s) => escapeRegex(s.content)).join('|'), 'g') : null;
  const wordCounts = new Map<string, number>();
  let ends: Int32Array = new Int32Array(1024);
  let index = 0;
  for (const raw of texts) {
    if (typeof raw !== 'string')
      throw new TypeError(`${where}: texts[${index}] must be a string, got ${describeValue(raw)}`);
    index++;
    for (const part of specialRe ? raw.split(specialRe) : [raw]) {
      const text = part.normalize('NFC');
      const [e, n] = qwenSplit(text, 0, text.length, ends);
      ends = e;
      let a = 0;
      for (let i = 0; i < n; i++) {
        const w = text.slice(a, e[i]);
        wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1);
        a = e[i];
      }
    }
  }
  const encoder = new TextEncoder();
  const words: number[][] = [];
  const counts: number[] = [];
  for (const [w, c] of wordCounts) {
    words.push([...encoder.encode(w)]);
    counts.push(c);
  }

  // 2. Symbols 0..255 are the bytes; merges append new symbols.
  const symbols: string[] = [...BYTE_TO_CHAR];
  const merges: Array<[string, string]> = [];
  const key = (a: number, b: number) => a * 1048576 + b;
  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const addPairs = (wi: number, sign: number) => {
    const w = words[wi];
    for (let i = 0; i + 1 < w.length; i++) {
      const k = key(w[i], w[i + 1]);
      pairCount.set(k, (pairCount.get(k) ?? 0) + sign * counts[wi]);
      if (sign > 0) {
        let s = pairWords.get(k);
        if (!s) pairWords.set(k, (s = new Set()));
        s.add(wi);
      }
    }
  };
  words.forEach((_, wi) => addPairs(wi, 1));
  const heap = new PairHeap();
  for (const [k, c] of pairCount) heap.push([c, Math.floor(k / 1048576), k % 1048576]);

  const progress = startProgress('bpe merges', mergeBudget, { unit: 'merges', ...options.progress });
  const metrics = options.metricsPath ? new MetricsWriter(options.metricsPath) : null;
  const symbolIds = new Map(symbols.map((s, i) => [s, i]));
  const vocabTarget = 256 + mergeBudget;
  while (symbols.length < vocabTarget && heap.size > 0) {
    const [c, a, b] = heap.pop();
    const k = key(a, b);
    const current = pairCount.get(k) ?? 0;
    if (current !== c) {
      if (current > 0) heap.push([current, a, b]);
      continue;
    }
    if (c < minFrequency) break;
    // Two different pairs can spell the same token: it keeps its first id.
    const joined = symbols[a] + symbols[b];
    let id = symbolIds.get(joined);
    if (id === undefined) {
      id = symbols.length;
      symbols.push(joined);
      symbolIds.set(joined, id);
    }
    merges.push([symbols[a], symbols[b]]);
    const touched = new Set<number>();
    for (const wi of pairWords.get(k) ?? []) {
      const w = words[wi];
      let has = false;
      for (let i = 0; i + 1 < w.length; i++) if (w[i] === a && w[i + 1] === b) has = true;
      if (!has) continue;
      addPairs(wi, -1);
      const merged: number[] = [];
      for (let i = 0; i < w.length; i++) {
        if (i + 1 < w.length && w[i] === a && w[i + 1] === b) {
          merged.push(id);
          i++;
        } else merged.push(w[i]);
      }
      words[wi] = merged;
      addPairs(wi, 1);
      for (let i = 0; i + 1 < merged.length; i++) touched.add(key(merged[i], merged[i + 1]));
    }
    pairWords.delete(k);
    pairCount.delete(k);
    for (const t of touched) {
      const tc = pairCount.get(t) ?? 0;
      if (tc > 0) heap.push([tc, Math.floor(t / 1048576), t % 1048576]);
    }
    if (merges.length % 50 === 0 || symbols.length === vocabTarget) {
      progress.update(symbols.length - 256, `pair count ${c}`);
      metrics?.write({ merges: merges.length, vocab: symbols.length, pair_count: c });
    }
  }
  progress.stop();

  const vocab: Record<string, number> = {};
  symbols.forEach((s, i) => (vocab[s] = i));
  const addedTokens: AddedTokenJson[] = specials.map((s, i) => ({
    id: symbols.length + i,
    content: s.content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: s.special ?? true,
  }));
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false };
  const tokenizerJson: TokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: { type: 'NFC' },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: QWEN_SPLIT_PATTERN }, behavior: 'Isolated', invert: false },
        byteLevel,
      ],
    },
    post_processor: { ...byteLevel },
    decoder: { ...byteLevel },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
  const has = (t: string | undefined) => t !== undefined && specials.some((s) => s.content === t);
  const eos = options.eosToken ?? (has('<|im_end|>') ? '<|im_end|>' : undefined);
  const pad = options.padToken ?? (has('<|endoftext|>') ? '<|endoftext|>' : undefined);
  const tokenizerConfig: TokenizerConfigJson = {
    add_bos_token: false,
    add_prefix_space: false,
    added_tokens_decoder: Object.fromEntries(addedTokens.map(({ id, ...t }) => [String(id), t])),
    bos_token: null,
    eos_token: eos ?? null,
    pad_token: pad ?? null,
    unk_token: null,
    clean_up_tokenization_spaces: false,
    errors: 'replace',
    model_max_length: 131072,
    split_special_tokens: false,
    tokenizer_class: 'Qwen2Tokenizer',
    ...(options.chatTemplate === null ? {} : { chat_template: options.chatTemplate ?? qwen3ChatTemplate() }),
  };
  return { tokenizerJson, tokenizerConfig };
}

/** Write tokenizer.json and tokenizer_config.json into a folder, each atomically. */
export function writeTokenizerFiles(dir: string, files: TrainedTokenizer): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, data] of [
    ['tokenizer.json', files.tokenizerJson],
    ['tokenizer_config.json', files.tokenizerConfig],
  ] as const) {
    writeFileAtomicSync(join(dir, name), JSON.stringify(data, null, 2) + '\n');
  }
}
