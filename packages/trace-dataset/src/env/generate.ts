/**
 * The environment's trace generator: tasks by seed, the scripted policy acting,
 * every action really executed in sandbox-reward's Python sandbox, the real
 * output or error fed back as smolagents would write it, until final_answer or
 * the step limit. Episodes advance in lockstep, one `runMany` per round, so all
 * sandbox workers stay busy.
 */
import { join } from 'node:path';
import { createSandbox, type RunRecord, type Sandbox } from '@molrl/sandbox-reward';
import { MetricsWriter, startProgress, writeFileAtomic, type ProgressOptions } from '@molrl/progress';
import { assignSplits, splitSizes, type SplitName } from '../splits.js';
import type { TraceMessage } from '../types.js';
import { writeJsonlAtomic, writeTraceRows, type TraceRow } from '../write.js';
import { ScriptedPolicy, type PolicyOptions } from './policy.js';
import { CODE_AGENT_SYSTEM_PROMPT, oneStepPrompt, taskMessage } from './prompts.js';
import { withDepotLibrary } from './depot-library.js';
import { generateTasks, type Task } from './tasks.js';

export interface GenerateOptions {
  count: number;
  seed?: number;
  /** A sandbox to use (default: one created and closed here). */
  sandbox?: Sandbox;
  /** Task kinds in rotation (default: the classic kinds); see `generateTasks`. */
  kinds?: readonly string[];
  /** Steps (decisions) before an episode is cut (default 6). */
  maxSteps?: number;
  policy?: PolicyOptions;
  progress?: ProgressOptions;
  metricsPath?: string;
}

export interface GeneratedTrace extends TraceRow {
  messages: TraceMessage[];
  task_id: string;
  kind: string;
  question: string;
  true_answer: string;
  /** What the agent passed to final_answer (str()), null when it never did. */
  final_answer: string | null;
  correct: boolean;
  n_steps: number;
  /** Mistakes the agent made, in order (kinds). */
  mistakes: string[];
}

