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
  strategy?: string;
  stride?: number;
}

export interface TokenizerJson {
  version?: string;
  truncation?: TruncationJson | null;
  padding?: unknown;
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
  }
  return o as unknown as TokenizerJson;
}

/** The text of a special-token entry in tokenizer_config.json (a string or an AddedToken object). */
export function tokenContent(v: string | { content: string } | null | undefined): string | undefined {
  if (v === null || v === undefined) return undefined;
  return typeof v === 'string' ? v : v.content;
}
