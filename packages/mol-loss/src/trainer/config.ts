/**
 * The MoL training configuration: one flat object of named fields with
 * documented defaults, in the shape of TRL's SFTConfig / transformers'
 * TrainingArguments (snake_case there, camelCase here). The paper's values
 * (Appendix B) are the defaults where it gives them.
 */
import type { MolMode, Normalization } from '../row-plan.js';

export interface MolTrainingConfig {
  /** Where checkpoints (`checkpoint-<step>/`) and `metrics.jsonl` go. Required. */
  outputDir: string;
  /** Loss: 'mol' (paper), 'ce' or 'ce_nokl'. Default 'mol'. */
  mode: MolMode;
  /** Leave empty-think rows out of the loss (EETB). Default false. */
  eetb: boolean;
  /** How a micro-batch's rows make the loss. Default 'separate' (loss = ce + klWeight * kl). */
  normalization: Normalization;
  /** Weight of the KL part. Default 1. */
  klWeight: number;
  /** AdamW learning rate. Default 1e-4 (paper). */
  learningRate: number;
  /** AdamW decoupled weight decay. Default 0.1 (paper). */
  weightDecay: number;
  /** AdamW betas. Default [0.9, 0.999]. */
  adamBetas: [number, number];
  /** AdamW epsilon. Default 1e-8. */
  adamEpsilon: number;
  /** Rows per forward pass. Default 3 (paper's per-device batch). */
  microBatchSize: number;
  /** Rows per optimizer step (gradient accumulation over micro-batches). Default 72 (paper). */
  globalBatchSize: number;
  /** Passes over the training rows. Default 3 (paper). */
  numEpochs: number;
  /** Stop after this many optimizer steps (overrides numEpochs when > 0). Default -1. */
  maxSteps: number;
  /** Warmup as a fraction of the total steps (used when warmupSteps is 0). Default 0.03 (the paper gives none). */
  warmupRatio: number;
  /** Warmup steps. Default 0 (then warmupRatio applies). */
  warmupSteps: number;
  /** 'cosine' (default), 'linear' or 'constant' after warmup. */
  lrSchedulerType: 'cosine' | 'linear' | 'constant';
  /** Global L2 norm the LoRA gradients are clipped to (0 = off). Default 1.0. */
  maxGradNorm: number;
  /** Score the validation rows every this many steps (0 = only at the end). Default 20. */
  evalSteps: number;
  /** Checkpoint every this many steps (0 = only at the end). Default 20. */
  saveSteps: number;
  /** Keep at most this many checkpoints (oldest deleted; 0 = all). Default 0. */
  saveTotalLimit: number;
  /** Seed of the data order (shuffled per epoch from (seed, epoch)). Default 42. */
  seed: number;
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
  /** 'auto' (a bar on a TTY, log lines otherwise), 'bar', 'lines' or 'silent'. Default 'auto'. */
  progress: 'auto' | 'bar' | 'lines' | 'silent';
}

export const MOL_TRAINING_DEFAULTS: Omit<MolTrainingConfig, 'outputDir'> = {
  mode: 'mol',
  eetb: false,
  normalization: 'separate',
  klWeight: 1,
  learningRate: 1e-4,
  weightDecay: 0.1,
  adamBetas: [0.9, 0.999],
  adamEpsilon: 1e-8,
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
  vocabChunk: 8192,
  rowChunk: 1024,
  precomputeBase: true,
  baseCacheMb: 2048,
  progress: 'auto',
};

/** The LoRA settings of the paper (rank 64) for `applyLora`; alpha and dropout are common choices, not the paper's. */
export const MOL_LORA_DEFAULTS = { r: 64, alpha: 128, dropout: 0.05 } as const;

/** A full config from the fields given; unknown fields and bad values are errors naming the field. */
export function molTrainingConfig(fields: Partial<MolTrainingConfig> & { outputDir: string }): MolTrainingConfig {
  const known = new Set([...Object.keys(MOL_TRAINING_DEFAULTS), 'outputDir']);
  for (const key of Object.keys(fields)) {
    if (!known.has(key)) throw new Error(`molTrainingConfig: unknown field '${key}'`);
  }
  const c: MolTrainingConfig = { ...MOL_TRAINING_DEFAULTS, ...fields } as MolTrainingConfig;
  const bad = (field: string, why: string): never => {
    throw new Error(
      `molTrainingConfig: ${field} ${why}, got ${JSON.stringify((c as unknown as Record<string, unknown>)[field])}`,
    );
  };
  if (typeof c.outputDir !== 'string' || !c.outputDir) bad('outputDir', 'must be a non-empty path');
  if (!['mol', 'ce', 'ce_nokl'].includes(c.mode)) bad('mode', "must be 'mol', 'ce' or 'ce_nokl'");
  if (!['separate', 'token', 'sequence'].includes(c.normalization))
    bad('normalization', "must be 'separate', 'token' or 'sequence'");
  if (!['cosine', 'linear', 'constant'].includes(c.lrSchedulerType))
    bad('lrSchedulerType', "must be 'cosine', 'linear' or 'constant'");
  if (!['auto', 'bar', 'lines', 'silent'].includes(c.progress))
    bad('progress', "must be 'auto', 'bar', 'lines' or 'silent'");
  const positiveInt = ['microBatchSize', 'globalBatchSize', 'vocabChunk', 'rowChunk'] as const;
  for (const f of positiveInt) if (!Number.isInteger(c[f]) || c[f] < 1) bad(f, 'must be a positive integer');
  const nonNegativeInt = ['warmupSteps', 'evalSteps', 'saveSteps', 'saveTotalLimit', 'seed'] as const;
  for (const f of nonNegativeInt) if (!Number.isInteger(c[f]) || c[f] < 0) bad(f, 'must be an integer >= 0');
  if (!Number.isInteger(c.maxSteps) || (c.maxSteps < 1 && c.maxSteps !== -1))
    bad('maxSteps', 'must be -1 or a positive integer');
  if (!(c.numEpochs > 0)) bad('numEpochs', 'must be > 0');
  if (!(c.learningRate > 0)) bad('learningRate', 'must be > 0');
  if (typeof c.precomputeBase !== 'boolean') bad('precomputeBase', 'must be true or false');
  const nonNegative = ['weightDecay', 'klWeight', 'maxGradNorm', 'adamEpsilon', 'baseCacheMb'] as const;
  for (const f of nonNegative) if (!(c[f] >= 0)) bad(f, 'must be >= 0');
  if (!(c.warmupRatio >= 0 && c.warmupRatio < 1)) bad('warmupRatio', 'must be in [0, 1)');
  if (c.globalBatchSize % c.microBatchSize !== 0)
    bad('globalBatchSize', `must be a multiple of microBatchSize (${c.microBatchSize})`);
  return c;
}
