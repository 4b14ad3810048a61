/**
 * MoL continual training: `MolTask` (the MoL loss on trace rows, validation
 * CE and KL) on `@molrl/train`'s Trainer (AdamW on the LoRA parameters only,
 * gradient accumulation to a global batch, warmup + cosine, global-norm
 * clipping, epochs, JSONL metrics read once per step, a progress bar, and
 * checkpoints that resume onto the same loss curve). Everything is tensor
 * ops, so it runs on any backend of `@molrl/gpu-backend`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkOptionNames, optionNames } from '@molrl/hub-cache';
import type { LoraHandle } from '@molrl/lora';
import type { Qwen3ForCausalLM } from '@molrl/model';
import type { AdamW } from '@molrl/tensor';
import { Trainer, type TrainOptions as SharedTrainOptions } from '@molrl/train';
import { checkRow, type TrainingRow } from './batch.js';
import type { TrainerState } from './checkpoint.js';
import { molTrainingConfig, type MolTrainingConfig } from './config.js';
import { MolTask, type MolMicroBatch, type MolTaskState } from './mol-task.js';

export interface MolTrainerOptions {
  model: Qwen3ForCausalLM;
  /** The adapter being trained (`applyLora(model, MOL_LORA_DEFAULTS)`); disabled it gives the base model. */
  lora: LoraHandle;
  train: readonly TrainingRow[];
  validation?: readonly TrainingRow[];
  config: Partial<MolTrainingConfig> & { outputDir: string };
}

export interface StepMetrics {
  step: number;
  epoch: number;
  loss: number;
  ce: number;
  kl: number;
  lr: number;
  grad_norm: number;
  decision_tokens: number;
  feedback_tokens: number;
  /** Steps skipped so far for a non-finite loss or gradient (with skipNonFiniteSteps). */
  skipped_steps?: number;
}

export interface EvalMetrics {
  step: number;
  eval_loss: number;
  eval_ce: number;
  eval_kl: number;
  eval_decision_tokens: number;
  eval_feedback_tokens: number;
}

export interface TrainResult {
  steps: StepMetrics[];
  evals: EvalMetrics[];
  lastCheckpoint: string | null;
}

/** A checkpoint to resume from, a step to stop after, a Ctrl-C signal, a per-step callback. */
export type TrainOptions = SharedTrainOptions;

/** The names of `MolTrainerOptions` and `TrainOptions` (the typecheck keeps the lists complete). */
const TRAINER_OPTION_NAMES = optionNames<MolTrainerOptions>({
  model: true,
  lora: true,
  train: true,
  validation: true,
  config: true,
});
const TRAIN_OPTION_NAMES = optionNames<TrainOptions>({
  resumeFromCheckpoint: true,
  stopAfterStep: true,
  signal: true,
  onStep: true,
});

/** An options argument: an object of known keys (a misspelt `validaton` must not train without validation). */
function checkOptionsObject(options: unknown, known: readonly string[], fn: string): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new TypeError(`${fn}: expected an options object, got ${options === null ? 'null' : typeof options}`);
  checkOptionNames(options, known, fn);
}

/** The model, the adapter and the row sets of `MolTrainerOptions`, before anything uses them. */
function checkTrainerInputs(options: MolTrainerOptions): void {
  const where = 'MolTrainer';
  const model = options.model as Partial<Qwen3ForCausalLM> | undefined;
  if (typeof model !== 'object' || model === null || typeof model.config?.vocab_size !== 'number')
    throw new TypeError(`${where}: model must be a @molrl/model Qwen3ForCausalLM, got ${typeof options.model}`);
  const lora = options.lora as Partial<LoraHandle> | undefined;
  if (typeof lora !== 'object' || lora === null || typeof lora.parameters !== 'function')
    throw new TypeError(
      `${where}: lora must be the LoraHandle applyLora(model, ...) returns, got ${typeof options.lora}`,
    );
  // The loss is the model's; the optimizer steps the handle's tensors: another model's adapter never learns.
  if (lora.model !== model)
    throw new Error(
      `${where}: lora is an adapter on another model; pass the model it was applied to (applyLora(model, ...) and the same model here)`,
    );
  for (const set of ['train', 'validation'] as const) {
    const rows: unknown = options[set];
    if (set === 'validation' && rows === undefined) continue;
    if (!Array.isArray(rows))
      throw new TypeError(`${where}: ${set} must be an array of training rows ({ ids, labels }), got ${typeof rows}`);
  }
}

