/**
 * Phase `eval`: pass@1 of each finished stage (base, +MoL, +MoL+GRPO) on the
 * held-out one-step tasks (CodeAgent-Test style: the code runs in the
 * environment's sandbox and its result must equal the ground truth) and on
 * the first MATH-500 problems, with the configured sampling profile; each
 * task's result (tasks.jsonl, for paired comparisons), and the
 * general-ability probe (probe.json), and the knowledge probe: how well the
 * model predicts the correct answer of each depot task (knowledge.json).
 * Samples are cached per stage, so an
 * interrupted evaluation resumes where it stopped.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  codeAgentSuite,
  evaluate,
  loadBuiltin,
  mathSuite,
  modelGenerator,
  type EvalSuite,
  type EvaluationReport,
} from '@molrl/bench-math';
import { writeFileAtomicSync } from '@molrl/progress';
import type { Sandbox } from '@molrl/sandbox-reward';
import { taskKind } from '@molrl/trace-dataset';
import type { PipelineConfig } from '../config.js';
import {
  createEnvironmentSandbox,
  PHASE_SANDBOX_OPTIONS,
  oneStepAnswer,
  oneStepMessages,
  withHarnessCall,
} from '../env-text.js';
import { writeJsonl } from '../jsonl.js';
import { loadStage, type Stage } from '../load.js';
import { probeDocuments, type ChatMessage } from '../pretrain-corpus.js';
import { heldOutLoss, type ProbeResult } from '../probe.js';
import type { RunFolder } from '../run-folder.js';
import type { TaskRecord } from './data.js';
import { readTaskRecords } from './data-records.js';
import type { PhaseRunOptions } from './run-options.js';

export const STAGE_NAMES: Record<Stage, string> = { base: 'Base', mol: '+MoL', grpo: '+MoL+GRPO' };

/** The stages whose adapters exist in the run. */
export function availableStages(run: RunFolder): Stage[] {
  const stages: Stage[] = ['base'];
  if (existsSync(join(run.adapterDir('mol'), 'adapter_model.safetensors'))) stages.push('mol');
  if (stages.includes('mol') && existsSync(join(run.adapterDir('grpo'), 'adapter_model.safetensors')))
    stages.push('grpo');
  return stages;
}

export function stageReportPath(run: RunFolder, stage: Stage): string {
  return join(run.evalDir, stage, 'report.json');
}

/** One evaluation task's result at a stage (the mean over its samples). */
export interface TaskResult {
  id: string;
  kind: string;
  library?: string;
  /** Fraction of the task's samples that were correct. */
  correct: number;
  /** Mean multi-stage reward of its samples. */
  score: number;
}

export function stageTasksPath(run: RunFolder, stage: Stage): string {
  return join(run.evalDir, stage, 'tasks.jsonl');
}

export function stageProbePath(run: RunFolder, stage: Stage): string {
  return join(run.evalDir, stage, 'probe.json');
}

export function stageKnowledgePath(run: RunFolder, stage: Stage): string {
  return join(run.evalDir, stage, 'knowledge.json');
}

/**
 * The knowledge probe's documents: each depot evaluation task's one-step
 * prompt with its correct answer (the `solve` on the library's current API).
 * A model that has taken the API in predicts them better (a lower NLL), even
 * before its samples come out right.
 */
export function knowledgeDocuments(tasks: readonly TaskRecord[]): { ids: string[]; chats: ChatMessage[][] } {
  const depot = tasks.filter((t) => t.library === 'depot');
  return {
    ids: depot.map((t) => t.id),
    chats: depot.map((t) => [
      ...(oneStepMessages(t) as ChatMessage[]),
      { role: 'assistant', content: oneStepAnswer(taskKind(t.kind).solution) },
    ]),
  };
}

/**
 * Each task's result from a stage's sample cache (the newest record of every
 * sample wins: an evaluation redone with another profile appends new ones).
 */
