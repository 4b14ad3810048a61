import { describe, expect, it } from 'vitest';
import { ALL_TASK_KINDS, DEPOT_TASK_KINDS, TASK_KINDS, generateTasks } from '@molrl/trace-dataset';
import { oneStepMessages } from './env-text.js';
import { taskRecord } from './phases/data.js';
import { buildPretrainCorpus, corpusTexts, probeDocuments } from './pretrain-corpus.js';

describe('the pretraining corpus', () => {
  it('carries nothing of the depot library, and no prompt or probe document states its API', async () => {
    const corpus = await buildPretrainCorpus({
      seed: 7,
      oneStep: 4 * ALL_TASK_KINDS.length,
      extractions: ALL_TASK_KINDS.length,
      traces: 12,
      progress: { mode: 'silent' },
    });
    const texts = corpusTexts(corpus);
    // The one-step prompts of every kind (the evaluation's and GRPO's) and the probe's documents name the library, not its API.
    const prompts = generateTasks(3 * ALL_TASK_KINDS.length, 200_000, { kinds: ALL_TASK_KINDS.map((k) => k.name) })
      .map(taskRecord)
      .flatMap((t) => oneStepMessages(t).map((m) => m.content));
    const probe = probeDocuments(32).flatMap((d) => d.map((m) => m.content));
    for (const kind of DEPOT_TASK_KINDS) {
      const { pattern } = kind.knowledge!;
      for (const text of [...texts, ...prompts, ...probe]) {
        const hit = pattern.exec(text)?.[0];
        expect({ kind: kind.name, hit, text: hit ? text : '' }).toEqual({ kind: kind.name, hit: undefined, text: '' });
      }
    }
    // Nothing of the library at all: not its name, not a depot task.
    expect(texts.filter((t) => /depot/i.test(t))).toEqual([]);
    // The pattern test is not vacuous: a depot trace's feedback would be caught.
    expect(DEPOT_TASK_KINDS.every((k) => k.knowledge!.pattern.test(k.knowledge!.fact))).toBe(true);
    expect(corpus.traces).toHaveLength(12);
  }, 120_000);

  it("answers are the correct solve about correctShare of the time, the rest the kind's mistakes", async () => {
    const corpus = await buildPretrainCorpus({ seed: 3, oneStep: 600, extractions: 0, traces: 0, correctShare: 0.45 });
    const answers = corpus.oneStep.map((c) => c.at(-1)!.content);
    const classic = new Set(TASK_KINDS.flatMap((k) => [k.solution]));
    const mistakes = new Set(TASK_KINDS.flatMap((k) => k.mistakes.map((m) => m.code)));
    const solved = answers.filter((a) => [...classic].some((s) => a.includes(s))).length;
    const wrong = answers.filter((a) => [...mistakes].some((s) => a.includes(s))).length;
    const classicCount = solved + wrong;
    expect(classicCount).toBe(600);
    expect(solved / classicCount).toBeGreaterThan(0.38);
    expect(solved / classicCount).toBeLessThan(0.52);
  });

  it('probe documents are classic one-step chats from their own seed, the same every time', () => {
    const a = probeDocuments(20);
    expect(probeDocuments(20)).toEqual(a);
    expect(a.every((d) => d.at(-1)!.role === 'assistant' && !d[1]!.content.includes('depot'))).toBe(true);
  });
});
