/**
 * A Hugging Face `tokenizer.json` tokenizer: added tokens, normalizer,
 * pre-tokenizer, BPE model, post-processor and decoder, applied the way the
 * reference library (Rust `tokenizers`) applies them.
 *
 * Invalid UTF-16 input: every lone surrogate is replaced by U+FFFD before
 * encoding (what TextEncoder does), so ids are those of the reference for the
 * string's UTF-8 and offsets keep pointing into the caller's string (one unit
 * replaced by one unit).
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { checkOptionNames, optionNames } from '@molrl/hub-cache';
import { AddedVocabulary, type AddedTokenMatch } from './added-vocabulary.js';
import { renderChatTemplate, type ChatMessage, type ChatTemplateOptions } from './chat-template.js';
import { describeValue } from './describe-value.js';
import { encodeChat, type EncodeChatOptions, type EncodedChat } from './chat-spans.js';
import { buildDecoder, type Decoder } from './decoder.js';
import { TokenizerFormatError } from './errors.js';
import { buildNormalizer, type AlignedText, type Normalizer } from './normalizer.js';
import {
  addedTokenCount,
  buildPostProcessor,
  defaultLayout,
  type LayoutPart,
  type PostProcessor,
} from './post-processor.js';
import { buildPreTokenizer, preservesInput, type Piece, type PreTokenizer } from './pre-tokenizer.js';
import { HUB_OPTION_KEYS, hubFilesWithPaths, type HubOptions } from './hub.js';
import { checkPaddingOption, padEncodings, padIdRows, type PaddingOptions, type ResolvedPadding } from './padding.js';
import { gpt2Split } from './gpt2-split.js';
import { qwenScanner, scannerDigitsFor } from './qwen-split.js';
import type { Scanner } from './split-scanner.js';
import {
  checkStride,
  TRUNCATION_STRATEGIES,
  truncatedLengths,
  truncationWindows,
  type TruncationStrategy,
} from './truncation.js';
import { qwen3TokenizerFiles } from './qwen3.js';
import { buildModel, type EncodedWord, type TokenizerModel } from './tokenizer-model.js';
import {
  tokenContent,
  validateTokenizerConfig,
  validateTokenizerJson,
  type TokenizerConfigJson,
  type TokenizerJson,
} from './tokenizer-json.js';

export interface TruncationOptions {
  /** The most ids, special tokens included. */
  maxLength: number;
  /** Which end to cut (default: right). */
  direction?: 'left' | 'right';
  /**
   * Which text of a pair to cut (default longest_first: the longer, down to
   * what the shorter leaves, or both to half each). only_first / only_second
   * cut that one alone and fail where it cannot make enough room, as the
   * reference does; only_second fails on a single text it would have to cut.
   */
  strategy?: TruncationStrategy;
  /**
   * Tokens each overflowing window shares with the one before (default 0;
   * must be less than what truncation keeps of a text it cuts). Windows come
   * back with `returnOverflowing`; the kept ids are the same whatever the stride.
   */
  stride?: number;
}

/**
 * One text, or a pair of texts encoded together (`[text, pair]`: a question
 * and a passage, a query and a document). With `isSplitIntoWords`, a text is
 * a list of words instead: `words`, or `[words, pairWords]`.
 */
export type EncodeInput =
  string | readonly [string, string] | readonly string[] | readonly [readonly string[], readonly string[]];

export interface EncodeOptions {
  /** Add the post-processor's special tokens (BOS/EOS...). Default true, as the reference; Qwen3 adds none. */
  addSpecialTokens?: boolean;
  /** Treat special tokens written in the text as plain text (transformers' `split_special_tokens`). Default false. */
  splitSpecialTokens?: boolean;
  /** Cut the ids to a length (overrides tokenizer.json's `truncation`); `false` disables it. */
  truncation?: TruncationOptions | false;
  /**
   * Pad to one length (after truncation and the special tokens): `true` pads
   * as tokenizer.json's `padding` says (the batch's longest, pad id of
   * tokenizer_config.json's `pad_token`, where it has none); an object sets
   * any of its choices, the rest as `true` would. Default: no padding, as
   * transformers' default.
   */
  padding?: PaddingOptions | boolean;
  /**
   * Also return what truncation cut off, as `Encoding.overflowing` windows
   * (transformers' `return_overflowing_tokens`): for long documents read in
   * overlapping chunks (`truncation.stride`). encodeWithOffsets and
   * encodeBatchWithOffsets only. Default false.
   */
  returnOverflowing?: boolean;
  /**
   * The input is already split into words (transformers'
   * `is_split_into_words`, for token classification: one label per word):
   * each word is encoded on its own, as a text, and `wordIds` give the word's
   * index; offsets point into the word. Default false.
   */
  isSplitIntoWords?: boolean;
}

export interface CountTokensOptions {
  /**
   * Stop once the count is past this: the result is then some number above it
   * (a lower bound of the true count), and the work done is bounded by the
   * limit, not by the text. Default: no limit.
   */
  limit?: number;
  /** Count the post-processor's special tokens too (default true, as encode). */
  addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  skipSpecialTokens?: boolean;
  /**
   * Then remove the spaces the tokens leave before punctuation and English
   * contractions (" ." -> ".", " n't" -> "n't"...), as transformers' decode
   * does (`clean_up_tokenization`). Default: tokenizer_config.json's
   * `clean_up_tokenization_spaces` (true for GPT-2, Llama 3, BERT; false for
   * Qwen), else false. The cleaned text may no longer encode to the same ids.
   */
  cleanUpTokenizationSpaces?: boolean;
}

export interface Encoding {
  ids: number[];
  tokens: string[];
  /** [start, end) of each token in the input string, in UTF-16 units; [0, 0] for added post-processor tokens. */
  offsets: Array<[number, number]>;
  /** 1 for special tokens (added or post-processor) and padding, 0 otherwise. */
  specialTokensMask: number[];
  /** 1 for the text's tokens and special tokens, 0 for padding. */
  attentionMask: number[];
  /**
   * Token type (segment) ids: as the post-processor assigns them (BERT: 0 for
   * the first text and its special tokens, 1 for the pair's; a template's
   * `type_id`s), else 0; padding gets the pad type id.
   */
  typeIds: number[];
  /** Which text each token came from (0, or 1 for the pair); null for the post-processor's special tokens and padding. */
  sequenceIds: Array<number | null>;
  /**
   * The word of its text each token belongs to, counted from 0 in each text:
   * a word is one piece of the pre-tokenizer's split (the whole text without
   * a pre-tokenizer), and an added token written in the text is a word of its
   * own, as the reference's `word_ids()`. Null for the post-processor's
   * special tokens and padding.
   */
  wordIds: Array<number | null>;
  /**
   * With `returnOverflowing`: the windows truncation cut off, each laid out
   * and padded like this encoding (see `TruncationOptions.stride`), in the
   * reference's order (transformers' `[encoding, ...encoding.overflowing]`
   * after this one); empty when nothing was cut. Absent otherwise.
   */
  overflowing?: Encoding[];
}

