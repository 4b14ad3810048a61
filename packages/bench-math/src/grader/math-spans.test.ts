import { describe, expect, it } from 'vitest';
import { lastBoxed } from './extract.js';
import { findMathSpans } from './math-spans.js';
import { readBraced } from './tokens.js';

/** The definition findMathSpans implements in linear time. */
const MATH_SPAN = /(?<!\\)\$\$([\s\S]+?)(?<!\\)\$\$|(?<!\\)\$([^$\n]+?)(?<!\\)\$|\\\((.+?)\\\)|\\\[([\s\S]+?)\\\]/g;

function byRegex(text: string) {
  const all = [...text.matchAll(MATH_SPAN)].map((m) => ({
    index: m.index,
    end: m.index + m[0].length,
    inner: (m[1] ?? m[2] ?? m[3] ?? m[4])!,
  }));
  return { count: all.length, first: all[0] ?? null, last: all[all.length - 1] ?? null };
}

/** A seeded generator of short strings over the characters that matter. */
function randomTexts(count: number, alphabet: string[], seed: number): string[] {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  return Array.from({ length: count }, () =>
    Array.from({ length: Math.floor(next() * 24) }, () => alphabet[Math.floor(next() * alphabet.length)]).join(''),
  );
}

describe('findMathSpans', () => {
  it('finds what the regular expression finds, on 20,000 random texts', () => {
    const alphabet = ['$', '$', '\\', '(', ')', '[', ']', '\n', '\r', '\u2028', 'a', ' '];
    for (const text of randomTexts(20_000, alphabet, 7))
      expect(findMathSpans(text), JSON.stringify(text)).toEqual(byRegex(text));
  });
  it('finds the spans of ordinary text', () => {
    const spans = findMathSpans('so $x = 2$ and \\[ y = 3 \\] then $$z$$');
    expect(spans.count).toBe(3);
    expect(spans.first).toEqual({ index: 3, end: 10, inner: 'x = 2' });
    expect(spans.last?.inner).toBe('z');
  });
  it('is linear on unclosed delimiters (the regex rescans the rest of the text from each)', () => {
    // 100,000 unclosed \[: the regex takes minutes; this is one pass.
    expect(findMathSpans('\\[ x '.repeat(100_000)).count).toBe(0);
    expect(findMathSpans('\\( x '.repeat(100_000)).count).toBe(0);
  });
});

/** lastBoxed as defined: readBraced from each box (quadratic on unclosed boxes), boxes outside the answers before them. */
function lastBoxedByRescan(text: string): string | null {
  const re = /\\(?:boxed|fbox)\s*/g;
  const boxes: Array<{ start: number; end: number; inner: string }> = [];
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const at = m.index + m[0].length;
    if (text[at] === '{') {
      const arg = readBraced(text, at);
      if (arg) boxes.push({ start: m.index, end: arg.end, inner: arg.inner });
    } else if (m[0].endsWith(' ')) {
      const word = /^[^\s$]+/.exec(text.slice(at));
      if (word) boxes.push({ start: m.index, end: at + word[0].length, inner: word[0] });
    }
  }
  const outer: typeof boxes = [];
  for (const b of boxes) if (outer.every((p) => b.start >= p.end)) outer.push(b);
  if (outer.length === 0) return null;
  let first = outer.length - 1;
  while (first > 0 && /^[\s,;$]*(?:and\s*)?$/.test(text.slice(outer[first - 1]!.end, outer[first]!.start))) first--;
  return outer
    .slice(first)
    .map((b) => b.inner.trim())
    .join(', ');
}

describe('lastBoxed', () => {
  it('finds what scanning from each box finds, on 20,000 random texts', () => {
    const alphabet = ['\\boxed', '\\fbox ', '{', '{', '}', '}', '\\', 'a', ' ', ',', ' and '];
    for (const text of randomTexts(20_000, alphabet, 11))
      expect(lastBoxed(text), JSON.stringify(text)).toBe(lastBoxedByRescan(text));
  });
  it('is linear on unclosed boxes', () => {
    expect(lastBoxed('\\boxed{'.repeat(100_000))).toBeNull();
  });
});