function pyRepr(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

/** The decision as a smolagents CodeAgent writes it. */
export function decisionText(thought: string, code: string): string {
  return `Thought: ${thought}\nCode:\n\`\`\`py\n${code}\n\`\`\`<end_code>`;
}

export function toolCallText(callId: string, code: string): string {
  return `Calling tools:\n[{'id': '${callId}', 'type': 'function', 'function': {'name': 'python_interpreter', 'arguments': ${pyRepr(code)}}}]`;
}

/** The observation smolagents writes for a run: execution logs and last output, or the error and a retry hint. */
export function observationText(record: RunRecord, code: string, callId: string): string {
  if (record.status === 'ok') {
    return `Observation:\nExecution logs:\n${record.stdout}Last output from code snippet:\n${record.resultText ?? 'None'}`;
  }
  const lines = code.split('\n');
  const line =
    record.error?.line && lines[record.error.line - 1] !== undefined ? lines[record.error.line - 1]!.trim() : null;
  const what = record.error ? `${record.error.name}: ${record.error.message}` : record.status;
  const where = line
    ? `Code execution failed at line '${line}' due to: ${what}`
    : `Code execution failed due to: ${what}`;
  const logs = record.stdout ? `Execution logs:\n${record.stdout}` : '';
  return `Call id: ${callId}\nError:\n${logs}${where}\nNow let's retry: take care not to repeat previous errors! If you have retried several times, try a completely different approach.\n`;
}

/** Exact: the ground truth is written as Python's str() writes the value (no float answers here). */
function matches(got: string | null, expected: string): boolean {
  return got !== null && got.trim() === expected.trim();
}

interface Episode {
  task: Task;
  policy: ScriptedPolicy;
  messages: TraceMessage[];
  steps: number;
  done: boolean;
  finalAnswer: string | null;
  mistakes: string[];
}

/** Generate `count` traces by seed (deterministic: same seed, same traces). */
export async function generateTraces(options: GenerateOptions): Promise<GeneratedTrace[]> {
  const seed = options.seed ?? 0;
  const maxSteps = options.maxSteps ?? 6;
  const tasks = generateTasks(options.count, seed, options.kinds ? { kinds: options.kinds } : {});
  const ownSandbox = !options.sandbox;
  // No standby processes: the scripted policies' code never runs into a timeout (a standby is there to replace a
  // worker killed for one at once), and each costs ~2.9 s of CPU to start.
  const given = options.sandbox ?? (await createSandbox({ pythonStandby: false }));
  // Library tasks import depot: their runs get the module (classic runs are left exactly as they were).
  const sandbox = tasks.some((t) => t.library === 'depot') ? withDepotLibrary(given) : given;
  const metrics = options.metricsPath ? new MetricsWriter(options.metricsPath) : null;
  const episodes: Episode[] = tasks.map((task, i) => ({
    task,
    policy: new ScriptedPolicy(task, seed * 1_000_003 + i, options.policy),
    messages: [
      { role: 'system', content: CODE_AGENT_SYSTEM_PROMPT },
      { role: 'user', content: taskMessage(task) },
    ],
    steps: 0,
    done: false,
    finalAnswer: null,
    mistakes: [],
  }));
  const progress = startProgress('episodes', episodes.length, { unit: 'traces', ...options.progress });
  let runs = 0;
  try {
    for (let round = 0; round < maxSteps; round++) {
      const active = episodes.filter((e) => !e.done);
      if (active.length === 0) break;
      const actions = active.map((e) => {
        const d = e.policy.next();
        if (e.policy.currentMistake && !/^final_answer\(/.test(d.code)) e.mistakes.push(e.policy.currentMistake.kind);
        const callId = `call_${e.steps + 1}`;
        e.messages.push(
          { role: 'assistant', content: decisionText(d.thought, d.code) },
          { role: 'tool-call', content: toolCallText(callId, d.code) },
        );
        return { e, code: d.code, callId };
      });
      const records = await sandbox.runMany(actions.map((a) => ({ language: 'python' as const, code: a.code })));
      runs += records.length;
      actions.forEach(({ e, code, callId }, k) => {
        const record = records[k]!;
        const observation = observationText(record, code, callId);
        e.messages.push({ role: 'tool-response', content: observation });
        e.steps++;
        if (record.finalAnswer && record.status === 'ok') e.finalAnswer = record.resultText;
        const goOn = e.policy.observe({
          observation,
          stdout: record.stdout,
          error:
            record.status === 'ok'
              ? null
              : { name: record.error?.name ?? record.status, message: record.error?.message ?? record.status },
          finalAnswer: record.finalAnswer,
        });
        if (!goOn || e.steps >= maxSteps) e.done = true;
      });
      const finished = episodes.filter((e) => e.done).length;
      progress.update(finished, `round ${round + 1}, ${runs} runs`);
      metrics?.write({ event: 'round', round: round + 1, runs, finished });
    }
  } finally {
    progress.stop();
    if (ownSandbox) await given.close();
  }
  return episodes.map((e) => ({
    id: e.task.id,
    messages: e.messages,
    task_id: e.task.id,
    kind: e.task.kind,
    question: e.task.question,
    true_answer: e.task.answer,
    final_answer: e.finalAnswer,
    correct: matches(e.finalAnswer, e.task.answer),
    n_steps: e.steps,
    mistakes: e.mistakes,
  }));
}

export interface EnvironmentDatasetOptions extends GenerateOptions {
  outDir: string;
  format?: 'jsonl' | 'parquet';
  splits?: Parameters<typeof splitSizes>[1];
}

export interface EnvironmentManifest {
  seed: number;
  format: 'jsonl' | 'parquet';
  counts: Record<SplitName, number> & { traces: number; correct: number; withMistakes: number; meanSteps: number };
  files: Record<SplitName | 'tasks', string>;
  /** The one-step (GRPO) prompt's system message; the user message is the task's question. */
  oneStepSystemPrompt: string;
  options: Record<string, unknown>;
}

/**
 * Generate traces and write train/validation/test (the CodeAgent-Traces schema),
 * `tasks.jsonl` (every task with its split and ground truth: the test split is the
 * CodeAgent-Test-style evaluation set; `oneStepPrompt(task)` gives its GRPO
 * prompt), and manifest.json.
 */
export async function writeEnvironmentDataset(options: EnvironmentDatasetOptions): Promise<EnvironmentManifest> {
  const seed = options.seed ?? 0;
  const format = options.format ?? 'jsonl';
  const traces = await generateTraces(options);
  const sizes = splitSizes(traces.length, options.splits);
  const assignment = assignSplits(traces.length, sizes, seed);
  const ext = format === 'parquet' ? 'parquet' : 'jsonl';
  const files = { train: `train.${ext}`, validation: `validation.${ext}`, test: `test.${ext}`, tasks: 'tasks.jsonl' };
  for (const name of ['train', 'validation', 'test'] as const) {
    await writeTraceRows(
      join(options.outDir, files[name]),
      traces.filter((_, i) => assignment[i] === name),
      format,
    );
  }
  await writeJsonlAtomic(
    join(options.outDir, files.tasks),
    // The one-step prompt is oneStepPrompt(task): its system part is the same for all tasks, so it is in the manifest once.
    traces.map((t, i) => ({
      id: t.task_id,
      split: assignment[i],
      kind: t.kind,
      question: t.question,
      answer: t.true_answer,
    })),
  );
  const manifest: EnvironmentManifest = {
    seed,
    format,
    counts: {
      ...sizes,
      traces: traces.length,
      correct: traces.filter((t) => t.correct).length,
      withMistakes: traces.filter((t) => t.mistakes.length > 0).length,
      meanSteps: traces.reduce((a, t) => a + t.n_steps, 0) / Math.max(1, traces.length),
    },
    files,
    oneStepSystemPrompt: oneStepPrompt({ question: '' })[0]!.content,
    options: {
      count: options.count,
      maxSteps: options.maxSteps ?? 6,
      policy: options.policy ?? {},
      splits: options.splits ?? 'default',
    },
  };
  await writeFileAtomic(join(options.outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}