export interface TokenizerLoadOptions {
  /** Where the data came from, for error messages. */
  file?: string;
  /** Words kept per generation of the word cache (default 50,000). */
  cacheSize?: number;
}

const ENCODE_KEYS = optionNames<EncodeOptions>({
  addSpecialTokens: true,
  splitSpecialTokens: true,
  truncation: true,
  padding: true,
  returnOverflowing: true,
  isSplitIntoWords: true,
});
const TRUNCATION_KEYS = optionNames<TruncationOptions>({
  maxLength: true,
  direction: true,
  strategy: true,
  stride: true,
});

/** tokenizer.json's truncation strategies by the names TruncationOptions uses. */
const JSON_STRATEGIES: Record<'LongestFirst' | 'OnlyFirst' | 'OnlySecond', TruncationStrategy> = {
  LongestFirst: 'longest_first',
  OnlyFirst: 'only_first',
  OnlySecond: 'only_second',
};

/** Truncation with every choice made; `named()` begins its errors (the strategy, and where it was set). */
interface ResolvedTruncation {
  maxLength: number;
  direction: 'left' | 'right';
  strategy: TruncationStrategy;
  named: () => string;
  stride: number;
  /** Names the stride and where it was set, to begin its error. */
  strideNamed: () => string;
}

/** One text of an input: a string, or its words (`isSplitIntoWords`). */
type InputText = string | readonly string[];
/** The checked text, or text and pair, of one input. */
type InputTexts = [InputText] | [InputText, InputText];
/** Each text's token count, in the input's order. */
type TextLengths = [number] | [number, number];

/** One text's tokens before truncation and the post-processor. */
interface TextTokens {
  ids: number[];
  offsets: Array<[number, number]>;
  special: number[];
  words: number[];
}
const COUNT_KEYS = optionNames<CountTokensOptions>({ limit: true, addSpecialTokens: true });
const DECODE_KEYS = optionNames<DecodeOptions>({ skipSpecialTokens: true, cleanUpTokenizationSpaces: true });
const LOAD_KEYS = optionNames<TokenizerLoadOptions>({ file: true, cacheSize: true });
const FROM_FILE_KEYS = optionNames<Omit<TokenizerLoadOptions, 'file'>>({ cacheSize: true });
const FROM_HUB_KEYS = [...HUB_OPTION_KEYS, ...FROM_FILE_KEYS];

/** The name errors give a tokenizer_config.json whose path is not known. */
const CONFIG_FILE = 'tokenizer_config.json';

/**
 * The scanner that does all of the pre-tokenizer's work, where there is one:
 * Split(Qwen's or Llama 3's pattern, Isolated) + ByteLevel without its own regex
 * or prefix space, or ByteLevel alone with GPT-2's regex and no prefix space,
 * under no normalizer or a Unicode one. encode then runs the scanner directly.
 */
function pipelineScanner(json: TokenizerJson): Scanner | null {
  if (json.normalizer && !['NFC', 'NFD', 'NFKC', 'NFKD'].includes(json.normalizer.type)) return null;
  const pre = json.pre_tokenizer;
  if (pre?.type === 'ByteLevel' && pre.add_prefix_space === false && pre.use_regex !== false) return gpt2Split;
  if (!pre || pre.type !== 'Sequence' || !Array.isArray(pre.pretokenizers) || pre.pretokenizers.length !== 2)
    return null;
  const [split, bl] = pre.pretokenizers as Array<Record<string, unknown>>;
  const pattern = split.pattern as { Regex?: string } | undefined;
  const digits = typeof pattern?.Regex === 'string' ? scannerDigitsFor(pattern.Regex) : 0;
  const ok =
    digits > 0 &&
    split.type === 'Split' &&
    (split.behavior ?? 'Isolated') === 'Isolated' &&
    !split.invert &&
    bl.type === 'ByteLevel' &&
    bl.add_prefix_space === false &&
    bl.use_regex === false;
  return ok ? qwenScanner(digits) : null;
}

let qwen3Instance: Tokenizer | undefined;

export class Tokenizer {
  readonly json: TokenizerJson;
  readonly config: TokenizerConfigJson;
  readonly model: TokenizerModel;
  readonly added: AddedVocabulary;
  private readonly normalizer: Normalizer | null;
  private readonly preTokenizer: PreTokenizer | null;
  private readonly postProcessor: PostProcessor | null;
  private readonly decoder: Decoder | null;
  /** Qwen-style pipeline: the hand-written scanner and byte-level BPE, no per-piece objects. */
  private readonly fast: boolean;
  private readonly scanner: Scanner | null;
  private ends: Int32Array = new Int32Array(4096);
  private tokenBytes: number | null | undefined;
  /** Where tokenizer.json and tokenizer_config.json were read from, for error messages. */
  private readonly file: string | undefined;
  private readonly configFile: string;

  private constructor(
    json: TokenizerJson,
    config: TokenizerConfigJson,
    options: TokenizerLoadOptions,
    configFile: string,
  ) {
    const file = options.file;
    this.file = file;
    this.configFile = configFile;
    if (
      options.cacheSize !== undefined &&
      !(typeof options.cacheSize === 'number' && Number.isInteger(options.cacheSize) && options.cacheSize >= 0)
    )
      throw new TypeError(`Tokenizer: cacheSize must be an integer >= 0, got ${describeValue(options.cacheSize)}`);
    this.json = json;
    this.config = config;
    this.model = buildModel(json.model, { cacheSize: options.cacheSize, file });
    // An added token on an id the vocabulary gives another token: decoding that id could give either
    // (the reference tokenizer keeps one silently). The same token on its vocabulary id is fine.
    (json.added_tokens ?? []).forEach((t, i) => {
      const taken = typeof t?.id === 'number' ? this.model.idToToken[t.id] : undefined;
      if (taken !== undefined && taken !== t.content)
        throw new TokenizerFormatError(
          `added_tokens[${i}].id`,
          `${t.id} is already the id of model.vocab[${JSON.stringify(taken)}] (this added token is ${JSON.stringify(t.content)})`,
          file,
        );
    });
    this.normalizer = buildNormalizer(json.normalizer, 'normalizer', file);
    const normalizer = this.normalizer;
    this.added = new AddedVocabulary(
      json.added_tokens ?? [],
      normalizer ? (text) => normalizer.normalize(text) : undefined,
    );
    this.preTokenizer = buildPreTokenizer(json.pre_tokenizer, 'pre_tokenizer', file);
    this.postProcessor = buildPostProcessor(json.post_processor, 'post_processor', file);
    this.decoder = buildDecoder(json.decoder, 'decoder', file);
    this.scanner = pipelineScanner(json);
    this.fast = this.scanner !== null && this.model.byteToId !== null && !this.added.hasNormalized;
  }

  /** From parsed (or string) tokenizer.json and, optionally, tokenizer_config.json. */
  static fromJSON(tokenizerJson: unknown, tokenizerConfig?: unknown, options: TokenizerLoadOptions = {}): Tokenizer {
    checkOptionsObject(options, 'Tokenizer.fromJSON: options');
    checkOptionNames(options, LOAD_KEYS, 'Tokenizer.fromJSON');
    return Tokenizer.load(tokenizerJson, tokenizerConfig, options, CONFIG_FILE);
  }

