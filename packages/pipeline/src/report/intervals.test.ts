import { describe, expect, it } from 'vitest';
import { bootstrapMean } from '@molrl/bench-math';
import { formatDifference, formatInterval, pairedDifference, rateInterval, taskMatrix } from './intervals.js';
import type { TaskResult } from '../phases/eval.js';

const result = (id: string, correct: number, library?: string): TaskResult => ({
  id,
  kind: library ? 'depot-x' : 'classic-x',
  correct,
  score: correct,
  ...(library ? { library } : {}),
});

describe('report intervals', () => {
  it('builds task x seed matrices over the tasks every seed has, in the first seed order', () => {
    const s0 = [result('a', 1), result('b', 0, 'depot'), result('c', 1)];
    const s1 = [result('c', 0), result('a', 1), result('b', 1, 'depot')];
    expect(taskMatrix([s0, s1], (r) => r.correct)).toEqual({
      ids: ['a', 'b', 'c'],
      values: [
        [1, 1],
        [0, 1],
        [1, 0],
      ],
    });
    expect(
      taskMatrix(
        [s0, s1],
        (r) => r.correct,
        (r) => r.library === 'depot',
      )!.ids,
    ).toEqual(['b']);
    expect(taskMatrix([s0, [result('a', 1)]], (r) => r.correct)!.ids).toEqual(['a']);
    expect(taskMatrix([], (r) => r.correct)).toBeNull();
  });

  it("uses Wilson's interval for one seed of 0/1 results, the bootstrap otherwise", () => {
    const one = { ids: ['a', 'b', 'c', 'd'], values: [[1], [0], [0], [1]] };
    // Wilson for 2 of 4: [0.150, 0.850].
    const w = rateInterval(one);
    expect([w.estimate, w.low, w.high].map((x) => x.toFixed(3))).toEqual(['0.500', '0.150', '0.850']);
    const two = { ids: one.ids, values: one.values.map((v) => [v[0]!, 1]) };
    const boot = rateInterval(two);
    expect(boot.estimate).toBeCloseTo(0.75, 12);
    // The bootstrap over tasks (seeds kept together): a real interval around the mean, not Wilson's.
    expect(boot).toEqual(bootstrapMean(two.values));
    expect(boot.low).toBeLessThan(0.75);
    expect(boot.high).toBeGreaterThan(0.75);
  });

  it('pairs by task id, and says when a difference is resolved', () => {
    const a = { ids: ['x', 'y', 'z'], values: [[1], [1], [1]] };
    const b = { ids: ['z', 'y', 'x'], values: [[0], [0], [0]] };
    const d = pairedDifference(a, b)!;
    expect(d).toMatchObject({ estimate: 1, low: 1, high: 1, resolved: true, direction: 'higher' });
    expect(formatDifference(d, true)).toBe('**+100.0 [+100.0, +100.0] ↑**');
    const even = pairedDifference({ ids: ['x', 'y'], values: [[1], [0]] }, { ids: ['x', 'y'], values: [[0], [1]] })!;
    expect(even.resolved).toBe(false);
    expect(formatDifference(even, true)).toMatch(/^\+0\.0 \[-100\.0, \+100\.0\]$/);
    expect(pairedDifference(a, { ids: ['q'], values: [[0]] })).toBeNull();
    expect(formatInterval({ estimate: 0.375, low: 0.2, high: 0.55, confidence: 0.95 }, true)).toBe('37.5 [20.0, 55.0]');
    expect(formatInterval(null, true)).toBe('–');
  });
});
