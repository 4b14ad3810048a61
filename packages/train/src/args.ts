/**
 * TrainingArgs: the fields every trainer shares (transformers'
 * TrainingArguments, camelCase), with documented defaults and one validator.
 * A trainer's own config extends them with its fields and its defaults; the
 * validator checks the shared fields and unknown names, the trainer its own.
 */
import { PROGRESS_MODES, isProgressMode, type ProgressMode } from '@molrl/progress';
import { constantSchedule, linearSchedule, linearWarmup, warmupCosine, type LrSchedule } from '@molrl/tensor';
import { didYouMean } from './closest-name.js';

export const LR_SCHEDULER_TYPES = ['linear', 'cosine', 'constant'] as const;
export type LrSchedulerType = (typeof LR_SCHEDULER_TYPES)[number];

export interface TrainingArgs {
  /** Where checkpoints (`checkpoint-<step>/`) and `metrics.jsonl` go. Required. */
  outputDir: string;
  /** AdamW learning rate (the peak, after warmup). Default 5e-5. */
  learningRate: number;
  /** After warmup: 'linear' decay to 0 at the last step (default), 'cosine' (half cosine to 0) or 'constant'. */
  lrSchedulerType: LrSchedulerType;
  /** Linear warmup from 0 over this many steps; 0 (default) leaves it to warmupRatio. */
  warmupSteps: number;
  /** Warmup as a fraction of the run's steps (rounded up), when warmupSteps is 0. Default 0. */
  warmupRatio: number;
  /** AdamW decoupled weight decay. Default 0. */
  weightDecay: number;
  /** AdamW betas. Default [0.9, 0.999]. */
  adamBetas: [number, number];
  /** AdamW epsilon. Default 1e-8. */
  adamEpsilon: number;
  /** Global L2 norm the gradients are clipped to (0 = no clipping; the norm is still measured and logged). Default 1. */
  maxGradNorm: number;
  /** Rows per forward/backward pass. Default 8. */
  microBatchSize: number;
  /** Rows per optimizer step: gradients accumulate over globalBatchSize / microBatchSize micro-batches. Default 8. */
  globalBatchSize: number;
  /** Passes over the data, when maxSteps is -1. Default 3. */
  numEpochs: number;
  /** Optimizer steps of the run; -1 (default) = numEpochs passes over the data. */
  maxSteps: number;
  /** Checkpoint every this many steps (0 = only at the end). Default 500. */
  saveSteps: number;
  /** Keep at most this many checkpoints, deleting the oldest (0 = all). Default 0. */
  saveTotalLimit: number;
  /** Evaluate every this many steps (0 = only at the last step), for tasks that evaluate. Default 0. */
  evalSteps: number;
  /** Write a metrics record every this many steps (and at the last). Default 1. */
  logSteps: number;
  /** Seed of the data order (a seeded shuffle per epoch). Default 42. */
  seed: number;
  /** 'auto' (a bar on a terminal, log lines otherwise), 'bar', 'lines' or 'silent'. Default 'auto'. */
  progress: ProgressMode;
  /**
   * A step whose loss or gradient norm is not finite: false (default) stops with an error
   * naming the step, before its update; true skips the update, counts the step in the
   * records' `skipped_steps` and goes on.
   */
  skipNonFiniteSteps: boolean;
  /** Resume from a checkpoint folder, or true for the latest under outputDir (a fresh start when there is none). Default false. */
  resumeFromCheckpoint: string | boolean;
}

export const TRAINING_ARGS_DEFAULTS: Omit<TrainingArgs, 'outputDir'> = {
  learningRate: 5e-5,
  lrSchedulerType: 'linear',
  warmupSteps: 0,
  warmupRatio: 0,
  weightDecay: 0,
  adamBetas: [0.9, 0.999],
  adamEpsilon: 1e-8,
  maxGradNorm: 1,
  microBatchSize: 8,
  globalBatchSize: 8,
  numEpochs: 3,
  maxSteps: -1,
  saveSteps: 500,
  saveTotalLimit: 0,
  evalSteps: 0,
  logSteps: 1,
  seed: 42,
  progress: 'auto',
  skipNonFiniteSteps: false,
  resumeFromCheckpoint: false,
};

/** Throws `<where>: <field> <why>, got <value>`: the message every config check uses. */
export function badField(where: string, config: object, field: string, why: string): never {
  throw new Error(`${where}: ${field} ${why}, got ${shownValue((config as Record<string, unknown>)[field])}`);
}