  /** fromJSON, with errors about tokenizer_config.json naming `configFile`, the path it was read from. */
  private static load(
    tokenizerJson: unknown,
    tokenizerConfig: unknown,
    options: TokenizerLoadOptions,
    configFile: string,
  ): Tokenizer {
    const parse = (v: unknown, what: string, file: string | undefined): unknown => {
      if (typeof v !== 'string') return v;
      try {
        return JSON.parse(v);
      } catch (err) {
        throw new TokenizerFormatError('(root)', `${what} is not valid JSON: ${(err as Error).message}`, file);
      }
    };
    const json = validateTokenizerJson(parse(tokenizerJson, 'tokenizer.json', options.file), options.file);
    const config =
      tokenizerConfig === undefined || tokenizerConfig === null
        ? {}
        : parse(tokenizerConfig, 'tokenizer_config.json', configFile);
    if (typeof config !== 'object' || config === null || Array.isArray(config)) {
      throw new TokenizerFormatError(
        '(root)',
        `tokenizer_config.json must be an object, got ${describeValue(config)}`,
        configFile,
      );
    }
    validateTokenizerConfig(config as Record<string, unknown>, configFile);
    return new Tokenizer(json, config as TokenizerConfigJson, options, configFile);
  }

  /**
   * From a folder holding tokenizer.json (and tokenizer_config.json if present), or
   * from the path of a tokenizer.json (its folder's tokenizer_config.json is used).
   */
  static fromFile(dirOrTokenizerJsonPath: string, options: Omit<TokenizerLoadOptions, 'file'> = {}): Tokenizer {
    if (typeof dirOrTokenizerJsonPath !== 'string' || dirOrTokenizerJsonPath === '')
      throw new TypeError(
        `Tokenizer.fromFile: expected the path of a folder or of a tokenizer.json, got ${describeValue(dirOrTokenizerJsonPath)}`,
      );
    checkOptionsObject(options, 'Tokenizer.fromFile: options');
    checkOptionNames(options, FROM_FILE_KEYS, 'Tokenizer.fromFile');
    let isDir: boolean;
    try {
      isDir = statSync(dirOrTokenizerJsonPath).isDirectory();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new Error(
        code === 'ENOENT'
          ? `Tokenizer.fromFile: ${dirOrTokenizerJsonPath}: no such file or folder (expected a folder holding tokenizer.json, or a tokenizer.json)`
          : `Tokenizer.fromFile: ${dirOrTokenizerJsonPath}: cannot read: ${(err as Error).message}`,
        { cause: err },
      );
    }
    const jsonPath = isDir ? join(dirOrTokenizerJsonPath, 'tokenizer.json') : dirOrTokenizerJsonPath;
    const dir = isDir ? dirOrTokenizerJsonPath : join(dirOrTokenizerJsonPath, '..');
    const configPath = join(dir, 'tokenizer_config.json');
    let config: unknown;
    try {
      config = JSON.parse(readFileSync(configPath, 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new TokenizerFormatError('(root)', `cannot read: ${(err as Error).message}`, configPath);
      }
    }
    let text: string;
    try {
      text = readFileSync(jsonPath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        throw new Error(`Tokenizer.fromFile: ${dirOrTokenizerJsonPath} has no tokenizer.json`, { cause: err });
      throw new TokenizerFormatError('(root)', `cannot read: ${(err as Error).message}`, jsonPath);
    }
    return Tokenizer.load(text, config, { cacheSize: options.cacheSize, file: jsonPath }, configPath);
  }

  /**
   * From a Hub repository (tokenizer.json, and tokenizer_config.json when the repo
   * has one), through @molrl/hub-cache and the Hub cache.
   */
  static async fromHub(
    repoId: string,
    options: HubOptions & Omit<TokenizerLoadOptions, 'file'> = {},
  ): Promise<Tokenizer> {
    checkOptionsObject(options, 'Tokenizer.fromHub: options');
    checkOptionNames(options, FROM_HUB_KEYS, 'Tokenizer.fromHub');
    // Both files from the one commit the revision names; errors name the files in the cache.
    const [json, config] = await hubFilesWithPaths(repoId, ['tokenizer.json', 'tokenizer_config.json'], options);
    if (json === null) throw new Error(`${repoId}@${options.revision ?? 'main'}: the repository has no tokenizer.json`);
    return Tokenizer.load(
      json.text,
      config === null ? undefined : config.text,
      { cacheSize: options.cacheSize, file: json.path },
      config === null ? CONFIG_FILE : config.path,
    );
  }

  /** Qwen3's tokenizer, offline (one shared instance; loading takes a moment). */
  static qwen3(): Tokenizer {
    if (!qwen3Instance) {
      const f = qwen3TokenizerFiles();
      qwen3Instance = Tokenizer.load(
        f.tokenizerJson,
        f.tokenizerConfig,
        { file: f.tokenizerJsonPath },
        f.tokenizerConfigPath,
      );
    }
    return qwen3Instance;
  }

  // ---- vocabulary -------------------------------------------------------

  /** Model vocabulary plus added tokens. */
  get vocabSize(): number {
    let max = this.model.vocabSize - 1;
    for (const t of this.added.tokens) max = Math.max(max, t.id);
    return max + 1;
  }

  /** The id of a token (a vocabulary or added token's string); undefined when there is none. */
  tokenToId(token: string): number | undefined {
    if (typeof token !== 'string')
      throw new TypeError(`Tokenizer.tokenToId: token must be a string, got ${describeValue(token)}`);
    return this.added.byContent.get(token)?.id ?? this.model.vocab.get(token);
  }

  /** The token string of an id; undefined when no token has it. */
  idToToken(id: number): string | undefined {
    if (typeof id !== 'number' || !Number.isInteger(id))
      throw new TypeError(`Tokenizer.idToToken: id must be an integer, got ${describeValue(id)}`);
    return this.added.byId.get(id)?.content ?? (id >= 0 ? this.model.idToToken[id] : undefined);
  }

  /** Special token strings of tokenizer_config.json (undefined when not set). */
  get eosToken(): string | undefined {
    return tokenContent(this.config.eos_token);
  }

  get bosToken(): string | undefined {
    return tokenContent(this.config.bos_token);
  }

  get padToken(): string | undefined {
    return tokenContent(this.config.pad_token);
  }

  get specialTokenIds(): number[] {
    return this.added.tokens.filter((t) => t.special).map((t) => t.id);
  }

  // ---- encoding ---------------------------------------------------------

  encode(input: EncodeInput, options: EncodeOptions = {}): number[] {
    checkEncodeOptions(options, 'Tokenizer.encode');
    const texts = inputTexts(input, 'Tokenizer.encode: text', options);
    refuseOverflowing(options, 'Tokenizer.encode');
    const ids = this.encodeIds(texts, options, 'Tokenizer.encode');
    const padding = this.resolvePadding(options.padding, 'Tokenizer.encode');
    return padding ? padIdRows([ids], padding)[0] : ids;
  }

  /**
   * One input's ids: each text's, truncated together, laid out with the
   * post-processor's special tokens; unpadded (input and options checked).
   */
  private encodeIds(texts: InputTexts, options: EncodeOptions, where: string): number[] {
    const split = options.splitSpecialTokens ?? false;
    const layout = this.layout(texts.length === 2, options.addSpecialTokens ?? true);
    const truncation = this.truncation(options, where);
    const bare = layout.length === 1 && 'sequence' in layout[0]! && layout[0].sequence === 0;
    // One text, nothing to cut or add (Qwen3's encode): its ids as they come.
    if (bare && truncation === null) return this.textIds(texts[0], split);
    const rows = texts.map((text) => this.textIds(text, split));
    const kept = this.keptLengths(rows.map((r) => r.length) as TextLengths, layout, truncation);
    const direction = truncation?.direction ?? 'right';
    const cut = rows.map((r, i) => cutRow(r, kept[i]!, direction));
    if (bare) return cut[0]!;
    const out: number[] = [];
    for (const part of layout) {
      if ('sequence' in part) {
        const row = cut[part.sequence]!;
        for (let i = 0; i < row.length; i++) out.push(row[i]!);
      } else out.push(...part.ids);
    }
    return out;
  }

  /** One text's ids before truncation and the post-processor (a list of words: each word's in turn). */
  private textIds(text: InputText, split: boolean): number[] {
    if (typeof text !== 'string') return text.flatMap((word) => this.textIds(word, split));
    const ids: number[] = [];
    const matches = this.added.find(text, false, split);
    let last = 0;
    for (const m of matches) {
      if (m.start > last) this.encodeSegmentIds(text.slice(last, m.start), split, ids, last === 0);
      ids.push(m.id);
      last = m.end;
    }
    if (last < text.length) this.encodeSegmentIds(last === 0 ? text : text.slice(last), split, ids, last === 0);
    return ids;
  }

  /** Each input's ids (a text, or a [text, pair]), padded together when `options.padding` asks. */
  encodeBatch(inputs: EncodeInput[], options: EncodeOptions = {}): number[][] {
    const where = 'Tokenizer.encodeBatch';
    checkEncodeOptions(options, where);
    const batch = batchTexts(inputs, where, options);
    refuseOverflowing(options, where);
    const padding = this.resolvePadding(options.padding, where);
    const rows = batch.map((texts) => this.encodeIds(texts, options, where));
    return padding ? padIdRows(rows, padding) : rows;
  }

  /** encodeWithOffsets of each input, padded together when `options.padding` asks (attentionMask tells pads apart). */
  encodeBatchWithOffsets(inputs: EncodeInput[], options: EncodeOptions = {}): Encoding[] {
    const where = 'Tokenizer.encodeBatchWithOffsets';
    checkEncodeOptions(options, where);
    const batch = batchTexts(inputs, where, options);
    const padding = this.resolvePadding(options.padding, where);
    const encodings = batch.map((texts) => this.encodeOffsets(texts, options, where));
    return padding ? padEncodings(encodings, padding) : encodings;
  }

  /**
   * Encode with tokens, character offsets, the special-tokens mask and the
   * token type ids. For a [text, pair], each offset points into the text its
   * token came from (`sequenceIds` says which).
   */
  encodeWithOffsets(input: EncodeInput, options: EncodeOptions = {}): Encoding {
    const where = 'Tokenizer.encodeWithOffsets';
    checkEncodeOptions(options, where);
    const texts = inputTexts(input, `${where}: text`, options);
    const encoding = this.encodeOffsets(texts, options, where);
    const padding = this.resolvePadding(options.padding, where);
    return padding ? padEncodings([encoding], padding)[0] : encoding;
  }

  /**
   * One input's encoding, truncated and with the special tokens, unpadded
   * (input and options checked); with `returnOverflowing`, the windows cut off too.
   */
  private encodeOffsets(texts: InputTexts, options: EncodeOptions, where: string): Encoding {
    const split = options.splitSpecialTokens ?? false;
    const parts = texts.map((text) => this.textOffsets(text, split));
    const layout = this.layout(parts.length === 2, options.addSpecialTokens ?? true);
    const truncation = this.truncation(options, where);
    const kept = this.keptLengths(parts.map((p) => p.ids.length) as TextLengths, layout, truncation);
    const windows = parts.map((p, i): Array<[number, number]> =>
      truncation
        ? truncationWindows(p.ids.length, kept[i]!, truncation.stride, truncation.direction)
        : [[0, p.ids.length]],
    );
    const main = this.laidOut(layout, parts, windows, null);
    if (options.returnOverflowing)
      main.overflowing = overflowChoices(
        layout,
        windows.map((w) => w.length),
      ).map((choice) => this.laidOut(layout, parts, windows, choice));
    return main;
  }

  /**
   * The layout filled with the texts' tokens: for each of the layout's text
   * parts, the window `choice` picks (null: each text's first, what encode keeps).
   */
  private laidOut(
    layout: readonly LayoutPart[],
    parts: readonly TextTokens[],
    windows: ReadonlyArray<ReadonlyArray<[number, number]>>,
    choice: readonly number[] | null,
  ): Encoding {
    const out: Encoding = {
      ids: [],
      tokens: [],
      offsets: [],
      specialTokensMask: [],
      attentionMask: [],
      typeIds: [],
      sequenceIds: [],
      wordIds: [],
    };
    // The first use of a text's offset pairs hands them out; a text a template
    // lays out twice, and every overflowing window, gets its own.
    const laidOut = [choice !== null, choice !== null];
    layout.forEach((part, k) => {
      if ('sequence' in part) {
        const p = parts[part.sequence]!;
        const [a, b] = windows[part.sequence]![choice ? choice[k]! : 0]!;
        const again = laidOut[part.sequence]!;
        laidOut[part.sequence] = true;
        for (let i = a; i < b; i++) {
          const id = p.ids[i]!;
          const offset = p.offsets[i]!;
          out.ids.push(id);
          out.tokens.push(this.idToToken(id) ?? '');
          out.offsets.push(again ? [offset[0], offset[1]] : offset);
          out.specialTokensMask.push(p.special[i]!);
          out.typeIds.push(part.typeId);
          out.sequenceIds.push(part.sequence);
          out.wordIds.push(p.words[i]!);
        }
      } else {
        part.ids.forEach((id, i) => {
          out.ids.push(id);
          out.tokens.push(part.tokens[i]!);
          out.offsets.push([0, 0]);
          out.specialTokensMask.push(1);
          out.typeIds.push(part.typeId);
          out.sequenceIds.push(null);
          out.wordIds.push(null);
        });
      }
    });
    out.attentionMask = out.ids.map(() => 1);
    return out;
  }

  /**
   * One text's ids, offsets into it, special flags and word indices, before
   * truncation and the post-processor. A list of words: each word encoded as
   * a text, its tokens given the word's index and offsets into the word (the
   * reference's pre-tokenized input).
   */
  private textOffsets(text: InputText, split: boolean): TextTokens {
    if (typeof text !== 'string') {
      const tokens: TextTokens = { ids: [], offsets: [], special: [], words: [] };
      text.forEach((word, w) => {
        const one = this.textOffsets(word, split);
        for (let i = 0; i < one.ids.length; i++) {
          tokens.ids.push(one.ids[i]!);
          tokens.offsets.push(one.offsets[i]!);
          tokens.special.push(one.special[i]!);
          tokens.words.push(w);
        }
      });
      return tokens;
    }
    const tokens: TextTokens = { ids: [], offsets: [], special: [], words: [] };
    const matches = this.added.find(text, false, split);
    let last = 0;
    let word = 0;
    const segment = (a: number, b: number) => {
      if (b > a) word = this.encodeSegmentOffsets(text, a, b, split, tokens, word, a === 0);
    };
    for (const m of matches) {
      segment(last, m.start);
      tokens.ids.push(m.id);
      tokens.offsets.push([m.start, m.end]);
      tokens.special.push(this.added.isSpecial(m.id) ? 1 : 0);
      tokens.words.push(word++);
      last = m.end;
    }
    segment(last, text.length);
    if (this.postProcessor?.trimOffsets) trimOffsets(text, tokens.offsets);
    return tokens;
  }

  /**
   * The special tokens encoding adds to one text (`pair` false) or to a pair:
   * transformers' `num_special_tokens_to_add`, what truncation leaves room for.
   */
  numSpecialTokensToAdd(pair = false): number {
    if (typeof pair !== 'boolean')
      throw new TypeError(`Tokenizer.numSpecialTokensToAdd: pair must be a boolean, got ${describeValue(pair)}`);
    return addedTokenCount(this.layout(pair, true));
  }

  /** The parts of an encoding of one text or a pair (the post-processor's, or the texts in turn without one). */
  private layout(pair: boolean, addSpecialTokens: boolean): readonly LayoutPart[] {
    return this.postProcessor ? this.postProcessor.layout(pair, addSpecialTokens) : defaultLayout(pair);
  }

  /**
   * The padding `options.padding` asks for, every choice made: its own fields,
   * then tokenizer.json's `padding`, then the reference's defaults ('longest',
   * right, no rounding); the pad id from tokenizer.json, else tokenizer_config.json's
   * `pad_token`. Null for no padding.
   */
  private resolvePadding(padding: EncodeOptions['padding'], where: string): ResolvedPadding | null {
    if (padding === undefined || padding === false) return null;
    const asked = padding === true ? {} : padding;
    const json = this.json.padding ?? null;
    const fixed = json?.strategy !== undefined && json.strategy !== 'BatchLongest' ? json.strategy.Fixed : undefined;
    let padId = asked.padId;
    let padToken: string | undefined;
    let source = 'options.padding.padId';
    if (padId === undefined && json) {
      padId = json.pad_id ?? 0;
      padToken = json.pad_token ?? '[PAD]';
      source = `${this.file ?? 'tokenizer.json'}: padding.pad_id`;
    } else if (padId === undefined) {
      const token = this.padToken;
      if (token === undefined)
        throw new Error(
          `${where}: padding needs a pad id, and this tokenizer names none (tokenizer.json has no padding, ` +
            `${this.configFile} no pad_token); pass options.padding.padId`,
        );
      padId = this.tokenToId(token);
      if (padId === undefined)
        throw new Error(
          `${where}: ${this.configFile}: pad_token ${JSON.stringify(token)} is not a token of this tokenizer`,
        );
    }
    // The json's pad_token names the pads (as the reference shows them); the id must still be a token's.
    const idToken = this.idToToken(padId);
    padToken ??= idToken;
    if (idToken === undefined || padToken === undefined)
      throw new RangeError(
        `${where}: ${source} ${padId} is not a token id of this tokenizer (vocabulary size ${this.vocabSize})`,
      );
    return {
      length: asked.length ?? fixed ?? 'longest',
      padToMultipleOf: asked.padToMultipleOf ?? json?.pad_to_multiple_of ?? 0,
      direction: asked.direction ?? (json?.direction === 'Left' ? 'left' : 'right'),
      padId,
      padTypeId: asked.padTypeId ?? json?.pad_type_id ?? 0,
      padToken,
    };
  }

  /** The truncation `options` ask for (theirs, else tokenizer.json's), or null for none. */
  private truncation(options: EncodeOptions, where: string): ResolvedTruncation | null {
    if (options.truncation === false) return null;
    const t = options.truncation;
    if (t) {
      const strategy = t.strategy ?? 'longest_first';
      return {
        maxLength: t.maxLength,
        direction: t.direction ?? 'right',
        strategy,
        named: () => `${where}: options.truncation.strategy "${strategy}"`,
        stride: t.stride ?? 0,
        strideNamed: () => `${where}: options.truncation.stride`,
      };
    }
    const json = this.json.truncation;
    if (!json) return null;
    const strategy = json.strategy ?? 'LongestFirst';
    return {
      maxLength: json.max_length,
      direction: json.direction === 'Left' ? 'left' : 'right',
      strategy: JSON_STRATEGIES[strategy],
      named: () => `${this.file ?? 'tokenizer.json'}: truncation.strategy "${strategy}"`,
      stride: json.stride ?? 0,
      strideNamed: () => `${this.file ?? 'tokenizer.json'}: truncation.stride`,
    };
  }

  /**
   * How many tokens of each text truncation keeps: the layout's special
   * tokens (none where they are not added) count against the limit, as the reference's.
   */
  private keptLengths(lengths: TextLengths, layout: readonly LayoutPart[], t: ResolvedTruncation | null): number[] {
    if (!t) return lengths;
    const room = t.maxLength - addedTokenCount(layout);
    const kept = truncatedLengths(lengths, room, t.strategy, t.named);
    checkStride(lengths, kept, t.stride, room, t.strideNamed);
    return kept;
  }

  /** Ids of a text segment that holds no raw-matched added token; `atInputStart`: it begins the input. */
  private encodeSegmentIds(segment: string, split: boolean, ids: number[], atInputStart: boolean): void {
    if (this.fast) {
      const text = this.normalizer ? this.normalizer.normalize(segment) : segment;
      const [ends, n] = this.scanner!(text, 0, text.length, this.ends);
      this.ends = ends;
      const model = this.model;
      let a = 0;
      for (let i = 0; i < n; i++) {
        const b = ends[i];
        const w = model.encodeByteLevelWord(text, a, b);
        const k = w.length >> 1;
        for (let j = 0; j < k; j++) ids.push(w[j]);
        a = b;
      }
      return;
    }
    // The general pipeline, ids only: no alignment through the normalizer, no offsets per token.
    const text = this.normalizer ? this.normalizer.normalize(segment) : segment;
    this.walkNormalized(
      text,
      split,
      atInputStart,
      (_p, w) => {
        const n = w.length >> 1;
        for (let j = 0; j < n; j++) ids.push(w[j]!);
      },
      (m) => ids.push(m.id),
    );
  }

  /**
   * The pipeline past the normalizer over one segment's normalized text: the
   * added tokens marked `normalized` found in it (`onAdded`), and between them
   * each piece of the pre-tokenizer's split with the model's encoding of it
   * (`onPiece`), in the text's order.
   */
  private walkNormalized(
    text: string,
    split: boolean,
    atInputStart: boolean,
    onPiece: (p: Piece, w: EncodedWord, byteLevel: boolean) => void,
    onAdded: (m: AddedTokenMatch) => void,
  ): void {
    const byteLevel = this.preTokenizer?.byteLevel ?? false;
    const run = (s: number, e: number) => {
      if (e <= s) return;
      let pieces: Piece[] = [{ text: text.slice(s, e), start: s, end: e, lead: 0 }];
      if (this.preTokenizer) pieces = this.preTokenizer.split(pieces, atInputStart && s === 0);
      for (const p of pieces)
        onPiece(
          p,
          byteLevel ? this.model.encodeByteLevelWord(p.text, 0, p.text.length) : this.model.encodeWord(p.text),
          byteLevel,
        );
    };
    let last = 0;
    if (this.added.hasNormalized)
      for (const m of this.added.find(text, true, split)) {
        run(last, m.start);
        onAdded(m);
        last = m.end;
      }
    run(last, text.length);
  }

  /**
   * The general pipeline over text[a, b), with offsets into `text`, appended
   * to `tokens`; its words are numbered from `word` on. Returns the next word's number.
   */
  private encodeSegmentOffsets(
    text: string,
    a: number,
    b: number,
    split: boolean,
    tokens: TextTokens,
    word: number,
    atInputStart: boolean,
  ): number {
    const raw = text.slice(a, b);
    let aligned: AlignedText = { text: raw, starts: null, ends: null };
    if (this.normalizer) aligned = this.normalizer.normalizeAligned(aligned);
    const toOriginal = (s: number, e: number): [number, number] => {
      if (aligned.starts === null || aligned.ends === null) return [a + s, a + e];
      if (e <= s) {
        const at = s < aligned.starts.length ? aligned.starts[s] : b - a;
        return [a + at, a + at];
      }
      return [a + aligned.starts[s], a + aligned.ends[e - 1]];
    };
    // Each piece is a word, as each split is in the reference, whether or not it yields tokens.
    this.walkNormalized(
      aligned.text,
      split,
      atInputStart,
      (p, w, byteLevel) => this.pushWordWithOffsets(p, w, byteLevel, toOriginal, tokens, word++),
      (m) => {
        tokens.ids.push(m.id);
        tokens.offsets.push(toOriginal(m.start, m.end));
        tokens.special.push(this.added.isSpecial(m.id) ? 1 : 0);
        tokens.words.push(word++);
      },
    );
    return word;
  }

  private pushWordWithOffsets(
    p: Piece,
    w: EncodedWord,
    byteLevel: boolean,
    toOriginal: (s: number, e: number) => [number, number],
    tokens: TextTokens,
    word: number,
  ): void {
    // Unit span of each initial symbol of the word (a UTF-8 byte, or a code point).
    const symStart: number[] = [];
    const symEnd: number[] = [];
    for (let i = 0; i < p.text.length;) {
      const cp = p.text.codePointAt(i)!;
      const width = cp > 0xffff ? 2 : 1;
      const count = byteLevel ? (cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4) : 1;
      for (let k = 0; k < count; k++) {
        symStart.push(i);
        symEnd.push(i + width);
      }
      i += width;
    }
    const n = w.length >> 1;
    let sym = 0;
    for (let j = 0; j < n; j++) {
      const len = w[n + j];
      const first = Math.min(sym, symStart.length - 1);
      const lastSym = Math.min(sym + Math.max(len, 1) - 1, symEnd.length - 1);
      const u0 = symStart[first];
      const u1 = symEnd[lastSym];
      const s = p.start + Math.max(0, u0 - p.lead);
      const e = p.start + Math.max(0, u1 - p.lead);
      tokens.ids.push(w[j]);
      tokens.offsets.push(toOriginal(s, e));
      tokens.special.push(0);
      tokens.words.push(word);
      sym += len;
    }
  }

  // ---- counting ---------------------------------------------------------

  /**
   * The most bytes of (normalized) input one token stands for: the longest
   * vocabulary or added token in UTF-8 bytes (a byte-level token's characters
   * are one byte each, fewer than their UTF-8 form), at least 4 when an unknown
   * character becomes the unk token. Null when no such bound holds: a
   * pre-tokenizer that removes text, or an unk token standing for a stretch
   * of any length (BPE's `fuse_unk`, which joins a run of unknown characters;
   * WordPiece's, which stands for a whole word). A text of B normalized bytes has then at
   * least B / maxTokenBytes tokens.
   */
  get maxTokenBytes(): number | null {
    if (this.tokenBytes === undefined) {
      let max = 1;
      for (const token of this.model.vocab.keys()) max = Math.max(max, utf8Length(token));
      for (const t of this.added.tokens) max = Math.max(max, utf8Length(t.content));
      if (this.model.unkId >= 0) max = Math.max(max, 4);
      const bounded = preservesInput(this.json.pre_tokenizer) && !this.model.unkSpansRuns;
      this.tokenBytes = bounded ? max : null;
    }
    return this.tokenBytes;
  }

  /**
   * How many ids `encode(text, { truncation: false })` gives, exactly when it is
   * at most `limit`. Past the limit it stops early: a segment (the text between
   * two added tokens) whose normalized bytes exceed what is left times
   * `maxTokenBytes` is known to overflow without being tokenized, so a 50 MB
   * text costs one pass over its characters, not its tokenization.
   */
  countTokens(text: string, options: CountTokensOptions = {}): number {
    text = wellFormed(text, 'Tokenizer.countTokens: text');
    checkOptionsObject(options, 'Tokenizer.countTokens: options');
    checkOptionNames(options, COUNT_KEYS, 'Tokenizer.countTokens');
    const limit = options.limit ?? Infinity;
    if (!(typeof limit === 'number' && (limit === Infinity || (Number.isInteger(limit) && limit >= 0))))
      throw new TypeError(`Tokenizer.countTokens: options.limit must be an integer >= 0, got ${describeValue(limit)}`);
    if (options.addSpecialTokens !== undefined && typeof options.addSpecialTokens !== 'boolean')
      throw new TypeError(
        `Tokenizer.countTokens: options.addSpecialTokens must be a boolean, got ${describeValue(options.addSpecialTokens)}`,
      );
    let count = (options.addSpecialTokens ?? true) ? addedTokenCount(this.layout(false, true)) : 0;
    const bytesPerToken = this.maxTokenBytes;
    const segment = (a: number, b: number) => {
      if (b <= a || count > limit) return;
      const piece = text.slice(a, b);
      if (bytesPerToken !== null && limit !== Infinity) {
        const bytes = utf8Length(this.normalizer ? this.normalizer.normalize(piece) : piece);
        const atLeast = Math.ceil(bytes / bytesPerToken);
        if (count + atLeast > limit) {
          count += atLeast;
          return;
        }
      }
      const ids: number[] = [];
      this.encodeSegmentIds(piece, false, ids, a === 0);
      count += ids.length;
    };
    let last = 0;
    for (const m of this.added.find(text, false, false)) {
      segment(last, m.start);
      count++;
      last = m.end;
      if (count > limit) return count;
    }
    segment(last, text.length);
    return count;
  }

  /**
   * The length of a prefix of `text` whose encoding begins with the same
   * `maxTokens` ids as the encoding of `text` (ignoring the post-processor's
   * special tokens): encoding just that prefix gives the first maxTokens tokens
   * without tokenizing the rest. Segments between added tokens encode
   * independently; inside the segment where the limit falls, the Qwen-style
   * scanner pipeline is cut at a piece boundary one piece past the limit (a
   * piece's tokens depend only on it, and the scanner decides a piece from at
   * most two characters past it; the text is scanned in windows, two pieces of
   * each window rescanned with the next). Other pipelines, or a segment the
   * normalizer changes, end the prefix at the end of that segment. The text's
   * length when it has no more than maxTokens tokens.
   */
  prefixFor(text: string, maxTokens: number): number {
    text = wellFormed(text, 'Tokenizer.prefixFor: text');
    if (!(typeof maxTokens === 'number' && Number.isInteger(maxTokens) && maxTokens >= 0))
      throw new TypeError(`Tokenizer.prefixFor: maxTokens must be an integer >= 0, got ${describeValue(maxTokens)}`);
    let count = 0;
    let last = 0;
    const segment = (a: number, b: number): number | null => {
      if (b <= a) return null;
      const left = maxTokens - count;
      const bytesPerToken = this.maxTokenBytes;
      const piece = text.slice(a, b);
      // Within what is left, tokenizing it costs no more than the limit allows; else its pieces are walked.
      const fits = bytesPerToken !== null && utf8Length(piece) <= left * bytesPerToken;
      if (fits) {
        const ids: number[] = [];
        this.encodeSegmentIds(piece, false, ids, a === 0);
        if (ids.length <= left) {
          count += ids.length;
          return null;
        }
      }
      return this.fast ? this.scannerCut(text, a, b, left) : b;
    };
    for (const m of this.added.find(text, false, false)) {
      const cut = segment(last, m.start);
      if (cut !== null) return cut;
      count++;
      last = m.end;
      if (count >= maxTokens) return m.end;
    }
    return segment(last, text.length) ?? text.length;
  }

  /**
   * In text[a, b) (one segment, the scanner pipeline), the end of the piece
   * after the one where the token count passes `left`; b when the segment has
   * no more than `left` tokens or the normalizer changes the window.
   */
  private scannerCut(text: string, a: number, b: number, left: number): number {
    let count = 0;
    let pos = a;
    let window = 4096;
    let ends: Int32Array = new Int32Array(256);
    let pastLimit = false;
    while (pos < b) {
      const end = Math.min(b, pos + window);
      const chunk = text.slice(pos, end);
      // Offsets must stay those of the text: a window the normalizer would change ends the search.
      if (this.normalizer && this.normalizer.normalize(chunk) !== chunk) return b;
      let n: number;
      [ends, n] = this.scanner!(text, pos, end, ends);
      // The last two pieces of a window may change with what follows it: scan them again with the next window.
      const usable = end === b ? n : n - 2;
      if (usable < 1) {
        window *= 2;
        continue;
      }
      let start = pos;
      for (let i = 0; i < usable; i++) {
        const pieceEnd = ends[i]!;
        if (pastLimit) return pieceEnd;
        count += this.model.encodeByteLevelWord(text, start, pieceEnd).length >> 1;
        if (count > left) pastLimit = true;
        start = pieceEnd;
      }
      pos = start;
    }
    return b;
  }

  // ---- decoding ---------------------------------------------------------

  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    checkDecodeOptions(options, 'Tokenizer.decode');
    const text = this.decodeIds(ids, options.skipSpecialTokens ?? false, 'Tokenizer.decode', 'ids');
    return this.cleanUp(options) ? cleanUpTokenization(text) : text;
  }

  /** `decode` of each row (transformers' `batch_decode`): padded rows decode with `skipSpecialTokens` where the pad is special. */
  decodeBatch(rows: ArrayLike<number>[], options: DecodeOptions = {}): string[] {
    if (!Array.isArray(rows))
      throw new TypeError(`Tokenizer.decodeBatch: rows must be an array of id arrays, got ${describeValue(rows)}`);
    checkDecodeOptions(options, 'Tokenizer.decodeBatch');
    const skip = options.skipSpecialTokens ?? false;
    const cleanUp = this.cleanUp(options);
    return rows.map((ids, r) => {
      const text = this.decodeIds(ids, skip, 'Tokenizer.decodeBatch', `rows[${r}]`);
      return cleanUp ? cleanUpTokenization(text) : text;
    });
  }

  /** Whether decode cleans up spaces: the option, else tokenizer_config.json's flag. */
  private cleanUp(options: DecodeOptions): boolean {
    return options.cleanUpTokenizationSpaces ?? this.config.clean_up_tokenization_spaces ?? false;
  }

  /** The text of `ids` (`what` names them in errors, under `where`). */
  private decodeIds(ids: ArrayLike<number>, skip: boolean, where: string, what: string): string {
    if (!Array.isArray(ids) && !(ArrayBuffer.isView(ids) && !(ids instanceof DataView)))
      throw new TypeError(`${where}: ${what} must be an array or a typed array of ids, got ${describeValue(ids)}`);
    const tokens: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (typeof id !== 'number')
        throw new TypeError(`${where}: ${what}[${i}] must be a number, got ${describeValue(id)}`);
      const added = this.added.byId.get(id);
      if (added) {
        if (skip && added.special) continue;
        tokens.push(added.content);
        continue;
      }
      const t = this.model.idToToken[id];
      if (t === undefined)
        throw new RangeError(
          `${where}: id ${id} (at index ${i}${what === 'ids' ? '' : ` of ${what}`}) is not in the vocabulary of ${this.vocabSize}`,
        );
      tokens.push(t);
    }
    if (this.decoder) return this.decoder(tokens).join('');
    return tokens.join(' ');
  }