export class MolTrainer {
  readonly config: MolTrainingConfig;
  readonly model: Qwen3ForCausalLM;
  readonly lora: LoraHandle;
  readonly train: readonly TrainingRow[];
  readonly validation: readonly TrainingRow[];
  /** The shared training loop this trainer runs MoL on. */
  readonly trainer: Trainer<MolMicroBatch, MolTaskState>;
  readonly optimizer: AdamW;
  /** Total optimizer steps of the run. */
  readonly maxSteps: number;
  readonly warmupSteps: number;
  private readonly task: MolTask;

  constructor(options: MolTrainerOptions) {
    checkOptionsObject(options, TRAINER_OPTION_NAMES, 'MolTrainer');
    checkTrainerInputs(options);
    this.config = molTrainingConfig(options.config);
    this.model = options.model;
    this.lora = options.lora;
    if (!options.train.length) throw new Error('MolTrainer: the training set is empty');
    const vocab = this.model.config.vocab_size;
    options.train.forEach((row, i) => checkRow(row, `MolTrainer: train[${i}]`, vocab));
    (options.validation ?? []).forEach((row, i) => checkRow(row, `MolTrainer: validation[${i}]`, vocab));
    this.train = options.train;
    this.validation = options.validation ?? [];
    this.task = new MolTask(this.model, this.lora, this.config, this.train, this.validation);
    this.trainer = new Trainer({ args: this.config, lora: this.lora, task: this.task, name: 'MolTrainer' });
    this.optimizer = this.trainer.optimizer;
    this.maxSteps = this.trainer.maxSteps;
    this.warmupSteps = this.trainer.warmupSteps;
  }

  /** Device bytes held by the precomputed base distributions. */
  get baseCacheBytes(): number {
    return this.task.baseCacheBytes;
  }

  /** Free the precomputed base distributions (they are remade on demand). */
  releaseBaseCache(): void {
    this.task.dispose();
  }

  /** Score the validation rows: CE and KL as token means over the whole set (no gradients, adapter dropout off). */
  async evaluate(step = this.trainer.globalStep): Promise<EvalMetrics | null> {
    return (await this.trainer.evaluate(step)) as EvalMetrics | null;
  }

  /** Run (or resume) the training loop. */
  async trainLoop(options: TrainOptions = {}): Promise<TrainResult> {
    checkOptionsObject(options, TRAIN_OPTION_NAMES, 'MolTrainer.trainLoop');
    const result = await this.trainer.train(options);
    return {
      steps: result.steps as unknown as StepMetrics[],
      evals: result.evals as unknown as EvalMetrics[],
      lastCheckpoint: result.lastCheckpoint,
    };
  }
}

/** Train with MoL in one call (TRL-style): build the trainer and run it. */
export async function trainMol(options: MolTrainerOptions & TrainOptions): Promise<TrainResult> {
  checkOptionsObject(options, [...TRAINER_OPTION_NAMES, ...TRAIN_OPTION_NAMES], 'trainMol');
  const { model, lora, train, validation, config, ...run } = options;
  return new MolTrainer({ model, lora, train, config, ...(validation === undefined ? {} : { validation }) }).trainLoop(
    run,
  );
}

/** The trainer state saved in a checkpoint folder (for tools that inspect runs). */
export function readTrainerState(dir: string): TrainerState {
  if (typeof dir !== 'string' || dir === '')
    throw new TypeError(`readTrainerState: dir must be a checkpoint folder path, got ${typeof dir}`);
  const path = join(dir, 'trainer_state.json');
  let state: unknown;
  try {
    state = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`readTrainerState: ${path}: ${(error as Error).message}`, { cause: error });
  }
  // null, a number or a list parses, and was returned as a state whose fields are all missing.
  if (typeof state !== 'object' || state === null || Array.isArray(state))
    throw new Error(
      `readTrainerState: ${path}: expected a JSON object (the trainer state), got ${state === null ? 'null' : Array.isArray(state) ? 'an array' : typeof state}`,
    );
  return state as TrainerState;
}
