/**
 * The training loop every trainer shares, as transformers' Trainer is to TRL's
 * trainers: the data order, gradient accumulation over micro-batches,
 * clipping, AdamW on the adapter with a warmup schedule, JSONL metrics, a
 * progress bar, evaluation, and checkpoints that resume onto the same run.
 * A task (`TrainingTask`) says what a micro-batch is and what its loss is.
 *
 * A step reads the device once: the micro-batch losses, the task's metric
 * tensors and the gradient norm are gathered into one tensor and read after
 * the backward passes, before the update; that read also decides whether the
 * step is finite. Before each micro-batch's forward and backward the loop
 * yields to the event loop, so a Ctrl-C handler runs; an aborted `signal` stops
 * training there or between steps, never inside a checkpoint being written.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  listCheckpoints,
  loadTrainingCheckpoint,
  pruneCheckpoints,
  removeIncompleteCheckpoints,
  saveTrainingCheckpoint,
  TRAINER_STATE_FILE,
  type LoraHandle,
} from '@molrl/lora';
import { MetricsWriter, startProgress, truncateMetricsFile, type MetricRecord } from '@molrl/progress';
import { AdamW, clipGradNorm, gradNorm, mul, type LrSchedule, type Tensor } from '@molrl/tensor';
import { learningRateSchedule, warmupStepsOf, type TrainingArgs } from './args.js';
import { DataOrder } from './data-order.js';
import { LogWindow } from './log-window.js';
import { NonFiniteStepError } from './non-finite.js';
import { readScalars } from './read-scalars.js';
import type { EvalRecord, StepContext, StepRecord, TrainingTask } from './task.js';
import { changedSettings } from './resume-settings.js';
import { optionalCounter, savedSettings, TRAINER_STATE_COUNTERS, type TrainerState } from './trainer-state.js';

export interface TrainerOptions<MicroBatch, State extends object> {
  /** Complete arguments (`trainingArgs(...)`, or a trainer config built with `resolveTrainingArgs`). */
  args: TrainingArgs;
  /** The adapter being trained: AdamW updates its parameters; its model's dropout counter is checkpointed. */
  lora: LoraHandle;
  task: TrainingTask<MicroBatch, State>;
  /** Names the trainer in errors, e.g. 'MolTrainer'. Default 'Trainer'. */
  name?: string;
}

export interface TrainOptions {
  /** A checkpoint folder, or true for the latest under outputDir (none: a fresh start). Default: the args' field. */
  resumeFromCheckpoint?: string | boolean;
  /**
   * Stop (with a checkpoint) after this step even if the run is longer: for staged runs and tests.
   * A logging window open there (logSteps > 1) goes into the checkpoint, not into metrics.jsonl.
   */
  stopAfterStep?: number;
  /** Stops training at the next micro-batch or step, rejecting with the signal's reason (Ctrl-C). */
  signal?: AbortSignal;
  /** Called with each step's record. */
  onStep?: (record: StepRecord) => void;
}