  // ---- chat -------------------------------------------------------------

  /** Render a conversation with the tokenizer config's chat template, as transformers does. */
  applyChatTemplate(messages: ChatMessage[], options: ChatTemplateOptions = {}): string {
    return renderChatTemplate(this.config, messages, options, this.configFile);
  }

  /** Render and encode a conversation; label every token with its message and role. */
  encodeChat(messages: ChatMessage[], options: EncodeChatOptions = {}): EncodedChat {
    return encodeChat(this, messages, options);
  }
}

/** UTF-8 length of a well-formed string, without encoding it. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

function checkOptionsObject(options: unknown, what: string): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new TypeError(`${what} must be an object, got ${describeValue(options)}`);
}

function checkDecodeOptions(options: DecodeOptions, where: string): void {
  checkOptionsObject(options, `${where}: options`);
  checkOptionNames(options, DECODE_KEYS, where);
  for (const key of ['skipSpecialTokens', 'cleanUpTokenizationSpaces'] as const)
    if (options[key] !== undefined && typeof options[key] !== 'boolean')
      throw new TypeError(`${where}: options.${key} must be a boolean, got ${describeValue(options[key])}`);
}

function checkEncodeOptions(options: EncodeOptions, where: string): void {
  checkOptionsObject(options, `${where}: options`);
  checkOptionNames(options, ENCODE_KEYS, where);
  for (const key of ['addSpecialTokens', 'splitSpecialTokens', 'returnOverflowing', 'isSplitIntoWords'] as const) {
    const v = options[key];
    if (v !== undefined && typeof v !== 'boolean')
      throw new TypeError(`${where}: options.${key} must be a boolean, got ${describeValue(v)}`);
  }
  checkPaddingOption(options.padding, where);
  const t = options.truncation;
  if (t === undefined || t === false) return;
  if (typeof t !== 'object' || t === null || Array.isArray(t))
    throw new TypeError(
      `${where}: options.truncation must be false or { maxLength, direction?, strategy?, stride? }, got ${describeValue(t)}`,
    );
  checkOptionNames(t, TRUNCATION_KEYS, where, { prefix: 'truncation.' });
  if (!(typeof t.maxLength === 'number' && Number.isInteger(t.maxLength) && t.maxLength >= 0))
    throw new TypeError(
      `${where}: options.truncation.maxLength must be an integer >= 0, got ${describeValue(t.maxLength)}`,
    );
  if (t.direction !== undefined && t.direction !== 'left' && t.direction !== 'right')
    throw new TypeError(
      `${where}: options.truncation.direction must be "left" or "right", got ${describeValue(t.direction)}`,
    );
  if (t.stride !== undefined && !(typeof t.stride === 'number' && Number.isInteger(t.stride) && t.stride >= 0))
    throw new TypeError(`${where}: options.truncation.stride must be an integer >= 0, got ${describeValue(t.stride)}`);
  if (t.strategy !== undefined && !TRUNCATION_STRATEGIES.includes(t.strategy))
    throw new TypeError(
      `${where}: options.truncation.strategy must be one of ${TRUNCATION_STRATEGIES.map((v) => `"${v}"`).join(', ')}, ` +
        `got ${describeValue(t.strategy)}`,
    );
}

/** `returnOverflowing` asks for windows, which only the encodings of encodeWithOffsets can carry. */
function refuseOverflowing(options: EncodeOptions, where: string): void {
  if (options.returnOverflowing)
    throw new Error(
      `${where}: options.returnOverflowing needs encodings to put the windows in; ` +
        'use encodeWithOffsets or encodeBatchWithOffsets (their .overflowing)',
    );
}

