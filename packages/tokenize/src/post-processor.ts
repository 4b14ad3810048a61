/**
 * Post-processors of tokenizer.json: the special tokens they put around one
 * text or a pair of texts, the token type ids of each part, and ByteLevel's
 * offset trimming, as the reference library's processors apply them.
 *
 * A post-processed encoding is a list of parts, each a text of the input or a
 * run of special tokens. The reference first gives the texts type ids 0 and 1
 * (`PostProcessor::process`), then runs each processor over the list in turn
 * (`process_encodings`): ByteLevel leaves it as it is, TemplateProcessing lays
 * it out by its `single` or `pair` template, Bert and Roberta wrap the parts in
 * their cls and sep tokens. The layouts are worked out once per tokenizer.
 */
import { TokenizerFormatError, UnsupportedComponentError } from './errors.js';
import { expectComponent, expectInteger, optionalBoolean, type ComponentJson } from './tokenizer-json.js';

/** One part of a post-processed encoding: a text of the input (0: the first, 1: the pair), or special tokens. */
export type LayoutPart =
  | { readonly sequence: 0 | 1; readonly typeId: number }
  | { readonly ids: readonly number[]; readonly tokens: readonly string[]; readonly typeId: number };

export interface PostProcessor {
  /** Trim whitespace from token offsets (ByteLevel's and Roberta's trim_offsets). */
  readonly trimOffsets: boolean;
  /** The parts of an encoding of one text or a pair, with or without the special tokens. */
  layout(pair: boolean, addSpecialTokens: boolean): readonly LayoutPart[];
}

/** What the texts are before any processor runs: type id 0 and 1 (`PostProcessor::process`). */
const INPUT_PARTS: Record<'single' | 'pair', readonly LayoutPart[]> = {
  single: [{ sequence: 0, typeId: 0 }],
  pair: [
    { sequence: 0, typeId: 0 },
    { sequence: 1, typeId: 1 },
  ],
};

/**
 * The layout without a post-processor: the texts one after the other, all of
 * type id 0 (the reference's `default_process` leaves the model's type ids).
 */
export function defaultLayout(pair: boolean): readonly LayoutPart[] {
  return pair ? DEFAULT_PAIR : DEFAULT_SINGLE;
}

const DEFAULT_SINGLE: readonly LayoutPart[] = Object.freeze([{ sequence: 0, typeId: 0 }]);
const DEFAULT_PAIR: readonly LayoutPart[] = Object.freeze([
  { sequence: 0, typeId: 0 },
  { sequence: 1, typeId: 0 },
]);

/** The ids of the special tokens in a layout: the reference's `added_tokens(is_pair)`, which truncation makes room for. */
export function addedTokenCount(layout: readonly LayoutPart[]): number {
  let n = 0;
  for (const part of layout) if ('ids' in part) n += part.ids.length;
  return n;
}

/** One processor's step over the parts (`process_encodings`). */
type Step = (parts: readonly LayoutPart[], addSpecialTokens: boolean) => LayoutPart[];

interface Built {
  step: Step;
  trimOffsets: boolean;
}

export function buildPostProcessor(
  json: ComponentJson | null | undefined,
  field = 'post_processor',
  file?: string,
): PostProcessor | null {
  if (json === null || json === undefined) return null;
  const { step, trimOffsets } = buildStep(json, field, file);
  // Indexed by pair * 2 + addSpecialTokens.
  const layouts: Array<readonly LayoutPart[] | undefined> = [undefined, undefined, undefined, undefined];
  const layout = (pair: boolean, addSpecialTokens: boolean): readonly LayoutPart[] => {
    const key = (pair ? 2 : 0) + (addSpecialTokens ? 1 : 0);
    return (layouts[key] ??= Object.freeze(step(INPUT_PARTS[pair ? 'pair' : 'single'], addSpecialTokens)));
  };
  // The single layouts now, so a broken template fails at load; the pair ones when a pair is encoded.
  layout(false, true);
  layout(false, false);
  return { trimOffsets, layout };
}

function buildStep(json: ComponentJson, field: string, file?: string): Built {
  expectComponent(json, field, file);
  switch (json.type) {
    case 'ByteLevel':
      return {
        step: (parts) => [...parts],
        trimOffsets: optionalBoolean(json.trim_offsets, `${field}.trim_offsets`, true, file),
      };
    case 'TemplateProcessing':
      return { step: templateStep(json, field, file), trimOffsets: false };
    case 'BertProcessing':
    case 'RobertaProcessing': {
      const cls = specialPair(json.cls, `${field}.cls`, file);
      const sep = specialPair(json.sep, `${field}.sep`, file);
      if (json.type === 'BertProcessing')
        // [CLS] A [SEP] B [SEP]: the first sep has type id 0, the second the pair's.
        return {
          step: (parts, add) =>
            !add
              ? [...parts]
              : parts.flatMap((p, i) => (i === 0 ? [special(cls, 0), p, special(sep, 0)] : [p, special(sep, 1)])),
          trimOffsets: false,
        };
      // <s> A </s></s> B </s>, every part of type id 0.
      return {
        step: (parts, add) => {
          const zero = parts.map((p) => ({ ...p, typeId: 0 }));
          if (!add) return zero;
          return zero.flatMap((p, i) =>
            i === 0 ? [special(cls, 0), p, special(sep, 0)] : [special(sep, 0), p, special(sep, 0)],
          );
        },
        trimOffsets: optionalBoolean(json.trim_offsets, `${field}.trim_offsets`, true, file),
      };
    }
    case 'Sequence': {
      const list = json.processors;
      if (!Array.isArray(list)) throw new TokenizerFormatError(`${field}.processors`, 'expected an array', file);
      const built = list.map((p, i) => buildStep(p as ComponentJson, `${field}.processors[${i}]`, file));
      return {
        step: (parts, add) => built.reduce<LayoutPart[]>((acc, b) => b.step(acc, add), [...parts]),
        trimOffsets: built.some((b) => b.trimOffsets),
      };
    }
    default:
      throw new UnsupportedComponentError(`${field}.type`, json.type, file);
  }
}