export function taskResults(samplesPath: string, tasks: readonly TaskRecord[], suite = 'CodeAgent-Test'): TaskResult[] {
  const latest = new Map<string, { item: string; correct: boolean; score: number }>();
  for (const line of readFileSync(samplesPath, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let r: { suite: string; item: string; sample: number; correct: boolean; score: number };
    try {
      r = JSON.parse(line);
    } catch {
      continue; // a torn last line
    }
    if (r.suite === suite) latest.set(`${r.item}\u0000${r.sample}`, r);
  }
  const byItem = new Map<string, Array<{ correct: boolean; score: number }>>();
  for (const r of latest.values()) byItem.set(r.item, [...(byItem.get(r.item) ?? []), r]);
  return tasks.map((t) => {
    const rs = byItem.get(t.id);
    if (!rs?.length) throw new Error(`${samplesPath}: no sample of task ${t.id}`);
    return {
      id: t.id,
      kind: t.kind,
      ...(t.library ? { library: t.library } : {}),
      correct: rs.filter((r) => r.correct).length / rs.length,
      score: rs.reduce((a, r) => a + r.score, 0) / rs.length,
    };
  });
}

/** CodeAgent-Test over the run's tasks: each task's answer runs through its harness (the call of solve on its input). */
export function codeAgentTestSuite(tasks: readonly TaskRecord[], sandbox: Sandbox, samples: number): EvalSuite {
  const items = tasks.map(
    (t) =>
      codeAgentSuite(
        [
          {
            id: t.id,
            prompt: oneStepMessages(t) as Array<{ role: 'system' | 'user'; content: string }>,
            groundTruth: t.answer,
          },
        ],
        withHarnessCall(sandbox, t.args),
      ).items[0]!,
  );
  return { name: 'CodeAgent-Test', samples, items };
}

export async function runEval(
  run: RunFolder,
  config: PipelineConfig,
  options: PhaseRunOptions & {
    /** The stages to evaluate (default: every stage with an adapter, `availableStages`). */
    stages?: Stage[];
  } = {},
): Promise<Record<string, EvaluationReport>> {
  const tasks = readTaskRecords(run, 'eval-tasks.jsonl');
  const math = config.data.mathProblems > 0 ? await loadBuiltin('math500') : null;
  const sandbox = options.sandbox ?? (await createEnvironmentSandbox(PHASE_SANDBOX_OPTIONS));
  const probe = config.data.probeDocuments > 0 ? probeDocuments(config.data.probeDocuments) : null;
  const knowledge = knowledgeDocuments(tasks);
  const e = config.eval;
  const reports: Record<string, EvaluationReport> = {};
  try {
    for (const stage of options.stages ?? availableStages(run)) {
      const dir = join(run.evalDir, stage);
      mkdirSync(dir, { recursive: true });
      const { model, tokenizer } = await loadStage(run, config.model, stage);
      const suites: EvalSuite[] = [codeAgentTestSuite(tasks, sandbox, e.samples)];
      if (math) suites.push(mathSuite(math, { limit: config.data.mathProblems, samples: e.samples }));
      const report = await evaluate({
        generator: modelGenerator(model, tokenizer, {
          name: STAGE_NAMES[stage],
          batchSize: e.batchSize,
          maxNewTokens: e.maxTokens,
        }),
        suites,
        profile: {
          temperature: e.temperature,
          topP: e.topP,
          topK: e.topK,
          presencePenalty: e.presencePenalty,
          maxTokens: e.maxTokens,
          thinking: true,
        },
        cachePath: join(dir, 'samples.jsonl'),
        metricsPath: join(dir, 'metrics.jsonl'),
        batchSize: e.batchSize,
        concurrency: 1,
        seed: config.seed,
        progress: { mode: options.progress ?? 'auto', unit: 'samples' },
        ...(options.signal ? { signal: options.signal } : {}),
      });
      writeJsonl(stageTasksPath(run, stage), taskResults(join(dir, 'samples.jsonl'), tasks));
      if (probe) {
        const result: ProbeResult = await heldOutLoss(model, tokenizer, probe, { batchSize: e.batchSize });
        writeFileAtomicSync(stageProbePath(run, stage), JSON.stringify(result, null, 2) + '\n');
      }
      if (knowledge.chats.length) {
        const result = await heldOutLoss(model, tokenizer, knowledge.chats, { batchSize: e.batchSize });
        writeFileAtomicSync(
          stageKnowledgePath(run, stage),
          JSON.stringify({ ...result, ids: knowledge.ids }, null, 2) + '\n',
        );
      }
      // Last: the report's presence says the stage is fully evaluated.
      writeFileAtomicSync(stageReportPath(run, stage), JSON.stringify(report, null, 2) + '\n');
      reports[stage] = report;
      model.dispose();
    }
  } finally {
    if (!options.sandbox) await sandbox.close();
  }
  return reports;
}
