import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '@molrl/sandbox-reward';
import { DEPOT_PREAMBLE, depot, withDepotLibrary } from './depot-library.js';
import { DEPOT_TASK_KINDS } from './depot-tasks.js';
import { generateTraces } from './generate.js';
import { ONE_STEP_SYSTEM_PROMPT, CODE_AGENT_SYSTEM_PROMPT } from './prompts.js';
import { generateTasks, TASK_KINDS } from './tasks.js';

let raw: Sandbox;
let sandbox: Sandbox;
beforeAll(async () => {
  raw = await createSandbox({ workers: 2 });
  await raw.ready();
  sandbox = withDepotLibrary(raw);
}, 180_000);
afterAll(() => raw?.close());

const depotKinds = DEPOT_TASK_KINDS.map((k) => k.name);

describe('the depot library', () => {
  it('is importable in a wrapped sandbox only, and errors keep the caller line numbers', async () => {
    const code = 'import depot\n\nx = 1\ny = depot.rate(1200, "B")\n';
    const plain = await raw.run({ language: 'python', code });
    expect(plain.status).not.toBe('ok'); // no depot module in the sandbox itself
    const r = await sandbox.run({ language: 'python', code });
    expect(r.status).toBe('runtime-error');
    expect(r.error).toMatchObject({ name: 'TypeError', line: 4 });
    expect(r.error!.message).toContain('depot.rate(zone, grams): the zone comes first');
    const syntax = await sandbox.run({ language: 'python', code: 'a = 1\nb = (\n' });
    expect(syntax.status).toBe('syntax-error');
    expect(syntax.error!.line).toBeLessThanOrEqual(3);
    expect(DEPOT_PREAMBLE.split('\n')).toHaveLength(2); // one line, then the caller's code
    // Bound as a global too, the way an agent framework provides its tools.
    const bare = await sandbox.run({ language: 'python', code: 'final_answer(depot.stock("pins"))' });
    expect(bare.resultText).toBe(String(depot.stock('pins')));
  }, 60_000);

  it('computes what the TypeScript ground truth says, and the stale API shows the current one', async () => {
    const tasks = generateTasks(4 * depotKinds.length, 21, { kinds: depotKinds });
    const solved = await sandbox.runMany(
      tasks.map((t) => ({ language: 'python' as const, code: `${t.solution}\n\nfinal_answer(solve(${t.args}))` })),
    );
    solved.forEach((r, i) =>
      expect({ kind: tasks[i]!.kind, got: r.resultText }).toEqual({ kind: tasks[i]!.kind, got: tasks[i]!.answer }),
    );
    const examples = await sandbox.runMany(
      DEPOT_TASK_KINDS.map((k) => ({
        language: 'python' as const,
        code: `${k.solution}\n\nprint(repr(solve(${k.exampleArgs})) == repr(${k.exampleExpected}))`,
      })),
    );
    examples.forEach((r, i) =>
      expect({ kind: depotKinds[i], out: r.stdout }).toEqual({ kind: depotKinds[i], out: 'True\n' }),
    );
    // The stale code fails (or prints a record), and what it shows states the knowledge.
    const stale = await sandbox.runMany(
      DEPOT_TASK_KINDS.map((k) => ({
        language: 'python' as const,
        code: `${k.stale!.code}\n\nprint(repr(solve(${k.exampleArgs})))`,
      })),
    );
    stale.forEach((r, i) => {
      const k = DEPOT_TASK_KINDS[i]!;
      if (k.stale!.raises) {
        expect({ kind: k.name, error: r.error?.name }).toEqual({ kind: k.name, error: k.stale!.raises });
        expect(r.error!.message).toMatch(k.knowledge!.pattern);
      } else {
        expect(r.status).toBe('ok');
        expect(r.stdout).toMatch(k.knowledge!.pattern);
      }
    });
  }, 120_000);

  it('knowledge patterns find nothing in the prompts, the classic kinds or the stale code', () => {
    const classic = generateTasks(3 * TASK_KINDS.length, 5);
    const depotTasks = generateTasks(4 * depotKinds.length, 5, { kinds: depotKinds });
    const texts = [
      ONE_STEP_SYSTEM_PROMPT,
      CODE_AGENT_SYSTEM_PROMPT,
      ...[...classic, ...depotTasks].map((t) => t.question),
      ...TASK_KINDS.flatMap((k) => [k.solution, ...k.mistakes.flatMap((m) => [m.code, m.diagnosis])]),
      ...DEPOT_TASK_KINDS.map((k) => k.stale!.code),
    ];
    for (const k of DEPOT_TASK_KINDS) {
      // The pattern does find the fact where it is stated.
      expect(k.knowledge!.fact).toMatch(k.knowledge!.pattern);
      expect(k.solution).toMatch(k.name === 'depot-stock' || k.name === 'depot-aisle' ? /./ : k.knowledge!.pattern);
      for (const text of texts)
        expect({ kind: k.name, hit: k.knowledge!.pattern.exec(text)?.[0] }).toEqual({ kind: k.name, hit: undefined });
    }
  });
});

describe('depot traces', () => {
  it('start with the stale API, and the feedback states the current one before the agent uses it', async () => {
    const traces = await generateTraces({
      count: 2 * depotKinds.length,
      seed: 3,
      kinds: depotKinds,
      sandbox: raw,
      progress: { mode: 'silent' },
    });
    for (const t of traces) {
      const kind = DEPOT_TASK_KINDS.find((k) => k.name === t.kind)!;
      const decisions = t.messages.filter((m) => m.role === 'assistant').map((m) => m.content);
      const feedback = t.messages.filter((m) => m.role === 'tool-response').map((m) => m.content);
      expect(decisions[0]).toContain(kind.stale!.code.split('\n').at(-1)!.trim());
      expect(t.mistakes[0]).toBe('stale-api');
      expect(feedback[0]).toMatch(kind.knowledge!.pattern);
      // Only a stale call that does not raise can slip through, when the agent answers without its check.
      if (!t.correct)
        expect({ kind: t.kind, raises: kind.stale!.raises, steps: t.n_steps }).toEqual({
          kind: t.kind,
          raises: undefined,
          steps: 1,
        });
    }
    expect(traces.filter((t) => t.correct).length).toBeGreaterThan(traces.length / 2);
  }, 120_000);
});
