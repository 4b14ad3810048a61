/**
 * The GRPO configuration: TRL's `GRPOConfig` fields in camelCase, with TRL's
 * defaults except where the MoL-RL paper fixes a value (marked "paper"). One
 * flat object; unknown fields and bad values are errors naming the field.
 */
import { badField, resolveTrainingArgs, TRAINING_ARGS_DEFAULTS, type TrainingArgs } from '@molrl/train';
import { GRPO_LOSS_TYPES, type GrpoLossType, type ImportanceSamplingLevel } from '../loss.js';
import type { RewardScaling } from '../advantages.js';

/**
 * The shared fields (`TrainingArgs` of `@molrl/train`) with GRPO's defaults: 128
 * completions per optimizer step (paper; `globalBatchSize`, a multiple of
 * numGenerations), micro-batches of 8 sequences, 100 steps (`maxSteps`, each on a
 * fresh rollout batch, times numIterations), lr 1e-6 and weight decay 0 (TRL), linear
 * decay after `warmupSteps` (TRL's scheduler), a checkpoint every 50 steps, `seed` 42
 * for the prompt order and sampling; and GRPO's own.
 */
export interface GRPOConfig extends TrainingArgs {
  /** Completions per prompt, G (TRL `num_generations`). Default 8 (paper and TRL). */
  numGenerations: number;
  /** Optimisation passes over each rollout batch, mu (TRL `num_iterations`). Default 1. */
  numIterations: number;
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
  /**
   * Reward scaling of the advantages (TRL `scale_rewards`). Default: follows lossType
   * (`defaultRewardScaling`): 'none' for 'dr_grpo' (Dr.GRPO divides by no standard
   * deviation), else 'group' (TRL's default).
   */
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
  /**
   * Write every sampled completion with its prompt, rewards and advantage to
   * `<outputDir>/completions.jsonl` (TRL `log_completions`). Default false.
   */
  logCompletions: boolean;
}

export const GRPO_DEFAULTS: Omit<GRPOConfig, 'outputDir'> = {
  ...TRAINING_ARGS_DEFAULTS,
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
  scaleRewards: 'none', // defaultRewardScaling('dr_grpo'); grpoConfig derives it from the lossType given
  beta: 0,
  epsilon: 0.2,
  epsilonHigh: null,
  delta: null,
  importanceSamplingLevel: 'token',
  maskTruncatedCompletions: false,
  rewardWeights: null,
  logCompletions: false,
  learningRate: 1e-6,
  weightDecay: 0,
  warmupSteps: 0,
  lrSchedulerType: 'linear',
  saveSteps: 50,
};

/**
 * The reward scaling a loss type implies when scaleRewards is not given: Dr.GRPO
 * ('dr_grpo') removes the standard-deviation division along with the length
 * normalisation, so it is 'none'; every other loss takes TRL's 'group'.
 */
export function defaultRewardScaling(lossType: GrpoLossType): RewardScaling {
  return lossType === 'dr_grpo' ? 'none' : 'group';
}

/**
 * A full config from the fields given; unknown fields and bad values are errors naming the field.
 * scaleRewards, when not given, follows lossType (`defaultRewardScaling`), so `lossType: 'dr_grpo'`
 * alone is Dr.GRPO and `lossType: 'grpo'` alone is GRPO.
 */
export function grpoConfig(fields: Partial<GRPOConfig> & { outputDir: string }): GRPOConfig {
  const where = 'GRPOConfig';
  const scaled =
    fields && typeof fields === 'object' && fields.scaleRewards === undefined
      ? { ...fields, scaleRewards: defaultRewardScaling(fields.lossType ?? GRPO_DEFAULTS.lossType) }
      : fields;
  return resolveTrainingArgs<GRPOConfig>(scaled, GRPO_DEFAULTS, where, (c) => {
    const bad = (field: keyof GRPOConfig & string, why: string): never => badField(where, c, field, why);
    if (!GRPO_LOSS_TYPES.includes(c.lossType)) bad('lossType', `must be one of ${GRPO_LOSS_TYPES.join(', ')}`);
    if (!['group', 'batch', 'none'].includes(c.scaleRewards)) bad('scaleRewards', "must be 'group', 'batch' or 'none'");
    if (!['token', 'sequence'].includes(c.importanceSamplingLevel))
      bad('importanceSamplingLevel', "must be 'token' or 'sequence'");
    for (const f of ['numGenerations', 'numIterations', 'maxCompletionLength', 'maxPromptLength'] as const)
      if (!Number.isInteger(c[f]) || c[f] < 1) bad(f, 'must be a positive integer');
    if (!Number.isInteger(c.topK) || c.topK < 0) bad('topK', 'must be an integer >= 0');
    if (c.scaleRewards === 'group' && c.numGenerations < 2)
      bad('numGenerations', "must be >= 2 with scaleRewards 'group'");
    if (c.globalBatchSize % c.numGenerations !== 0)
      bad('globalBatchSize', `must be a multiple of numGenerations (${c.numGenerations})`);
    const isNumber = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
    if (!isNumber(c.temperature) || c.temperature < 0) bad('temperature', 'must be >= 0');
    if (!isNumber(c.topP) || !(c.topP > 0 && c.topP <= 1)) bad('topP', 'must be in (0, 1]');
    if (!isNumber(c.minP) || !(c.minP >= 0 && c.minP <= 1)) bad('minP', 'must be in [0, 1]');
    if (!isNumber(c.repetitionPenalty) || !(c.repetitionPenalty > 0)) bad('repetitionPenalty', 'must be > 0');
    for (const f of ['beta', 'epsilon'] as const) if (!isNumber(c[f]) || !(c[f] >= 0)) bad(f, 'must be >= 0');
    if (c.epsilonHigh !== null && !(isNumber(c.epsilonHigh) && c.epsilonHigh >= 0))
      bad('epsilonHigh', 'must be >= 0 or null');
    if (c.delta !== null && !(isNumber(c.delta) && c.delta >= 1)) bad('delta', 'must be >= 1 or null');
    for (const f of ['maskTruncatedCompletions', 'logCompletions'] as const)
      if (typeof c[f] !== 'boolean') bad(f, 'must be true or false');
    if (
      c.rewardWeights !== null &&
      (!Array.isArray(c.rewardWeights) || c.rewardWeights.some((w) => typeof w !== 'number' || !Number.isFinite(w)))
    ) {
      bad('rewardWeights', 'must be null or an array of finite numbers');
    }
  });
}