/** Bert's and Roberta's `cls` / `sep`: [token, id]. */
function specialPair(v: unknown, field: string, file?: string): [string, number] {
  if (
    !Array.isArray(v) ||
    v.length !== 2 ||
    typeof v[0] !== 'string' ||
    !(typeof v[1] === 'number' && Number.isInteger(v[1]) && v[1] >= 0)
  )
    throw new TokenizerFormatError(field, `expected [token, id], got ${JSON.stringify(v)}`, file);
  return [v[0], v[1]];
}

function special([token, id]: [string, number], typeId: number): LayoutPart {
  return { ids: [id], tokens: [token], typeId };
}

type TemplatePiece = { sequence: 0 | 1; typeId: number } | { specialToken: string; typeId: number };

/** TemplateProcessing: `single` or `pair` by how many parts come in, each piece a text or a listed special token. */
function templateStep(json: ComponentJson, field: string, file?: string): Step {
  const specials = json.special_tokens ?? {};
  if (typeof specials !== 'object' || specials === null || Array.isArray(specials))
    throw new TokenizerFormatError(`${field}.special_tokens`, 'expected an object', file);
  const tokens = new Map<string, { ids: number[]; tokens: string[] }>();
  for (const [name, entry] of Object.entries(specials as Record<string, unknown>)) {
    const e = entry as { ids?: unknown; tokens?: unknown } | null;
    const at = `${field}.special_tokens.${name}`;
    if (
      typeof e !== 'object' ||
      e === null ||
      !Array.isArray(e.ids) ||
      !e.ids.every((id) => typeof id === 'number' && Number.isInteger(id) && id >= 0)
    )
      throw new TokenizerFormatError(`${at}.ids`, 'expected an array of token ids', file);
    const names = e.tokens === undefined ? e.ids.map(String) : e.tokens;
    if (!Array.isArray(names) || names.length !== e.ids.length || !names.every((t) => typeof t === 'string'))
      throw new TokenizerFormatError(`${at}.tokens`, `expected ${e.ids.length} strings, one per id`, file);
    tokens.set(name, { ids: e.ids as number[], tokens: names as string[] });
  }
  const single = templatePieces(json.single, `${field}.single`, tokens, file);
  // The reference requires `pair` in tokenizer.json; a file without one loads and fails only on a pair.
  const pair = json.pair === undefined ? null : templatePieces(json.pair, `${field}.pair`, tokens, file);
  return (parts, add) => {
    if (parts.length > 2)
      throw new TokenizerFormatError(
        field,
        `TemplateProcessing takes one text or a pair, and an earlier post-processor made ${parts.length} parts`,
        file,
      );
    const template = parts.length === 2 ? pair : single;
    const which = parts.length === 2 ? 'pair' : 'single';
    if (template === null)
      throw new TokenizerFormatError(
        `${field}.pair`,
        'missing: this tokenizer has no template for a pair of texts',
        file,
      );
    const out: LayoutPart[] = [];
    template.forEach((piece, i) => {
      if ('sequence' in piece) {
        const part = parts[piece.sequence];
        if (part === undefined)
          throw new TokenizerFormatError(
            `${field}.${which}[${i}]`,
            'the single-text template names sequence B, which a single text does not have',
            file,
          );
        out.push({ ...part, typeId: piece.typeId });
      } else if (add) {
        const entry = tokens.get(piece.specialToken)!;
        out.push({ ids: entry.ids, tokens: entry.tokens, typeId: piece.typeId });
      }
    });
    return out;
  };
}

function templatePieces(v: unknown, field: string, specials: Map<string, unknown>, file?: string): TemplatePiece[] {
  if (!Array.isArray(v)) throw new TokenizerFormatError(field, 'expected an array', file);
  return v.map((piece, i): TemplatePiece => {
    const p = piece as {
      SpecialToken?: { id?: unknown; type_id?: unknown };
      Sequence?: { id?: unknown; type_id?: unknown };
    };
    const at = `${field}[${i}]`;
    const body = p?.Sequence ?? p?.SpecialToken;
    if (typeof p !== 'object' || p === null || body === undefined || typeof body !== 'object' || body === null)
      throw new TokenizerFormatError(at, 'expected SpecialToken or Sequence', file);
    const typeId = expectInteger(body.type_id ?? 0, `${at}.type_id`, file);
    if (p.Sequence) {
      if (body.id !== 'A' && body.id !== 'B')
        throw new TokenizerFormatError(
          `${at}.Sequence.id`,
          `expected "A" or "B", got ${JSON.stringify(body.id)}`,
          file,
        );
      return { sequence: body.id === 'A' ? 0 : 1, typeId };
    }
    if (typeof body.id !== 'string' || !specials.has(body.id))
      throw new TokenizerFormatError(
        `${field.replace(/\.(single|pair)$/, '')}.special_tokens.${String(body.id)}`,
        'missing or without ids',
        file,
      );
    return { specialToken: body.id, typeId };
  });
}
