import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extractAnswer, parse, verify } from '../index.js';

interface Case {
  gold: string;
  prediction: string;
  correct: boolean;
  reason?: string;
}

const cases = readFileSync(new URL('./fixtures/grading-cases.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as Case);

describe('grading corpus', () => {
  it('has several hundred cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(300);
  });
  it.each(cases.map((c, i) => [i + 1, c] as const))('case %i', (_i, c) => {
    expect(
      verify(c.gold, c.prediction),
      `${JSON.stringify(c.gold)} vs ${JSON.stringify(c.prediction)}: ${c.reason ?? ''}`,
    ).toBe(c.correct);
  });
});

describe('parse and extractAnswer', () => {
  it('returns [] and null when there is no answer', () => {
    expect(parse('I am not sure how to do this one. Let me try.\nStill not sure.')).toEqual([]);
    expect(extractAnswer('<think>working...')).toBeNull();
  });
  it('extracts the last boxed answer with nested braces', () => {
    expect(extractAnswer('so \\boxed{\\frac{1}{\\sqrt{2}}} and done')).toBe('\\frac{1}{\\sqrt{2}}');
  });
  it('gives several readings for an ambiguous answer', () => {
    const kinds = parse('B').map((a) => a.value.kind);
    expect(kinds).toContain('choice');
    expect(kinds).toContain('expr');
  });
  it('accepts parse() results on either side', () => {
    expect(verify(parse('\\frac12'), parse('The answer is $0.5$.'))).toBe(true);
  });
  it('rejects a value that is neither a string nor a parse result', () => {
    expect(() => verify(5 as unknown as string, '5')).toThrow(/gold must be a string/);
  });
});
