/**
 * Added tokens (special or not) and how the reference finds them in text: the
 * leftmost, then longest, occurrence; `single_word` requires no word character on
 * either side; `lstrip` / `rstrip` swallow the white space beside the token.
 */
import type { AddedTokenJson } from './tokenizer-json.js';
import { isWhiteSpace, isWordChar } from './unicode-classes.js';

export interface AddedToken {
  id: number;
  content: string;
  special: boolean;
  singleWord: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
}

/** A found added token: text[start, end) (strip included) is the token `id`. */
export interface AddedTokenMatch {
  start: number;
  end: number;
  id: number;
}

/** Escape for a `u` regex: only syntax characters may be escaped there (not "-"). */
function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function buildMatcher(contents: string[]): RegExp | null {
  if (contents.length === 0) return null;
  // Longest first, so the alternation picks the longest token at the leftmost position.
  const sorted = [...new Set(contents)].sort((a, b) => b.length - a.length);
  return new RegExp(sorted.map(escapeRegex).join('|'), 'gu');
}

export class AddedVocabulary {
  readonly tokens: AddedToken[];
  readonly byContent = new Map<string, AddedToken>();
  /** The tokens with normalized=true by their content as the normalizer writes it (what normalized text holds). */
  private readonly byNormalizedContent = new Map<string, AddedToken>();
  readonly byId = new Map<number, AddedToken>();
  private readonly rawAll: RegExp | null;
  private readonly rawNonSpecial: RegExp | null;
  private readonly normalizedAll: RegExp | null;
  private readonly normalizedNonSpecial: RegExp | null;

  /**
   * `normalize`: the tokenizer's normalizer. A token with normalized=true is found
   * in normalized text by its normalized content, as the Rust tokenizers do (with a
   * Lowercase normalizer, `<Foo>` is found as `<foo>`).
   */
  constructor(json: AddedTokenJson[], normalize: (text: string) => string = (text) => text) {
    this.tokens = json.map((t) => ({
      id: t.id,
      content: t.content,
      special: t.special ?? false,
      singleWord: t.single_word ?? false,
      lstrip: t.lstrip ?? false,
      rstrip: t.rstrip ?? false,
      normalized: t.normalized ?? !(t.special ?? false),
    }));
    for (const t of this.tokens) {
      this.byContent.set(t.content, t);
      this.byId.set(t.id, t);
    }
    const raw = this.tokens.filter((t) => !t.normalized);
    const norm = this.tokens.filter((t) => t.normalized);
    const normalizedContent = new Map(norm.map((t) => [t, normalize(t.content)]));
    for (const t of norm) this.byNormalizedContent.set(normalizedContent.get(t)!, t);
    const contents = (tokens: AddedToken[]) => tokens.map((t) => normalizedContent.get(t) ?? t.content);
    this.rawAll = buildMatcher(raw.map((t) => t.content));
    this.rawNonSpecial = buildMatcher(raw.filter((t) => !t.special).map((t) => t.content));
    this.normalizedAll = buildMatcher(contents(norm).filter((c) => c !== ''));
    this.normalizedNonSpecial = buildMatcher(contents(norm.filter((t) => !t.special)).filter((c) => c !== ''));
  }

  isSpecial(id: number): boolean {
    return this.byId.get(id)?.special ?? false;
  }

  /** Whether any token must be matched in normalized text. */
  get hasNormalized(): boolean {
    return this.normalizedAll !== null;
  }

  /**
   * Matches in the raw text (tokens with normalized=false) or, with `normalized`,
   * in a normalized segment. `splitSpecialTokens` treats special tokens as text.
   */
  find(text: string, normalized: boolean, splitSpecialTokens: boolean): AddedTokenMatch[] {
    const re = normalized
      ? splitSpecialTokens
        ? this.normalizedNonSpecial
        : this.normalizedAll
      : splitSpecialTokens
        ? this.rawNonSpecial
        : this.rawAll;
    if (re === null) return [];
    const out: AddedTokenMatch[] = [];
    let lastEnd = 0;
    re.lastIndex = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      const token = (normalized ? this.byNormalizedContent : this.byContent).get(m[0])!;
      let start = m.index;
      let end = start + m[0].length;
      if (token.singleWord) {
        const before =
          start > 0
            ? text.codePointAt(start - 1 - (start >= 2 && /[\uDC00-\uDFFF]/.test(text[start - 1]) ? 1 : 0))!
            : -1;
        const after = end < text.length ? text.codePointAt(end)! : -1;
        if ((before >= 0 && isWordChar(before)) || (after >= 0 && isWordChar(after))) continue;
      }
      if (token.lstrip) {
        let s = start;
        while (s > 0 && isWhiteSpace(text.charCodeAt(s - 1))) s--;
        start = Math.max(s, lastEnd);
      }
      if (token.rstrip) {
        while (end < text.length && isWhiteSpace(text.charCodeAt(end))) end++;
        re.lastIndex = end;
      }
      out.push({ start, end, id: token.id });
      lastEnd = end;
    }
    return out;
  }
}
