/**
 * The GRPO configuration: TRL's `GRPOConfig` fields in camelCase, with TRL's
 * defaults except where the MoL-RL paper fixes a value (marked "paper"). One
 * flat object; unknown fields and bad values are errors naming the field.
 */
import { GRPO_LOSS_TYPES, type GrpoLossType, type ImportanceSamplingLevel } from '../loss.js';
import type { RewardScaling } from '../advantages.js';

export interface GRPOConfig {
  /** Where checkpoints (`checkpoint-<step>/`) and `metrics.jsonl` go. Required. */
  outputDir: string;
  /** Completions per prompt, G (TRL `num_generations`). Default 8 (paper and TRL). */
  numGenerations: number;
  /** Completions per optimizer step, across gradient accumulation (a multiple of numGenerations). Default 128 (paper). */
  globalBatchSize: number;
  /** Sequences per forward/backward pass (TRL `per_device_train_batch_size`). Default 8. */
  microBatchSize: number;
  /** Optimisation passes over each rollout batch, mu (TRL `num_iterations`). Default 1. */
  numIterations: number;
  /** Optimizer steps of the run (each on a fresh rollout batch, times numIterations). Default 100. */
  maxSteps: number;
  /** Tokens generated per completion at most (TRL `max_completion_length`; also dr_grpo's constant). Default 256 (TRL; the paper used 8192). */
  maxCompletionLength: number;
  /** Prompt tokens kept (from the left; TRL `max_prompt_length`). Default 512. */
  maxPromptLength: number;
  /** Sampling temperature. Default 0.9 (paper; TRL's default is 1.0). */
  temperature: number;
  /** Nucleus sampling. Default 1.0 (TRL). */
  topP: number;
  /** Top-k sampling (0 = off). Default 0 (TRL). */
  topK: number;
  /** Min-p sampling (0 = off). Default 0 (TRL `min_p` None). */
  minP: number;
  /** Repetition penalty (1 = off). Default 1. */
  repetitionPenalty: number;
  /** The normalisation of the loss (TRL `loss_type`). Default 'dr_grpo' (the paper's best runs; TRL's default is 'dapo'). */
  lossType: GrpoLossType;
  /** Reward scaling of the advantages (TRL `scale_rewards`). Default 'group' (TRL); Dr.GRPO uses 'none'. */
  scaleRewards: RewardScaling;
  /** KL weight to the reference (the adapter off). Default 0 (TRL's; then no reference pass is made). */
  beta: number;
  /** Lower clip range (TRL `epsilon`). Default 0.2. */
  epsilon: number;
  /** Upper clip range (TRL `epsilon_high`; null = epsilon). Default null. */
  epsilonHigh: number | null;
  /** TRL `delta`: two-sided clipping bound of the ratio (null = off). Default null. */
  delta: number | null;
  /** 'token' (GRPO) or 'sequence' (GSPO) importance ratios. Default 'token'. */
  importanceSamplingLevel: ImportanceSamplingLevel;
  /** Drop completions that hit maxCompletionLength without EOS from the loss (TRL `mask_truncated_completions`). Default false. */
  maskTruncatedCompletions: boolean;
  /** Weights of the reward functions (null = all 1; TRL `reward_weights`). Default null. */
  rewardWeights: number[] | null;
  /** AdamW learning rate. Default 1e-6 (TRL). */
  learningRate: number;
  /** AdamW decoupled weight decay. Default 0 (TRL). */
  weightDecay: number;
  adamBetas: [number, number];
  adamEpsilon: number;
  /** Linear warmup steps, then 'linear' decay (TRL's default scheduler), 'cosine' or 'constant'. */
  warmupSteps: number;
  lrSchedulerType: 'linear' | 'cosine' | 'constant';
  /** Global L2 norm the LoRA gradients are clipped to (0 = off). Default 1.0. */
  maxGradNorm: number;
  /** Checkpoint every this many steps (0 = only at the end). Default 50. */
  saveSteps: number;
  /** Keep at most this many checkpoints (0 = all). Default 0. */
  saveTotalLimit: number;
  /** Seed of the prompt order and of sampling. Default 42. */
  seed: number;
  /** 'auto' (a bar on a TTY, log lines otherwise), 'bar', 'lines' or 'silent'. */
  progress: 'auto' | 'bar' | 'lines' | 'silent';
}