/**
 * Which window of each text every overflowing encoding lays out, one entry
 * per layout part (0 for special tokens): the order the reference's
 * `Encoding::merge_with` makes them as it joins the layout's parts in turn,
 * flattened one level as transformers returns them. For each part of a text
 * with windows W0 (kept) and W1...: every window so far joined with each of
 * W0, W1..., then the kept encoding so far joined with each of W1...
 */
function overflowChoices(layout: readonly LayoutPart[], windowCounts: readonly number[]): number[][] {
  const main: number[] = [];
  let rows: number[][] = [];
  for (const part of layout) {
    if (!('sequence' in part)) {
      main.push(0);
      for (const r of rows) r.push(0);
      continue;
    }
    const n = windowCounts[part.sequence]!;
    const next: number[][] = [];
    for (const r of rows) for (let j = 0; j < n; j++) next.push([...r, j]);
    for (let j = 1; j < n; j++) next.push([...main, j]);
    rows = next;
    main.push(0);
  }
  return rows;
}

/**
 * An input's texts, each well-formed: a string, or a [text, pair] of two
 * strings; with `isSplitIntoWords`, a list of words, or a [words, pairWords]
 * of two lists (`what` names it in errors).
 */
function inputTexts(input: EncodeInput, what: string, options: EncodeOptions): InputTexts {
  if (options.isSplitIntoWords) {
    if (Array.isArray(input) && input.every((w) => typeof w === 'string'))
      return [(input as string[]).map((w, i) => wellFormed(w, `${what}[${i}]`))];
    if (Array.isArray(input) && input.length === 2 && input.every((t) => Array.isArray(t)))
      return (input as string[][]).map((words, t) => words.map((w, i) => wellFormed(w, `${what}[${t}][${i}]`))) as [
        string[],
        string[],
      ];
    throw new TypeError(
      `${what} must be a list of words, or a [words, pairWords] array of two lists (isSplitIntoWords), ` +
        `got ${describeValue(input)}`,
    );
  }
  if (typeof input === 'string') return [wellFormed(input, what)];
  if (Array.isArray(input) && input.length === 2)
    return [wellFormed(input[0] as string, `${what}[0]`), wellFormed(input[1] as string, `${what}[1]`)];
  throw new TypeError(`${what} must be a string, or a [text, pair] array of two strings, got ${describeValue(input)}`);
}

