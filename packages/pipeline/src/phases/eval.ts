/**
 * Phase `eval`: pass@1 of each finished stage (base, +MoL, +MoL+GRPO) on the
 * held-out one-step tasks (CodeAgent-Test style: the code runs in the sandbox
 * and its result must equal the ground truth) and on the first MATH-500
 * problems, with the configured sampling profile. Samples are cached per
 * stage, so an interrupted evaluation resumes where it stopped.
 */
import { existsSync, mkdirSync } from 'node:fs';
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
import { writeFileAtomicSync, type ProgressMode } from '@molrl/progress';
import { createSandbox } from '@molrl/sandbox-reward';
import type { PipelineConfig } from '../config.js';
import { oneStepMessages } from '../env-text.js';
import { readJsonl } from '../jsonl.js';
import { loadStage, type Stage } from '../load.js';
import type { RunFolder } from '../run-folder.js';
import type { TaskRecord } from './data.js';

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

export async function runEval(
  run: RunFolder,
  config: PipelineConfig,
  options: { stages?: Stage[]; progress?: ProgressMode; signal?: AbortSignal } = {},
): Promise<Record<string, EvaluationReport>> {
  const tasks = readJsonl<TaskRecord>(join(run.dataDir, 'eval-tasks.jsonl'));
  const math = config.data.mathProblems > 0 ? await loadBuiltin('math500') : null;
  const sandbox = await createSandbox({ workers: 2 });
  const e = config.eval;
  const reports: Record<string, EvaluationReport> = {};
  try {
    for (const stage of options.stages ?? availableStages(run)) {
      const dir = join(run.evalDir, stage);
      mkdirSync(dir, { recursive: true });
      const { model, tokenizer } = await loadStage(run, config.model, stage);
      const suites: EvalSuite[] = [
        codeAgentSuite(
          tasks.map((t) => ({
            id: t.id,
            prompt: oneStepMessages(t) as Array<{ role: 'system' | 'user'; content: string }>,
            groundTruth: t.answer,
          })),
          sandbox,
          { samples: e.samples },
        ),
      ];
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
      writeFileAtomicSync(stageReportPath(run, stage), JSON.stringify(report, null, 2) + '\n');
      reports[stage] = report;
      model.dispose();
    }
  } finally {
    await sandbox.close();
  }
  return reports;
}
