import { createSandbox, type Sandbox } from '@molrl/sandbox-reward';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeAgentSuite, type CodeAgentTask } from './code-agent.js';
import { evaluate } from './evaluate.js';
import type { Generator } from './generator.js';

describe('CodeAgent-Test over sandbox-reward', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await createSandbox({ workers: 1, warmPython: false });
  });
  afterAll(() => sandbox.close());

  const tasks: CodeAgentTask[] = [
    { id: 'sum', prompt: 'Sum 1..100 with code.', groundTruth: 5050, language: 'javascript' },
    { id: 'fact', prompt: 'Compute 6! with code.', groundTruth: '720', language: 'javascript' },
    { id: 'primes', prompt: 'Count primes below 30.', groundTruth: 10, language: 'javascript' },
  ];
  const completions: Record<string, string> = {
    sum: 'I will loop.\n```js\nlet s = 0; for (let i = 1; i <= 100; i++) s += i;\nfinal_answer(s);\n```',
    fact: '```js\nconst f = notDefined(6);\nfinal_answer(f);\n```',
    primes: 'No code, the answer is 10.',
  };

  it('scores each task by running its code: correct, runtime error, no code', async () => {
    const suite = codeAgentSuite(tasks, sandbox);
    const results = await Promise.all(suite.items.map((it) => it.check(completions[it.id]!)));
    expect(results[0]).toMatchObject({ correct: true, verdict: 'correct', score: 1 });
    expect(results[1]!.correct).toBe(false);
    expect(results[1]!.score).toBeLessThan(1);
    expect(results[2]).toMatchObject({ correct: false, verdict: 'no-answer', score: 0 });
  });

  it('runs through evaluate like any suite', async () => {
    const gen: Generator = {
      name: 'scripted',
      generate: async (prompts) => prompts.map((p) => completions[tasks.find((t) => t.prompt === p)!.id]!),
    };
    const report = await evaluate({
      generator: gen,
      suites: [codeAgentSuite(tasks, sandbox, { reward: 'binary' })],
      progress: { mode: 'silent' },
    });
    expect(report.results[0]!.suite).toBe('CodeAgent-Test');
    expect(report.results[0]!.pass1).toBeCloseTo(1 / 3, 12);
    expect(report.results[0]!.meanScore).toBeCloseTo(1 / 3, 12);
  });
});