/** A value as a config error shows it: JSON, but NaN and the infinities as themselves (JSON writes null). */
function shownValue(value: unknown): string {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (value === undefined) return 'undefined';
  return JSON.stringify(value) ?? String(value);
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * A full config from the fields given and the defaults (whose keys, with
 * outputDir, are the known fields): unknown fields and bad shared fields are
 * errors naming the field, prefixed by `where` (e.g. 'GRPOConfig').
 * `checkOwn` checks the trainer's own fields (throwing through `badField`);
 * it runs after the shared fields' checks and before the batch-size relation.
 */
export function resolveTrainingArgs<T extends TrainingArgs>(
  fields: Partial<T> & { outputDir: string },
  defaults: Omit<T, 'outputDir'>,
  where: string,
  checkOwn?: (config: T) => void,
): T {
  if (!fields || typeof fields !== 'object') throw new Error(`${where}: expected an object of fields`);
  const known = new Set([...Object.keys(defaults), 'outputDir']);
  for (const key of Object.keys(fields))
    if (!known.has(key)) throw new Error(`${where}: unknown field '${key}'${didYouMean(key, known)}`);
  const c = { ...defaults, ...fields } as T;
  const bad = (field: keyof TrainingArgs & string, why: string): never => badField(where, c, field, why);
  if (typeof c.outputDir !== 'string' || !c.outputDir) bad('outputDir', 'must be a non-empty path');
  if (!(LR_SCHEDULER_TYPES as readonly unknown[]).includes(c.lrSchedulerType))
    bad('lrSchedulerType', `must be one of ${LR_SCHEDULER_TYPES.map((t) => `'${t}'`).join(', ')}`);
  if (!isProgressMode(c.progress)) bad('progress', `must be one of ${PROGRESS_MODES.map((m) => `'${m}'`).join(', ')}`);
  for (const f of ['microBatchSize', 'globalBatchSize', 'logSteps'] as const)
    if (!Number.isInteger(c[f]) || c[f] < 1) bad(f, 'must be a positive integer');
  for (const f of ['warmupSteps', 'evalSteps', 'saveSteps', 'saveTotalLimit', 'seed'] as const)
    if (!Number.isInteger(c[f]) || c[f] < 0) bad(f, 'must be an integer >= 0');
  if (!Number.isInteger(c.maxSteps) || (c.maxSteps < 1 && c.maxSteps !== -1))
    bad('maxSteps', 'must be -1 or a positive integer');
  if (!isNumber(c.numEpochs) || c.numEpochs <= 0) bad('numEpochs', 'must be a number > 0');
  if (!isNumber(c.learningRate) || c.learningRate <= 0) bad('learningRate', 'must be a number > 0');
  for (const f of ['weightDecay', 'maxGradNorm', 'adamEpsilon'] as const)
    if (!isNumber(c[f]) || c[f] < 0) bad(f, 'must be a number >= 0');
  if (!isNumber(c.warmupRatio) || c.warmupRatio < 0 || c.warmupRatio >= 1) bad('warmupRatio', 'must be in [0, 1)');
  if (
    !Array.isArray(c.adamBetas) ||
    c.adamBetas.length !== 2 ||
    !c.adamBetas.every((b) => isNumber(b) && b >= 0 && b < 1)
  )
    bad('adamBetas', 'must be two numbers in [0, 1)');
  if (typeof c.skipNonFiniteSteps !== 'boolean') bad('skipNonFiniteSteps', 'must be true or false');
  if (
    typeof c.resumeFromCheckpoint !== 'boolean' &&
    (typeof c.resumeFromCheckpoint !== 'string' || !c.resumeFromCheckpoint)
  )
    bad('resumeFromCheckpoint', 'must be true, false or a checkpoint folder');
  checkOwn?.(c);
  if (c.globalBatchSize % c.microBatchSize !== 0)
    bad('globalBatchSize', `must be a multiple of microBatchSize (${c.microBatchSize})`);
  return c;
}

/** TrainingArgs with TRAINING_ARGS_DEFAULTS for the fields not given. */
export function trainingArgs(fields: Partial<TrainingArgs> & { outputDir: string }): TrainingArgs {
  return resolveTrainingArgs(fields, TRAINING_ARGS_DEFAULTS, 'trainingArgs');
}

/** The warmup steps of a run: warmupSteps, or warmupRatio of its steps (rounded up). */
export function warmupStepsOf(args: TrainingArgs, maxSteps: number): number {
  return args.warmupSteps > 0 ? args.warmupSteps : Math.ceil(maxSteps * args.warmupRatio);
}

/** The learning rate of each 0-based step (transformers' get_*_schedule_with_warmup). */
export function learningRateSchedule(args: TrainingArgs, maxSteps: number, warmupSteps: number): LrSchedule {
  const lr = args.learningRate;
  switch (args.lrSchedulerType) {
    case 'linear':
      return linearSchedule(lr, warmupSteps, maxSteps);
    case 'cosine':
      return warmupCosine(lr, warmupSteps, maxSteps);
    case 'constant':
      return warmupSteps > 0 ? linearWarmup(lr, warmupSteps) : constantSchedule(lr);
  }
}