export const GRPO_DEFAULTS: Omit<GRPOConfig, 'outputDir'> = {
  numGenerations: 8,
  globalBatchSize: 128,
  microBatchSize: 8,
  numIterations: 1,
  maxSteps: 100,
  maxCompletionLength: 256,
  maxPromptLength: 512,
  temperature: 0.9,
  topP: 1,
  topK: 0,
  minP: 0,
  repetitionPenalty: 1,
  lossType: 'dr_grpo',
  scaleRewards: 'group',
  beta: 0,
  epsilon: 0.2,
  epsilonHigh: null,
  delta: null,
  importanceSamplingLevel: 'token',
  maskTruncatedCompletions: false,
  rewardWeights: null,
  learningRate: 1e-6,
  weightDecay: 0,
  adamBetas: [0.9, 0.999],
  adamEpsilon: 1e-8,
  warmupSteps: 0,
  lrSchedulerType: 'linear',
  maxGradNorm: 1,
  saveSteps: 50,
  saveTotalLimit: 0,
  seed: 42,
  progress: 'auto',
};

/** A full config from the fields given. */
export function grpoConfig(fields: Partial<GRPOConfig> & { outputDir: string }): GRPOConfig {
  const known = new Set([...Object.keys(GRPO_DEFAULTS), 'outputDir']);
  for (const key of Object.keys(fields)) if (!known.has(key)) throw new Error(`GRPOConfig: unknown field '${key}'`);
  const c = { ...GRPO_DEFAULTS, ...fields } as GRPOConfig;
  const bad = (field: string, why: string): never => {
    throw new Error(
      `GRPOConfig: ${field} ${why}, got ${JSON.stringify((c as unknown as Record<string, unknown>)[field])}`,
    );
  };
  if (typeof c.outputDir !== 'string' || !c.outputDir) bad('outputDir', 'must be a non-empty path');
  if (!GRPO_LOSS_TYPES.includes(c.lossType)) bad('lossType', `must be one of ${GRPO_LOSS_TYPES.join(', ')}`);
  if (!['group', 'batch', 'none'].includes(c.scaleRewards)) bad('scaleRewards', "must be 'group', 'batch' or 'none'");
  if (!['token', 'sequence'].includes(c.importanceSamplingLevel))
    bad('importanceSamplingLevel', "must be 'token' or 'sequence'");
  if (!['linear', 'cosine', 'constant'].includes(c.lrSchedulerType))
    bad('lrSchedulerType', "must be 'linear', 'cosine' or 'constant'");
  if (!['auto', 'bar', 'lines', 'silent'].includes(c.progress))
    bad('progress', "must be 'auto', 'bar', 'lines' or 'silent'");
  for (const f of [
    'numGenerations',
    'globalBatchSize',
    'microBatchSize',
    'numIterations',
    'maxSteps',
    'maxCompletionLength',
    'maxPromptLength',
  ] as const) {
    if (!Number.isInteger(c[f]) || c[f] < 1) bad(f, 'must be a positive integer');
  }
  for (const f of ['warmupSteps', 'saveSteps', 'saveTotalLimit', 'seed', 'topK'] as const) {
    if (!Number.isInteger(c[f]) || c[f] < 0) bad(f, 'must be an integer >= 0');
  }
  if (c.scaleRewards === 'group' && c.numGenerations < 2)
    bad('numGenerations', "must be >= 2 with scaleRewards 'group'");
  if (c.globalBatchSize % c.numGenerations !== 0)
    bad('globalBatchSize', `must be a multiple of numGenerations (${c.numGenerations})`);
  if (c.globalBatchSize % c.microBatchSize !== 0)
    bad('globalBatchSize', `must be a multiple of microBatchSize (${c.microBatchSize})`);
  if (!(c.temperature >= 0)) bad('temperature', 'must be >= 0');
  if (!(c.topP > 0 && c.topP <= 1)) bad('topP', 'must be in (0, 1]');
  if (!(c.minP >= 0 && c.minP <= 1)) bad('minP', 'must be in [0, 1]');
  if (!(c.repetitionPenalty > 0)) bad('repetitionPenalty', 'must be > 0');
  if (!(c.learningRate > 0)) bad('learningRate', 'must be > 0');
  for (const f of ['beta', 'epsilon', 'weightDecay', 'maxGradNorm', 'adamEpsilon'] as const)
    if (!(c[f] >= 0)) bad(f, 'must be >= 0');
  if (c.epsilonHigh !== null && !(c.epsilonHigh >= 0)) bad('epsilonHigh', 'must be >= 0 or null');
  if (c.delta !== null && !(c.delta >= 1)) bad('delta', 'must be >= 1 or null');
  if (
    c.rewardWeights !== null &&
    (!Array.isArray(c.rewardWeights) || c.rewardWeights.some((w) => typeof w !== 'number' || !Number.isFinite(w)))
  ) {
    bad('rewardWeights', 'must be null or an array of finite numbers');
  }
  return c;
}
