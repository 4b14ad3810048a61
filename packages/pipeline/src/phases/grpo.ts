/**
 * Phase `grpo`: GRPO (or Dr.GRPO) on one-step tasks, starting from the base
 * with MoL's adapter merged in; a fresh LoRA adapter trains, so the
 * reference model (adapter off) is the MoL model. Rewards: the sandbox's
 * multi-stage (0.1 parses / 0.4 runs / 1.0 correct) or binary reward.
 */
import { applyLora } from '@molrl/lora';
import { defaultRewardScaling, trainGrpo, type ChatMessage } from '@molrl/grpo';
import type { PipelineConfig } from '../config.js';
import { createEnvironmentSandbox, PHASE_SANDBOX_OPTIONS, harnessReward, oneStepMessages } from '../env-text.js';
import { loadStage, textCodec } from '../load.js';
import type { RunFolder } from '../run-folder.js';
import { readTaskRecords } from './data-records.js';
import type { PhaseRunOptions } from './run-options.js';

export interface GrpoSummary {
  steps: number;
  prompts: number;
}

export async function runGrpo(
  run: RunFolder,
  config: PipelineConfig,
  options: PhaseRunOptions = {},
): Promise<GrpoSummary> {
  const { progress = 'auto', signal, sandbox } = options;
  const { model, tokenizer } = await loadStage(run, config.model, 'mol');
  const tasks = readTaskRecords(run, 'grpo-tasks.jsonl');
  const lora = applyLora(model, { ...config.lora, seed: config.seed + 1, baseModelName: config.model });
  const scoring = sandbox ?? (await createEnvironmentSandbox(PHASE_SANDBOX_OPTIONS));
  const g = config.grpo;
  try {
    await trainGrpo({
      model,
      lora,
      codec: textCodec(tokenizer),
      train: tasks.map((t) => ({
        prompt: oneStepMessages(t) as ChatMessage[],
        answer: t.answer,
        args: t.args,
        id: t.id,
      })),
      rewardFunctions: [harnessReward(g.reward, scoring)],
      config: {
        outputDir: run.grpoDir,
        lossType: g.lossType,
        // Dr.GRPO drops the per-group std scaling along with the length normalisation.
        scaleRewards: defaultRewardScaling(g.lossType),
        numGenerations: g.numGenerations,
        globalBatchSize: g.globalBatchSize,
        microBatchSize: g.microBatchSize,
        maxSteps: g.maxSteps,
        maxCompletionLength: g.maxCompletionLength,
        maxPromptLength: 256,
        temperature: g.temperature,
        learningRate: g.learningRate,
        beta: g.beta,
        saveSteps: g.saveSteps,
        warmupSteps: 0,
        lrSchedulerType: 'constant',
        seed: config.seed,
        progress,
        logCompletions: true,
      },
      resumeFromCheckpoint: true,
      ...(signal ? { signal } : {}),
    });
    await lora.save(run.adapterDir('grpo'));
  } finally {
    if (!sandbox) await scoring.close();
    model.dispose();
  }
  return { steps: g.maxSteps, prompts: tasks.length };
}
