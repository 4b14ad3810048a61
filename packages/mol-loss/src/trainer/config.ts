/**
 * The MoL training configuration: one flat object of named fields with
 * documented defaults, in the shape of TRL's SFTConfig / transformers'
 * TrainingArguments (snake_case there, camelCase here). The paper's values
 * (Appendix B) are the defaults where it gives them.
 */
import { badField, resolveTrainingArgs, TRAINING_ARGS_DEFAULTS, type TrainingArgs } from '@molrl/train';
import type { MolMode, Normalization } from '../row-plan.js';

/**
 * The shared fields (`TrainingArgs` of `@molrl/train`: learning rate and schedule,
 * batch sizes, clipping, steps and epochs, save/eval/log cadence, seed, resume) with
 * MoL's defaults: lr 1e-4, weight decay 0.1, micro-batch 3, global batch 72, 3 epochs
 * (paper), warmup ratio 0.03 and cosine decay, eval and save every 20 steps; and MoL's own.
 */
export interface MolTrainingConfig extends TrainingArgs {
  /** Loss: 'mol' (paper), 'ce' or 'ce_nokl'. Default 'mol'. */
  mode: MolMode;
  /** Leave empty-think rows out of the loss (EETB). Default false. */
  eetb: boolean;
  /** How a micro-batch's rows make the loss. Default 'separate' (loss = ce + klWeight * kl). */
  normalization: Normalization;
  /** Weight of the KL part. Default 1. */
  klWeight: number;
  /** Vocabulary entries per chunk of the fused loss. Default 8192. */
  vocabChunk: number;
  /** Rows per chunk of the fused loss. Default 1024. */
  rowChunk: number;
  /**
   * Compute each example's base distribution on its decision rows once (the base model
   * with the adapter off, then a mean LM-head row and an entropy per decision token) and
   * keep it on the device for the later epochs, as TRL's `precompute_ref_log_probs` does.
   * Needs a frozen LM head (otherwise the trainer runs the base every step). Default true.
   */
  precomputeBase: boolean;
  /** Device memory the precomputed base distributions may take, in MiB ((hidden + 1) x 4 bytes per decision token). Default 2048. */
  baseCacheMb: number;
}

export const MOL_TRAINING_DEFAULTS: Omit<MolTrainingConfig, 'outputDir'> = {
  ...TRAINING_ARGS_DEFAULTS,
  learningRate: 1e-4,
  weightDecay: 0.1,
  microBatchSize: 3,
  globalBatchSize: 72,
  numEpochs: 3,
  maxSteps: -1,
  warmupRatio: 0.03,
  warmupSteps: 0,
  lrSchedulerType: 'cosine',
  maxGradNorm: 1,
  evalSteps: 20,
  saveSteps: 20,
  saveTotalLimit: 0,
  seed: 42,
  mode: 'mol',
  eetb: false,
  normalization: 'separate',
  klWeight: 1,
  vocabChunk: 8192,
  rowChunk: 1024,
  precomputeBase: true,
  baseCacheMb: 2048,
};

/** The LoRA settings of the paper (rank 64) for `applyLora`; alpha and dropout are common choices, not the paper's. */
export const MOL_LORA_DEFAULTS = { r: 64, alpha: 128, dropout: 0.05 } as const;

/** A full config from the fields given; unknown fields and bad values are errors naming the field. */
export function molTrainingConfig(fields: Partial<MolTrainingConfig> & { outputDir: string }): MolTrainingConfig {
  const where = 'molTrainingConfig';
  return resolveTrainingArgs<MolTrainingConfig>(fields, MOL_TRAINING_DEFAULTS, where, (c) => {
    const bad = (field: keyof MolTrainingConfig & string, why: string): never => badField(where, c, field, why);
    if (!['mol', 'ce', 'ce_nokl'].includes(c.mode)) bad('mode', "must be 'mol', 'ce' or 'ce_nokl'");
    if (!['separate', 'token', 'sequence'].includes(c.normalization))
      bad('normalization', "must be 'separate', 'token' or 'sequence'");
    for (const f of ['vocabChunk', 'rowChunk'] as const)
      if (!Number.isInteger(c[f]) || c[f] < 1) bad(f, 'must be a positive integer');
    if (typeof c.eetb !== 'boolean') bad('eetb', 'must be true or false');
    if (typeof c.precomputeBase !== 'boolean') bad('precomputeBase', 'must be true or false');
    for (const f of ['klWeight', 'baseCacheMb'] as const)
      if (typeof c[f] !== 'number' || !(c[f] >= 0) || !Number.isFinite(c[f])) bad(f, 'must be a number >= 0');
  });
}
