/**
 * Every MATH-500 gold answer must verify against itself (plain and inside a
 * model-style output) and must reject a perturbed variant: a changed first
 * digit, a changed choice letter, a changed word, or a flipped sign.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { verify } from '../index.js';

const rows = readFileSync(new URL('../../data/math500.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as { answer: string; unique_id: string });

/** A variant of a gold answer that is not equivalent to it. */
function perturb(answer: string): string {
  // The first digit: the last one can be a unit's power (cm^2), which the grader ignores.
  const first = /\d/.exec(answer);
  if (first) {
    const d = (Number(first[0]) + 1) % 10;
    return answer.slice(0, first.index) + String(d) + answer.slice(first.index + 1);
  }
  const choice = /^\\text\{\(([A-E])\)\}$/.exec(answer);
  if (choice) return `\\text{(${choice[1] === 'A' ? 'B' : 'A'})}`;
  const text = /^\\text\{(.+)\}$/.exec(answer);
  if (text) return `\\text{${text[1]}s}`;
  if (answer.includes('-')) return answer.replace('-', '+');
  if (answer.includes('+')) return answer.replace('+', '-');
  return `${answer} + 1`;
}

describe('AIME gold answers', () => {
  it('verify boxed and reject their neighbours', () => {
    for (const name of ['aime24', 'aime25']) {
      const answers = readFileSync(new URL(`../../data/${name}.jsonl`, import.meta.url), 'utf8')
        .trim()
        .split('\n')
        .map((l) => String((JSON.parse(l) as { answer: string | number }).answer));
      for (const a of answers) {
        expect(verify(a, `The final answer is $\\boxed{${a}}$.`), `${name} ${a}`).toBe(true);
        expect(verify(a, `\\boxed{${Number(a) + 1}}`), `${name} ${a}+1`).toBe(false);
      }
    }
  });
});

describe('MATH-500 gold answers', () => {
  it('has 500 rows', () => expect(rows).toHaveLength(500));

  it('each verifies against itself, plain and boxed in an output', () => {
    const failed = rows.filter(
      (r) => !verify(r.answer, r.answer) || !verify(r.answer, `Thus the answer is $\\boxed{${r.answer}}$.`),
    );
    expect(failed.map((r) => `${r.unique_id}: ${r.answer}`)).toEqual([]);
  });

  it('each rejects a perturbed variant', () => {
    const accepted = rows.filter((r) => {
      const variant = perturb(r.answer);
      expect(variant).not.toBe(r.answer);
      return verify(r.answer, variant);
    });
    expect(accepted.map((r) => `${r.unique_id}: ${r.answer} vs ${perturb(r.answer)}`)).toEqual([]);
  });
});
