/**
 * Phase `data`: the environment's material for a run, independent of the
 * model: agent traces whose actions really ran in the sandbox (train and
 * validation, for MoL), one-step tasks for GRPO, and held-out one-step tasks
 * for evaluation (CodeAgent-Test style), each drawn with its own seed.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync, type ProgressOptions } from '@molrl/progress';
import { generateTasks, generateTraces, type Task, type TraceMessage } from '@molrl/trace-dataset';
import type { PipelineConfig } from '../config.js';
import { writeJsonl } from '../jsonl.js';
import type { RunFolder } from '../run-folder.js';

/** Seeds of the three task streams, apart from each other and from the default model's corpus (1000s and 2000s). */
export const TRACE_SEED_BASE = 300_000;
export const GRPO_SEED_BASE = 100_000;
export const EVAL_SEED_BASE = 200_000;

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
}

export interface DataManifest {
  traces: { train: number; validation: number; correct: number; meanSteps: number; seed: number };
  grpoTasks: { count: number; seed: number };
  evalTasks: { count: number; seed: number };
}

const taskRecord = (t: Task): TaskRecord => ({ id: t.id, kind: t.kind, question: t.question, answer: t.answer });

export async function runData(
  run: RunFolder,
  config: PipelineConfig,
  progress: ProgressOptions = {},
): Promise<DataManifest> {
  mkdirSync(run.dataDir, { recursive: true });
  const d = config.data;
  const traceSeed = TRACE_SEED_BASE + config.seed;
  const traces = await generateTraces({
    count: d.traces,
    seed: traceSeed,
    maxSteps: d.maxSteps,
    progress,
    metricsPath: join(run.dataDir, 'metrics.jsonl'),
  });
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
  const evalSeed = EVAL_SEED_BASE + config.seed;
  writeJsonl(join(run.dataDir, 'grpo-tasks.jsonl'), generateTasks(d.grpoTasks, grpoSeed).map(taskRecord));
  writeJsonl(join(run.dataDir, 'eval-tasks.jsonl'), generateTasks(d.evalTasks, evalSeed).map(taskRecord));
  const manifest: DataManifest = {
    traces: {
      train: d.traces - d.validation,
      validation: d.validation,
      correct: records.filter((r) => r.correct).length,
      meanSteps: records.reduce((a, r) => a + r.n_steps, 0) / Math.max(1, records.length),
      seed: traceSeed,
    },
    grpoTasks: { count: d.grpoTasks, seed: grpoSeed },
    evalTasks: { count: d.evalTasks, seed: evalSeed },
  };
  writeFileAtomicSync(join(run.dataDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}
