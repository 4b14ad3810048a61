import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '@molrl/sandbox-reward';
import { ALL_TASK_KINDS, DEPOT_TASK_KINDS, generateTasks } from '@molrl/trace-dataset';
import { createEnvironmentSandbox, harnessReward, oneStepAnswer, oneStepMessages } from './env-text.js';
import { taskRecord } from './phases/data.js';
import { codeAgentTestSuite } from './phases/eval.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await createEnvironmentSandbox({ workers: 2 });
  await sandbox.ready();
}, 180_000);
afterAll(() => sandbox?.close());

const kinds = ALL_TASK_KINDS.map((k) => k.name);

describe('the one-step harness', () => {
  it('asks for solve by its signature and runs it on the task input: correct solutions pass, stale depot calls fail', async () => {
    const tasks = generateTasks(2 * kinds.length, 31, { kinds });
    const records = tasks.map(taskRecord);
    expect(oneStepMessages(records[0]!)[1]!.content).toBe(`${tasks[0]!.question}\nWrite ${records[0]!.signature}.`);
    const suite = codeAgentTestSuite(records, sandbox, 1);
    const right = await Promise.all(suite.items.map((item, i) => item.check(oneStepAnswer(tasks[i]!.solution))));
    right.forEach((r, i) =>
      expect({ kind: tasks[i]!.kind, ...r }).toMatchObject({ kind: tasks[i]!.kind, correct: true, score: 1 }),
    );
    const depot = tasks.map((t, i) => ({ t, i })).filter(({ t }) => t.stale);
    expect(depot.length).toBe(2 * DEPOT_TASK_KINDS.length);
    const stale = await Promise.all(depot.map(({ t, i }) => suite.items[i]!.check(oneStepAnswer(t.stale!.code))));
    stale.forEach((r, k) => {
      const t = depot[k]!.t;
      // A stale call that raises scores 0.1 (it parses); depot.find's record runs and is wrong (0.4).
      expect({ kind: t.kind, correct: r.correct, score: r.score }).toEqual({
        kind: t.kind,
        correct: false,
        score: t.stale!.raises ? 0.1 : 0.4,
      });
    });
    // No solve at all: the harness's call fails, the code still parses.
    expect(await suite.items[0]!.check('```python\nx = 1\n```')).toMatchObject({ correct: false, score: 0.1 });
  }, 120_000);

  it("scores GRPO completions through each example's harness", async () => {
    const tasks = generateTasks(4, 32, { kinds });
    const reward = harnessReward('multi-stage', sandbox);
    const examples = tasks.map((t) => ({ prompt: t.question, answer: t.answer, args: t.args }));
    const scores = await reward.score({
      examples: [...examples, ...examples],
      completions: [...tasks.map((t) => oneStepAnswer(t.solution)), ...tasks.map(() => 'no code')],
      completionIds: [],
    });
    expect(scores).toEqual([1, 1, 1, 1, 0, 0, 0, 0]);
    const binary = await harnessReward('binary', sandbox).score({
      examples,
      completions: tasks.map((t) => oneStepAnswer(t.solution)),
      completionIds: [],
    });
    expect(binary).toEqual([1, 1, 1, 1]);
    await expect(
      reward.score({ examples: [{ prompt: 'x', answer: '1' }], completions: ['x'], completionIds: [] }),
    ).rejects.toThrow(/example 0 needs 'answer' \(the ground truth\) and 'args'/);
  }, 60_000);
});