/** A batch's inputs, each checked (`where` names the method). */
function batchTexts(inputs: EncodeInput[], where: string, options: EncodeOptions): InputTexts[] {
  if (!Array.isArray(inputs))
    throw new TypeError(
      `${where}: texts must be an array of ${options.isSplitIntoWords ? 'word lists or [words, pairWords] arrays' : 'strings or [text, pair] arrays'}, got ${describeValue(inputs)}`,
    );
  return inputs.map((input, i) => inputTexts(input, `${where}: texts[${i}]`, options));
}

/** [start, end) of the `keep` ids truncation leaves of `n`, cut at `direction`'s end. */
function cutRange(n: number, keep: number, direction: 'left' | 'right'): [number, number] {
  return direction === 'left' ? [n - keep, n] : [0, keep];
}

/** The row as truncation leaves it (the row itself when nothing is cut). */
function cutRow(row: number[], keep: number, direction: 'left' | 'right'): number[] {
  if (keep >= row.length) return row;
  const [a, b] = cutRange(row.length, keep, direction);
  return row.slice(a, b);
}

/** The text with lone surrogates replaced; a non-string is a TypeError naming `what`. */
function wellFormed(text: string, what: string): string {
  if (typeof text !== 'string') throw new TypeError(`${what} must be a string, got ${describeValue(text)}`);
  const s = text as string & { isWellFormed(): boolean; toWellFormed(): string };
  return s.isWellFormed() ? text : s.toWellFormed();
}

/**
 * transformers' `clean_up_tokenization`: the spaces a word-joining decode
 * leaves before punctuation and English contractions, removed (each pattern
 * in turn, every occurrence).
 */
export function cleanUpTokenization(text: string): string {
  return text
    .replaceAll(' .', '.')
    .replaceAll(' ?', '?')
    .replaceAll(' !', '!')
    .replaceAll(' ,', ',')
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}

/** ByteLevel's trim_offsets: offsets exclude white space at either end of the token. */
function trimOffsets(text: string, offsets: Array<[number, number]>): void {
  for (const o of offsets) {
    let [s, e] = o;
    while (s < e && /\s/u.test(text[s])) s++;
    while (e > s && /\s/u.test(text[e - 1])) e--;
    o[0] = s;
    o[1] = e;
  }
}
