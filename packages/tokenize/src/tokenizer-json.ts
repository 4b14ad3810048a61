/**
 * The shape of Hugging Face `tokenizer.json` (the parts this package reads) and
 * `tokenizer_config.json`, with checks that name the offending field.
 */
import { TokenizerFormatError } from './errors.js';

export interface AddedTokenJson {
  id: number;
  content: string;
  single_word?: boolean;
  lstrip?: boolean;
  rstrip?: boolean;
  normalized?: boolean;
  special?: boolean;
}

export interface ComponentJson {
  type: string;
  [key: string]: unknown;
}

export interface BpeModelJson {
  type: 'BPE';
  vocab: Record<string, number>;
  merges: Array<string | [string, string]>;
  dropout?: number | null;
  unk_token?: string | null;
  continuing_subword_prefix?: string | null;
  end_of_word_suffix?: string | null;
  fuse_unk?: boolean;
  byte_fallback?: boolean;
  ignore_merges?: boolean;
}

export interface TruncationJson {
  max_length: number;
  direction?: 'Left' | 'Right';
  strategy?: 'LongestFirst' | 'OnlyFirst' | 'OnlySecond';
  stride?: number;
}

/** tokenizer.json's `padding` (the reference's PaddingParams; absent fields take its defaults). */
export interface PaddingJson {
  strategy?: 'BatchLongest' | { Fixed: number };
  direction?: 'Left' | 'Right';
  pad_to_multiple_of?: number | null;
  pad_id?: number;
  pad_type_id?: number;
  pad_token?: string;
}

export interface TokenizerJson {
  version?: string;
  truncation?: TruncationJson | null;
  padding?: PaddingJson | null;
  added_tokens?: AddedTokenJson[];
  normalizer?: ComponentJson | null;
  pre_tokenizer?: ComponentJson | null;
  post_processor?: ComponentJson | null;
  decoder?: ComponentJson | null;
  model: ComponentJson;
}

/** The fields of tokenizer_config.json this package uses; others are kept as they are. */
export interface TokenizerConfigJson {
  chat_template?: string | Array<{ name: string; template: string }> | null;
  bos_token?: string | { content: string } | null;
  eos_token?: string | { content: string } | null;
  pad_token?: string | { content: string } | null;
  unk_token?: string | { content: string } | null;
  add_bos_token?: boolean;
  add_eos_token?: boolean;
  model_max_length?: number;
  /** transformers' decode cleans up spaces before punctuation when true (GPT-2, Llama 3, BERT); default false. */
  clean_up_tokenization_spaces?: boolean;
  [key: string]: unknown;
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

export function expectObject(v: unknown, field: string, file?: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new TokenizerFormatError(field, `expected an object, got ${typeName(v)}`, file);
  }
  return v as Record<string, unknown>;
}

export function expectString(v: unknown, field: string, file?: string): string {
  if (typeof v !== 'string') throw new TokenizerFormatError(field, `expected a string, got ${typeName(v)}`, file);
  return v;
}

export function expectInteger(v: unknown, field: string, file?: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new TokenizerFormatError(field, `expected a non-negative integer, got ${JSON.stringify(v)}`, file);
  }
  return v;
}

export function optionalBoolean(v: unknown, field: string, fallback: boolean, file?: string): boolean {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw new TokenizerFormatError(field, `expected a boolean, got ${typeName(v)}`, file);
  return v;
}

/**
 * A Metaspace pre-tokenizer's or decoder's settings (the two read them alike):
 * the replacement character and when a space is prepended (`prepend_scheme`, or
 * from the older `add_prefix_space`).
 */
export function metaspaceSettings(
  json: Record<string, unknown>,
  field: string,
  file?: string,
): { replacement: string; scheme: 'always' | 'never' | 'first' } {
  const replacement = expectString(json.replacement ?? '\u2581', `${field}.replacement`, file);
  const scheme = json.prepend_scheme ?? (json.add_prefix_space === false ? 'never' : 'always');
  if (scheme !== 'always' && scheme !== 'never' && scheme !== 'first')
    throw new TokenizerFormatError(
      `${field}.prepend_scheme`,
      `expected one of "always", "never", "first", got ${JSON.stringify(scheme)}`,
      file,
    );
  return { replacement, scheme };
}

export function expectComponent(v: unknown, field: string, file?: string): ComponentJson {
  const o = expectObject(v, field, file);
  expectString(o.type, `${field}.type`, file);
  return o as ComponentJson;
}

