import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '@molrl/sandbox-reward';
import { Tokenizer } from '@molrl/tokenize';
import { labelCounts, labelTrace } from '../label.js';
import { parseTrace } from '../parse-trace.js';
import { externalApiUse } from '../external-api.js';
import { readTraces } from '../read.js';
import { generateTraces, writeEnvironmentDataset } from './generate.js';
import { generateTasks, TASK_KINDS } from './tasks.js';
import { oneStepPrompt } from './prompts.js';
import { embeddedDatasetDir, EMBEDDED_COUNT, EMBEDDED_SEED } from '../embedded.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await createSandbox({ workers: 2 });
  await sandbox.ready();
}, 180_000);
afterAll(() => sandbox?.close());

describe('tasks', () => {
  it('are deterministic by seed and cover every kind', () => {
    const a = generateTasks(2 * TASK_KINDS.length, 11);
    expect(generateTasks(2 * TASK_KINDS.length, 11)).toEqual(a);
    expect(generateTasks(2 * TASK_KINDS.length, 12)).not.toEqual(a);
    expect(new Set(a.map((t) => t.kind)).size).toBe(TASK_KINDS.length);
  });

  it("ground truth agrees with the Python solution, and every mistake shows on the task's example", async () => {
    const tasks = generateTasks(2 * TASK_KINDS.length, 11);
    const solved = await sandbox.runMany(
      tasks.map((t) => ({ language: 'python' as const, code: `${t.solution}\n\nfinal_answer(solve(${t.args}))` })),
    );
    solved.forEach((r, i) =>
      expect({ kind: tasks[i]!.kind, got: r.resultText }).toEqual({ kind: tasks[i]!.kind, got: tasks[i]!.answer }),
    );
    const examples = await sandbox.runMany(
      TASK_KINDS.map((k) => ({
        language: 'python' as const,
        code: `${k.solution}\n\nprint(repr(solve(${k.exampleArgs})) == repr(${k.exampleExpected}))`,
      })),
    );
    examples.forEach((r, i) =>
      expect({ kind: TASK_KINDS[i]!.name, out: r.stdout }).toEqual({ kind: TASK_KINDS[i]!.name, out: 'True\n' }),
    );
    const mistakes = TASK_KINDS.flatMap((k) => k.mistakes.map((m) => ({ k, m })));
    const runs = await sandbox.runMany(
      mistakes.map(({ k, m }) => ({
        language: 'python' as const,
        code: `${m.code}\n\nprint(repr(solve(${k.exampleArgs})) == repr(${k.exampleExpected}))`,
      })),
    );
    runs.forEach((r, i) => {
      const { k, m } = mistakes[i]!;
      const seen = m.raises ? r.error?.name : r.stdout;
      expect({ kind: k.name, mistake: m.kind, seen }).toEqual({
        kind: k.name,
        mistake: m.kind,
        seen: m.raises ?? 'False\n',
      });
    });
  }, 120_000);
});

describe('generated traces', () => {
  it('are real, deterministic, in the CodeAgent-Traces schema, and show mistakes and recoveries', async () => {
    const options = { count: 14, seed: 5, sandbox, progress: { mode: 'silent' as const } };
    const traces = await generateTraces(options);
    const again = await generateTraces(options);
    expect(again.map((t) => t.messages)).toEqual(traces.map((t) => t.messages));

    const tok = Tokenizer.qwen3();
    for (const t of traces) {
      expect(t.messages.map((m) => m.role).slice(0, 2)).toEqual(['system', 'user']);
      expect(t.messages[1]!.content.startsWith('New task:\n')).toBe(true);
      const parsed = parseTrace(t, 0, 'env');
      expect(parsed.steps).toHaveLength(t.n_steps);
      expect(externalApiUse(parsed).external).toBe(false);
      for (const s of parsed.steps)
        expect(s.feedback).toMatch(/^(Observation:\nExecution logs:\n|Call id: call_\d+\nError:\n)/);
      if (t.final_answer !== null) expect(t.correct).toBe(t.final_answer === t.true_answer);
      const counts = labelCounts(labelTrace(t.messages, tok));
      expect(counts.feedback).toBeGreaterThan(0);
      expect(counts.decision).toBeGreaterThan(0);
    }
    // The mistakes are really executed: an error trace carries the sandbox's exception, and the next decision names it.
    const failing = traces
      .flatMap((t) => t.messages.map((m, i) => ({ m, next: t.messages[i + 1] })))
      .filter(({ m }) => m.role === 'tool-response' && m.content.includes('Error:\n'));
    const checks = traces
      .flatMap((t) => t.messages)
      .filter((m) => m.role === 'tool-response' && /check: (.*) expected (?!\1$)/m.test(m.content));
    expect(failing.length + checks.length).toBeGreaterThan(0);
    for (const { m, next } of failing) {
      const name = /due to: (\w+):/.exec(m.content)![1]!;
      expect(next?.content ?? '').toContain(name); // next: the following assistant turn, when the episode went on
    }
    expect(traces.filter((t) => t.mistakes.length > 0 && t.correct).length).toBeGreaterThan(0);
    expect(traces.filter((t) => t.correct).length).toBeGreaterThan(traces.length / 2);
  }, 120_000);

  it('writes splits, the task list with one-step prompts, and a manifest', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'trace-env-'));
    const manifest = await writeEnvironmentDataset({
      count: 10,
      seed: 2,
      sandbox,
      outDir,
      format: 'parquet',
      progress: { mode: 'silent' },
    });
    expect(manifest.counts).toMatchObject({ traces: 10, train: 8, validation: 1, test: 1 });
    const tasks = readFileSync(join(outDir, 'tasks.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(tasks).toHaveLength(10);
    expect(tasks.filter((t) => t.split === 'test')).toHaveLength(1);
    expect(Object.keys(tasks[0]).sort()).toEqual(['answer', 'id', 'kind', 'question', 'split']);
    expect(oneStepPrompt(tasks[0])).toEqual([
      { role: 'system', content: manifest.oneStepSystemPrompt },
      { role: 'user', content: tasks[0].question },
    ]);
    let read = 0;
    for await (const e of readTraces(join(outDir, 'train.parquet'), { idColumn: 'id' })) {
      expect(e.kind).toBe('trace');
      read++;
    }
    expect(read).toBe(8);
  }, 120_000);
});

describe('the shipped data set', () => {
  it('has the paper split sizes and is what the generator makes from its seed', async () => {
    const dir = embeddedDatasetDir();
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(manifest.counts).toMatchObject({ traces: EMBEDDED_COUNT, train: 3000, validation: 100, test: 200 });
    expect(manifest.seed).toBe(EMBEDDED_SEED);
    const shipped = new Map<string, unknown>();
    let rejected = 0;
    for (const split of ['train', 'validation', 'test']) {
      for await (const e of readTraces(join(dir, manifest.files[split]), { idColumn: 'id' })) {
        if (e.kind === 'trace') shipped.set(e.trace.id, e.trace.messages);
        else rejected++;
      }
    }
    expect(rejected).toBe(0);
    expect(shipped.size).toBe(EMBEDDED_COUNT);
    // The first traces, generated again now in the sandbox, are the shipped ones.
    const again = await generateTraces({ count: 6, seed: EMBEDDED_SEED, sandbox, progress: { mode: 'silent' } });
    for (const t of again) expect(shipped.get(t.id)).toEqual(t.messages);
  }, 120_000);
});
