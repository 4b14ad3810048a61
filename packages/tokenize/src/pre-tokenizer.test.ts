import { describe, expect, it } from 'vitest';
import { buildPreTokenizer, type Piece } from './pre-tokenizer.js';

const split = (json: Record<string, unknown>, text: string) =>
  buildPreTokenizer(json as { type: string })!
    .split([{ text, start: 0, end: text.length, lead: 0 } satisfies Piece])
    .map((p) => p.text);

describe('Split behaviours', () => {
  // The examples of the reference library's documentation for SplitDelimiterBehavior.
  const on = (behavior: string) => ({ type: 'Split', pattern: { String: '-' }, behavior, invert: false });
  it('match the reference documentation', () => {
    const text = 'the-final--countdown';
    expect(split(on('Removed'), text)).toEqual(['the', 'final', 'countdown']);
    expect(split(on('Isolated'), text)).toEqual(['the', '-', 'final', '-', '-', 'countdown']);
    expect(split(on('MergedWithPrevious'), text)).toEqual(['the-', 'final-', '-', 'countdown']);
    expect(split(on('MergedWithNext'), text)).toEqual(['the', '-final', '-', '-countdown']);
    expect(split(on('Contiguous'), text)).toEqual(['the', '-', 'final', '--', 'countdown']);
  });

  it('inverts: the pattern describes the pieces to keep', () => {
    expect(split({ type: 'Split', pattern: { Regex: '\\w+' }, behavior: 'Removed', invert: true }, 'ab, cd!')).toEqual([
      'ab',
      'cd',
    ]);
  });

  it('keeps offsets through an inserted prefix space', () => {
    const pre = buildPreTokenizer({ type: 'ByteLevel', add_prefix_space: true, use_regex: true })!;
    const pieces = pre.split([{ text: 'hi there', start: 0, end: 8, lead: 0 }]);
    expect(pieces.map((p) => [p.text, p.start, p.end, p.lead])).toEqual([
      [' hi', 0, 2, 1],
      [' there', 2, 8, 0],
    ]);
  });

  it('Digits splits numbers, one by one or in runs', () => {
    expect(split({ type: 'Digits', individual_digits: true }, 'a123b')).toEqual(['a', '1', '2', '3', 'b']);
    expect(split({ type: 'Digits', individual_digits: false }, 'a123b')).toEqual(['a', '123', 'b']);
  });
});