/** Check the top level of a parsed tokenizer.json; components are checked where they are built. */
export function validateTokenizerJson(v: unknown, file?: string): TokenizerJson {
  const o = expectObject(v, '(root)', file);
  if (o.model === undefined) throw new TokenizerFormatError('model', 'missing', file);
  expectComponent(o.model, 'model', file);
  if (o.added_tokens !== undefined && o.added_tokens !== null) {
    if (!Array.isArray(o.added_tokens))
      throw new TokenizerFormatError('added_tokens', `expected an array, got ${typeName(o.added_tokens)}`, file);
    const contentById = new Map<number, { content: string; index: number }>();
    const idByContent = new Map<string, { id: number; index: number }>();
    o.added_tokens.forEach((t, i) => {
      const f = `added_tokens[${i}]`;
      const at = expectObject(t, f, file);
      const id = expectInteger(at.id, `${f}.id`, file);
      const content = expectString(at.content, `${f}.content`, file);
      if (content.length === 0) throw new TokenizerFormatError(`${f}.content`, 'is empty', file);
      const sameId = contentById.get(id);
      if (sameId && sameId.content !== content)
        throw new TokenizerFormatError(
          `${f}.id`,
          `${id} is already the id of added_tokens[${sameId.index}] (${JSON.stringify(sameId.content)})`,
          file,
        );
      const sameContent = idByContent.get(content);
      if (sameContent && sameContent.id !== id)
        throw new TokenizerFormatError(
          `${f}.content`,
          `${JSON.stringify(content)} is already added_tokens[${sameContent.index}] with id ${sameContent.id}`,
          file,
        );
      contentById.set(id, { content, index: i });
      idByContent.set(content, { id, index: i });
      for (const flag of ['single_word', 'lstrip', 'rstrip', 'normalized', 'special'])
        optionalBoolean(at[flag], `${f}.${flag}`, false, file);
    });
  }
  for (const key of ['normalizer', 'pre_tokenizer', 'post_processor', 'decoder']) {
    if (o[key] !== undefined && o[key] !== null) expectComponent(o[key], key, file);
  }
  if (o.truncation !== undefined && o.truncation !== null) {
    const t = expectObject(o.truncation, 'truncation', file);
    expectInteger(t.max_length, 'truncation.max_length', file);
    expectOneOf(t.direction, ['Left', 'Right'], 'truncation.direction', file);
    expectOneOf(t.strategy, ['LongestFirst', 'OnlyFirst', 'OnlySecond'], 'truncation.strategy', file);
    if (t.stride !== undefined) expectInteger(t.stride, 'truncation.stride', file);
  }
  if (o.padding !== undefined && o.padding !== null) validatePadding(o.padding, file);
  return o as unknown as TokenizerJson;
}

/** A value that must be one of `allowed` (the reference's enum names, case included); undefined is the default. */
function expectOneOf(v: unknown, allowed: readonly string[], field: string, file?: string): void {
  if (v === undefined || (typeof v === 'string' && allowed.includes(v))) return;
  throw new TokenizerFormatError(
    field,
    `expected one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${JSON.stringify(v) ?? typeName(v)}`,
    file,
  );
}

/** tokenizer.json's `padding` (the reference's PaddingParams): what `padding: true` applies. */
function validatePadding(v: unknown, file?: string): void {
  const p = expectObject(v, 'padding', file);
  const strategy = p.strategy;
  if (strategy !== undefined && strategy !== 'BatchLongest') {
    const fixed =
      typeof strategy === 'object' && strategy !== null && !Array.isArray(strategy)
        ? (strategy as Record<string, unknown>)
        : undefined;
    if (fixed === undefined || Object.keys(fixed).length !== 1 || !('Fixed' in fixed))
      throw new TokenizerFormatError(
        'padding.strategy',
        `expected "BatchLongest" or {"Fixed": length}, got ${JSON.stringify(strategy) ?? typeName(strategy)}`,
        file,
      );
    expectInteger(fixed.Fixed, 'padding.strategy.Fixed', file);
  }
  expectOneOf(p.direction, ['Left', 'Right'], 'padding.direction', file);
  if (p.pad_to_multiple_of !== undefined && p.pad_to_multiple_of !== null)
    expectInteger(p.pad_to_multiple_of, 'padding.pad_to_multiple_of', file);
  if (p.pad_id !== undefined) expectInteger(p.pad_id, 'padding.pad_id', file);
  if (p.pad_type_id !== undefined) expectInteger(p.pad_type_id, 'padding.pad_type_id', file);
  if (p.pad_token !== undefined) expectString(p.pad_token, 'padding.pad_token', file);
}

/** The special-token fields of tokenizer_config.json (transformers' SPECIAL_TOKENS_ATTRIBUTES). */
export const SPECIAL_TOKEN_FIELDS = [
  'bos_token',
  'eos_token',
  'unk_token',
  'sep_token',
  'pad_token',
  'cls_token',
  'mask_token',
] as const;

/** One special token: a string, or an AddedToken object (`{ content: string, ... }`, as transformers writes it). */
function checkSpecialToken(v: unknown, field: string, file?: string): void {
  if (typeof v === 'string') return;
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new TokenizerFormatError(
      field,
      `expected a string or an AddedToken object { "content": string, ... }, got ${v === null ? 'null' : `${typeName(v)} ${JSON.stringify(v)}`}`,
      file,
    );
  expectString((v as Record<string, unknown>).content, `${field}.content`, file);
}

/**
 * Check the special tokens of a parsed tokenizer_config.json: each of
 * SPECIAL_TOKEN_FIELDS a string, an AddedToken object or null, and
 * `additional_special_tokens` a list of those (or null).
 */
export function validateTokenizerConfig(config: Record<string, unknown>, file = 'tokenizer_config.json'): void {
  for (const key of SPECIAL_TOKEN_FIELDS) {
    const v = config[key];
    if (v !== undefined && v !== null) checkSpecialToken(v, key, file);
  }
  const extra = config.additional_special_tokens;
  if (extra !== undefined && extra !== null) {
    if (!Array.isArray(extra))
      throw new TokenizerFormatError(
        'additional_special_tokens',
        `expected a list of strings or AddedToken objects, got ${typeName(extra)}`,
        file,
      );
    extra.forEach((t, i) => checkSpecialToken(t, `additional_special_tokens[${i}]`, file));
  }
  const cleanUp = config.clean_up_tokenization_spaces;
  if (cleanUp !== undefined && cleanUp !== null && typeof cleanUp !== 'boolean')
    throw new TokenizerFormatError(
      'clean_up_tokenization_spaces',
      `expected a boolean, got ${typeName(cleanUp)}`,
      file,
    );
}

/** The text of a special-token entry in tokenizer_config.json (a string or an AddedToken object). */
export function tokenContent(v: string | { content: string } | null | undefined): string | undefined {
  if (v === null || v === undefined) return undefined;
  return typeof v === 'string' ? v : v.content;
}
