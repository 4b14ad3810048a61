import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../limits.js';
import type { Sandbox } from '../sandbox.js';
import type { RunRecord, RunRequest } from '../types.js';
import { binaryReward, multiStageReward } from './reward.js';

/**
 * A stand-in sandbox whose every run ends `ok` with `final_answer(<answer>)`: the
 * option and ground-truth checks run before any code, so no worker is needed.
 */
function answering(answer: unknown, text: string): Sandbox & { runs: RunRequest[] } {
  const runs: RunRequest[] = [];
  const record: RunRecord = {
    status: 'ok',
    stdout: '',
    stderr: '',
    result: answer,
    resultText: text,
    finalAnswer: true,
    ms: 1,
  };
  return {
    runs,
    run: (r) => (runs.push(r), Promise.resolve(record)),
    runMany: (rs) => Promise.all(rs.map((r) => (runs.push(r), record))),
    ready: () => Promise.resolve(),
    close: () => Promise.resolve(),
    workers: 1,
    limits: DEFAULT_LIMITS,
  };
}

const code = '```python\nfinal_answer("")\n```';

describe('reward ground truth', () => {
  it('refuses a missing ground truth instead of paying an empty answer for it', async () => {
    const sandbox = answering('', '');
    // Each of these was 'correct' (reward 1) before: undefined and null read as the empty text.
    await expect(multiStageReward(code, undefined, { sandbox })).rejects.toThrow(
      /`answer`: multiStageReward's ground truth is undefined, which compare 'auto' would match with an empty answer/,
    );
    await expect(binaryReward(code, null, { sandbox, compare: 'exact' })).rejects.toThrow(
      /`answer`: binaryReward's ground truth is null, which compare 'exact' would match/,
    );
    await expect(multiStageReward(code, Number.NaN, { sandbox: answering('nan', 'nan') })).rejects.toThrow(
      /ground truth is NaN, which compare 'auto' would match with the answer "nan"/,
    );
    expect(sandbox.runs).toEqual([]);
    // A compare function of the caller's takes any ground truth; an empty string is a ground truth.
    expect((await multiStageReward(code, undefined, { sandbox, compare: (g) => g.text === '' })).stage).toBe('correct');
    expect((await multiStageReward(code, '', { sandbox })).stage).toBe('correct');
  });

  it('refuses a ground truth that is not JSON data instead of scoring every answer as a failed comparison', async () => {
    const sandbox = answering([1], '[1]');
    const cycle: unknown[] = [1];
    cycle.push(cycle);
    await expect(multiStageReward(code, cycle, { sandbox })).rejects.toThrow(
      /`answer`: multiStageReward's ground truth is not JSON data \(Converting circular structure to JSON\)/,
    );
    await expect(binaryReward(code, { n: 1n }, { sandbox })).rejects.toThrow(
      /ground truth is not JSON data \(Do not know how to serialize a BigInt\)/,
    );
    expect((await binaryReward(code, [1], { sandbox })).reward).toBe(1);
  });
});

describe('reward options', () => {
  it('refuses tolerance and weights that are not objects instead of ignoring them', async () => {
    const sandbox = answering(0.5, '0.5');
    // A number here was read as no fields at all: the defaults were used without a word.
    await expect(multiStageReward(code, '0.5', { sandbox, tolerance: 0.01 as never })).rejects.toThrow(
      /`tolerance`: expected an object, got 0\.01/,
    );
    await expect(multiStageReward(code, '0.5', { sandbox, weights: 'paper' as never })).rejects.toThrow(
      /`weights`: expected an object, got "paper"/,
    );
    await expect(multiStageReward(code, '0.5', { sandbox, weights: [0.1, 0.4, 1] as never })).rejects.toThrow(
      /`weights`: expected an object, got an array/,
    );
    await expect(multiStageReward(code, '0.5', { sandbox, weights: { correct: Number.NaN } })).rejects.toThrow(
      /`weights\.correct`: expected a finite number, got NaN/,
    );
    await expect(multiStageReward(code, '0.5', { sandbox, tolerance: { relative: -1 } })).rejects.toThrow(
      /`tolerance\.relative`: multiStageReward expected a finite number >= 0, got -1/,
    );
    // Fields left undefined keep their defaults, as in `limits`.
    expect((await multiStageReward(code, '0.5', { sandbox, weights: { correct: undefined } })).reward).toBe(1);
  });

  it('refuses a variable the chosen result source never reads', async () => {
    const sandbox = answering(1, '1');
    await expect(multiStageReward(code, '1', { sandbox, result: 'final-answer', variable: 'answer' })).rejects.toThrow(
      /`variable`: read only when `result` is 'variable' or 'auto', but `result` is "final-answer"/,
    );
    await expect(binaryReward(code, '1', { sandbox, result: 'last-line', variable: 'answer' })).rejects.toThrow(
      /`variable`: read only when/,
    );
    expect(sandbox.runs).toEqual([]);
    expect((await multiStageReward(code, '1', { sandbox, result: 'auto', variable: 'answer' })).stage).toBe('correct');
    expect(sandbox.runs[0]).toMatchObject({ resultVariable: 'answer' });
  });
});
