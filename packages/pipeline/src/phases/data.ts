/**
 * Phase `data`: the environment's material for a run, independent of the
 * model: agent traces whose actions really ran in the sandbox (train and
 * validation, for MoL; classic and depot kinds, depot ones weighted by
 * data.depotWeight), one-step tasks of every kind for GRPO, and held-out
 * one-step tasks of every kind for evaluation (CodeAgent-Test style), each
 * drawn with its own seed. The evaluation set is fixed (the same for every
 * run seed), so runs of different seeds pair up task by task.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '@molrl/progress';
import {
  ALL_TASK_KINDS,
  DEPOT_TASK_KINDS,
  TASK_KINDS,
  generateTasks,
  generateTraces,
  solveSignature,
  type Task,
  type TraceMessage,
} from '@molrl/trace-dataset';
import type { PipelineConfig } from '../config.js';
import { writeJsonl } from '../jsonl.js';
import type { RunFolder } from '../run-folder.js';
import type { PhaseRunOptions } from './run-options.js';

/**
 * Seeds of the task streams, apart from each other and from the default
 * model's corpus (1000s to 5000s), its check (900000) and the probe (700000).
 * Traces and GRPO tasks add the run's seed; the evaluation sets do not.
 */
export const TRACE_SEED_BASE = 300_000;
export const GRPO_SEED_BASE = 100_000;
export const EVAL_SEED_BASE = 200_000;
export const VALIDATION_SEED_BASE = 400_000;

/** The traces' kind rotation: every classic kind once, every depot kind `depotWeight` times. */
export function traceKinds(depotWeight: number): string[] {
  return [
    ...TASK_KINDS.map((k) => k.name),
    ...DEPOT_TASK_KINDS.flatMap((k) => new Array<string>(depotWeight).fill(k.name)),
  ];
}
const ALL_KINDS = ALL_TASK_KINDS.map((k) => k.name);
const DEPOT_KIND_NAMES = new Set(DEPOT_TASK_KINDS.map((k) => k.name));

export interface TraceRecord {
  id: string;
  split: 'train' | 'validation';
  messages: TraceMessage[];
  kind: string;
  correct: boolean;
  n_steps: number;
}

export interface TaskRecord {
  id: string;
  kind: string;
  question: string;
  answer: string;
  /** The task's input as Python arguments: the harness calls `solve(<args>)`. */
  args: string;
  /** The `solve(...)` the one-step prompt asks for. */
  signature: string;
  /** The library the task uses ('depot'), absent for a classic task. */
  library?: string;
}

export interface DataManifest {
  traces: { train: number; validation: number; correct: number; meanSteps: number; seed: number; depot: number };
  grpoTasks: { count: number; seed: number };
  evalTasks: { count: number; seed: number; set: 'test' | 'validation' };
}

export const taskRecord = (t: Task): TaskRecord => ({
  id: t.id,
  kind: t.kind,
  question: t.question,
  answer: t.answer,
  args: t.args,
  signature: solveSignature(t),
  ...(t.library ? { library: t.library } : {}),
});

export async function runData(
  run: RunFolder,
  config: PipelineConfig,
  options: PhaseRunOptions = {},
): Promise<DataManifest> {
  const { signal } = options;
  signal?.throwIfAborted();
  mkdirSync(run.dataDir, { recursive: true });
  const d = config.data;
  const traceSeed = TRACE_SEED_BASE + config.seed;
  const traces = await generateTraces({
    count: d.traces,
    seed: traceSeed,
    kinds: traceKinds(d.depotWeight),
    maxSteps: d.maxSteps,
    progress: { mode: options.progress ?? 'auto' },
    metricsPath: join(run.dataDir, 'metrics.jsonl'),
  });
  // Generating the traces is the phase's long part; once stopped, it writes none of its files.
  signal?.throwIfAborted();
  const records: TraceRecord[] = traces.map((t, i) => ({
    id: t.id,
    split: i < d.traces - d.validation ? 'train' : 'validation',
    messages: t.messages,
    kind: t.kind,
    correct: t.correct,
    n_steps: t.n_steps,
  }));
  writeJsonl(join(run.dataDir, 'traces.jsonl'), records);
  const grpoSeed = GRPO_SEED_BASE + config.seed;
  const evalSeed = d.evalSet === 'validation' ? VALIDATION_SEED_BASE : EVAL_SEED_BASE;
  writeJsonl(
    join(run.dataDir, 'grpo-tasks.jsonl'),
    generateTasks(d.grpoTasks, grpoSeed, { kinds: ALL_KINDS }).map(taskRecord),
  );
  writeJsonl(
    join(run.dataDir, 'eval-tasks.jsonl'),
    generateTasks(d.evalTasks, evalSeed, { kinds: ALL_KINDS }).map(taskRecord),
  );
  const manifest: DataManifest = {
    traces: {
      train: d.traces - d.validation,
      validation: d.validation,
      correct: records.filter((r) => r.correct).length,
      meanSteps: records.reduce((a, r) => a + r.n_steps, 0) / Math.max(1, records.length),
      seed: traceSeed,
      depot: traces.filter((t) => DEPOT_KIND_NAMES.has(t.kind)).length,
    },
    grpoTasks: { count: d.grpoTasks, seed: grpoSeed },
    evalTasks: { count: d.evalTasks, seed: evalSeed, set: d.evalSet },
  };
  writeFileAtomicSync(join(run.dataDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}