export interface TrainResult {
  steps: StepRecord[];
  evals: EvalRecord[];
  lastCheckpoint: string | null;
  /** The checkpoint the run resumed from, or null for a fresh start. */
  resumedFrom: string | null;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export class Trainer<MicroBatch, State extends object = object> {
  readonly args: TrainingArgs;
  readonly lora: LoraHandle;
  readonly task: TrainingTask<MicroBatch, State>;
  readonly name: string;
  readonly optimizer: AdamW;
  readonly data: DataOrder;
  /** Optimizer steps of the run. */
  readonly maxSteps: number;
  readonly warmupSteps: number;
  readonly schedule: LrSchedule;
  readonly metrics: MetricsWriter;
  /** Steps taken, skipped ones included. */
  globalStep = 0;
  /** Steps whose update was skipped (skipNonFiniteSteps). */
  skippedSteps = 0;
  private lastSaved: string | null = null;
  /** The steps since the last record written to metrics.jsonl. */
  private readonly logWindow = new LogWindow();

  constructor(options: TrainerOptions<MicroBatch, State>) {
    this.args = options.args;
    this.lora = options.lora;
    this.task = options.task;
    this.name = options.name ?? 'Trainer';
    const a = this.args;
    this.data = new DataOrder(this.task.datasetSize, a.seed);
    this.maxSteps = a.maxSteps > 0 ? a.maxSteps : Math.ceil(this.task.stepsPerEpoch() * a.numEpochs);
    this.warmupSteps = warmupStepsOf(a, this.maxSteps);
    this.schedule = learningRateSchedule(a, this.maxSteps, this.warmupSteps);
    // The schedule follows the trainer's steps, skipped ones included, as transformers' does.
    this.optimizer = new AdamW(this.lora.namedParameters(), {
      lr: () => this.schedule(this.globalStep),
      betas: a.adamBetas,
      eps: a.adamEpsilon,
      weightDecay: a.weightDecay,
    });
    this.metrics = new MetricsWriter(join(a.outputDir, 'metrics.jsonl'));
  }

  private get model() {
    return this.lora.model;
  }

  /** One optimizer step: micro-batches, backward, one device read, update (or skip). */
  private async update(signal: AbortSignal | undefined): Promise<StepRecord> {
    const context: StepContext = { step: this.globalStep + 1, data: this.data, ...(signal ? { signal } : {}) };
    const lr = this.optimizer.lr;
    this.model.train();
    const microBatches = await this.task.batches(context);
    if (!microBatches.length) throw new Error(`${this.name}: step ${context.step}: the task gave no micro-batches`);
    const mean = (this.task.lossReduction ?? 'mean') === 'mean';
    const losses: Tensor[] = [];
    const metrics: Record<string, Tensor | number>[] = [];
    const held: Tensor[] = [];
    let norm: Tensor | null = null;
    let values: number[];
    try {
      for (const microBatch of microBatches) {
        await yieldToEventLoop();
        signal?.throwIfAborted();
        const out = this.task.loss(microBatch, context);
        losses.push(out.loss);
        metrics.push(out.metrics ?? {});
        for (const v of Object.values(out.metrics ?? {})) if (typeof v !== 'number') held.push(v);
        // Between the forward and the backward too: each can take a while on a CPU.
        await yieldToEventLoop();
        signal?.throwIfAborted();
        const scaled = mean ? mul(out.loss, 1 / microBatches.length) : out.loss;
        scaled.backward();
        if (scaled !== out.loss) scaled.dispose();
      }
      const params = this.lora.parameters();
      norm = this.args.maxGradNorm > 0 ? clipGradNorm(params, this.args.maxGradNorm) : gradNorm(params);
      values = await readScalars([norm, ...losses, ...held]);
    } catch (error) {
      this.optimizer.zeroGrad();
      throw error;
    } finally {
      for (const t of [norm, ...losses, ...held]) if (t && !t.isDisposed) t.dispose();
    }
    const gradNormValue = values[0]!;
    let k = 1;
    const lossValues = losses.map(() => values[k++]!);
    const read = metrics.map((m) =>
      Object.fromEntries(Object.entries(m).map(([key, v]) => [key, typeof v === 'number' ? v : values[k++]!])),
    );
    let lossSum = 0;
    for (const v of lossValues) lossSum += v;
    const loss = mean ? lossSum / lossValues.length : lossSum;
    const finite = Number.isFinite(loss) && Number.isFinite(gradNormValue);
    let fields: Record<string, number>;
    try {
      if (finite) this.optimizer.step();
      else if (!this.args.skipNonFiniteSteps)
        throw new NonFiniteStepError(context.step, loss, gradNormValue, this.name, this.lastSaved);
      else this.skippedSteps++;
      this.globalStep = context.step;
      fields = this.task.stepMetrics ? this.task.stepMetrics(read, context) : meanMetrics(read);
    } finally {
      this.optimizer.zeroGrad();
      this.task.endStep?.(context);
    }
    const record = { step: context.step, loss, lr, grad_norm: gradNormValue } as StepRecord;
    Object.assign(record, fields, { step: context.step, loss, lr, grad_norm: gradNormValue });
    if (this.args.skipNonFiniteSteps) record.skipped_steps = this.skippedSteps;
    return record;
  }

  /**
   * Add a step's record to the logging window; at every logSteps-th step and the
   * run's last, write the window's summary (means over its steps, the last
   * step's value for LAST_VALUE_METRICS) to metrics.jsonl and start a new window.
   */
  private log(record: StepRecord): void {
    this.logWindow.add(record);
    if (record.step % this.args.logSteps !== 0 && record.step !== this.maxSteps) return;
    this.metrics.write({ ...this.logWindow.summary() });
    this.logWindow.clear();
  }

  /** One optimizer step, its window's record written to metrics.jsonl (every logSteps, and at the last); no checkpoint. */
  async step(options: { signal?: AbortSignal } = {}): Promise<StepRecord> {
    const record = await this.update(options.signal);
    this.log(record);
    return record;
  }

  /** Run the task's evaluation at `step` and write its record; null when the task has nothing to evaluate. */
  async evaluate(step = this.globalStep, signal?: AbortSignal): Promise<EvalRecord | null> {
    if (!this.task.evaluate) return null;
    const record = await this.task.evaluate(step, signal);
    if (record) this.metrics.write({ ...record } as MetricRecord);
    return record;
  }

  /** Write `checkpoint-<globalStep>/` (adapter, optimizer moments, trainer state) and prune old ones. */
  async saveCheckpoint(): Promise<string> {
    // Only between two records (logSteps > 1): the steps since the last one, so a resume writes the same records.
    const logWindow = this.logWindow.state();
    const state = {
      globalStep: this.globalStep,
      examplesSeen: this.data.examplesSeen,
      skippedSteps: this.skippedSteps,
      dropoutSeed: this.model.module.dropoutSeed,
      maxSteps: this.maxSteps,
      args: this.args,
      ...(logWindow ? { logWindow } : {}),
      ...this.task.state({ data: this.data, globalStep: this.globalStep }),
    } satisfies TrainerState;
    const dir = await saveTrainingCheckpoint(this.args.outputDir, state, this.lora, this.optimizer);
    this.lastSaved = dir;
    await pruneCheckpoints(this.args.outputDir, this.args.saveTotalLimit, dir);
    return dir;
  }

  /**
   * Restore the adapter, optimizer, data position, dropout counter and task
   * state from a checkpoint folder (or the latest under outputDir for true);
   * returns the folder, or null when `from` is true and there is none.
   */
  async resume(from: string | true): Promise<string | null> {
    const dir = from === true ? await this.latestResumable() : from;
    if (!dir) return null;
    const file = join(dir, TRAINER_STATE_FILE);
    const state = await loadTrainingCheckpoint<TrainerState & State>(dir, this.lora, this.optimizer, [
      ...TRAINER_STATE_COUNTERS,
      ...((this.task.stateCounters ?? []) as (keyof (TrainerState & State) & string)[]),
    ]);
    const raw = state as unknown as Record<string, unknown>;
    const maxSteps = optionalCounter(raw, 'maxSteps', file);
    if (maxSteps !== undefined && maxSteps !== this.maxSteps)
      throw new Error(
        `${this.name}: checkpoint ${dir} belongs to a run of ${maxSteps} steps, this run has ${this.maxSteps}`,
      );
    // Earlier versions kept the settings in the task's `config`.
    const changed = changedSettings(savedSettings(raw, file), this.args, this.task.resumableSettings ?? []);
    if (changed.length)
      throw new Error(
        `${this.name}: checkpoint ${dir} was written with other settings (${changed.join('; ')}): ` +
          'resuming would not continue that run. Resume with its settings, or start a new run in another outputDir',
      );
    let examplesSeen = optionalCounter(raw, 'examplesSeen', file);
    if (examplesSeen === undefined) {
      if (!this.task.legacyExamplesSeen)
        throw new Error(`${this.name}: ${file} has no 'examplesSeen' (written by an earlier version); cannot resume`);
      examplesSeen = this.task.legacyExamplesSeen(raw, file);
    }
    const skipped = optionalCounter(raw, 'skippedSteps', file) ?? 0;
    if (skipped > state.globalStep)
      throw new Error(`loadCheckpoint: ${file}: skippedSteps (${skipped}) exceeds globalStep (${state.globalStep})`);
    this.logWindow.restore(raw.logWindow, file, state.globalStep);
    this.globalStep = state.globalStep;
    this.skippedSteps = skipped;
    // AdamW's bias correction counts the updates actually made.
    this.optimizer.stepCount = state.globalStep - skipped;
    this.data.seek(examplesSeen);
    this.model.module.dropoutSeed = state.dropoutSeed;
    this.task.restore(raw as State & Record<string, unknown>);
    this.lastSaved = dir;
    return dir;
  }

  /**
   * The newest complete checkpoint under outputDir, or null. A newer folder without
   * trainer_state.json (a save is renamed into place whole, so it is damaged or not
   * this trainer's) is an error: resuming from an older one would silently redo its steps.
   */
  private async latestResumable(): Promise<string | null> {
    const folders = await listCheckpoints(this.args.outputDir);
    const latest = folders.filter((c) => c.complete).at(-1);
    const newer = folders.filter((c) => !c.complete && c.step > (latest?.step ?? -1));
    if (newer.length)
      throw new Error(
        `${this.name}: ${newer.map((c) => c.dir).join(', ')} ${newer.length > 1 ? 'have' : 'has'} no ${TRAINER_STATE_FILE} ` +
          `(damaged, or not written by this trainer), and ${latest ? `the newest complete checkpoint is ${latest.dir}` : 'there is no complete checkpoint'}: ` +
          'remove the folder, or pass the checkpoint to resume from as resumeFromCheckpoint',
      );
    return latest?.dir ?? null;
  }

  /** Run (or resume) training to maxSteps (or stopAfterStep). */
  async train(options: TrainOptions = {}): Promise<TrainResult> {
    const a = this.args;
    const signal = options.signal;
    signal?.throwIfAborted();
    await removeIncompleteCheckpoints(a.outputDir);
    const resume = options.resumeFromCheckpoint ?? a.resumeFromCheckpoint;
    if (typeof resume === 'string' && !existsSync(resume)) throw new Error(`${this.name}: no checkpoint at ${resume}`);
    const resumedFrom = resume ? await this.resume(resume) : null;
    // metrics.jsonl keeps only what this run stands behind: up to the step resumed from, nothing on a fresh start.
    await truncateMetricsFile(this.metrics.path, 'step', this.globalStep);
    const stopAt = Math.min(this.maxSteps, options.stopAfterStep ?? this.maxSteps);
    const steps: StepRecord[] = [];
    const evals: EvalRecord[] = [];
    let lastCheckpoint: string | null = null;
    let saveDue = false;
    const progress = startProgress(this.task.name, this.maxSteps, {
      unit: 'steps',
      mode: a.progress,
      initial: this.globalStep,
    });
    progress.update(this.globalStep);
    try {
      while (this.globalStep < stopAt) {
        signal?.throwIfAborted();
        const record = await this.update(signal);
        const step = record.step;
        steps.push(record);
        this.log(record);
        progress.update(step, this.task.describe?.(record) ?? `loss ${record.loss.toFixed(4)}`);
        options.onStep?.(record);
        if (this.task.evaluate && ((a.evalSteps > 0 && step % a.evalSteps === 0) || step === this.maxSteps)) {
          const e = await this.evaluate(step, signal);
          if (e) evals.push(e);
        }
        if (a.saveSteps > 0 && step % a.saveSteps === 0) saveDue = true;
        if (step === stopAt || (saveDue && (this.task.atBoundary?.() ?? true))) {
          lastCheckpoint = await this.saveCheckpoint();
          saveDue = false;
        }
      }
    } finally {
      progress.stop();
      this.task.dispose?.();
    }
    return { steps, evals, lastCheckpoint, resumedFrom };
  }
}

function meanMetrics(microBatches: readonly Record<string, number>[]): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const m of microBatches) for (const [k, v] of Object.entries(m)) sums[k] = (sums[k] ?? 0) + v;
  return Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / microBatches.length]));
}
