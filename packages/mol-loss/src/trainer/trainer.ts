/**
 * MoL continual training: AdamW on the LoRA parameters only, gradient
 * accumulation to a global batch, warmup + cosine (or linear/constant),
 * global-norm clipping, epochs, validation (CE and KL separately), JSONL
 * metrics, a progress bar, and checkpoints that resume onto the same loss
 * curve.
 *
 * The KL rows need the base model (the adapter off). With `precomputeBase`
 * (the default) each example's base distribution on its decision rows (a mean
 * LM-head row and an entropy per row, see `baseDistribution`) is computed once,
 * the first time the example is met, and kept on the device for the later
 * epochs: a step then runs the model once, and its KL rows cost what CE rows
 * cost. Without it, each micro-batch runs the base model again for its hidden
 * states. Everything is tensor ops, so it runs on any backend of
 * `@molrl/gpu-backend`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Qwen3ForCausalLM } from '@molrl/model';
import type { LoraHandle } from '@molrl/lora';
import {
  AdamW,
  clipGradNorm,
  tidy,
  zeros,
  constantSchedule,
  linearSchedule,
  mul,
  noGrad,
  warmupCosine,
  type LrSchedule,
  type Tensor,
} from '@molrl/tensor';
import { MetricsWriter, startProgress, truncateMetricsFile, type MetricRecord } from '@molrl/progress';
import { fusedMolLoss } from '../fused-mol-loss.js';
import { baseDistribution, type BaseDistribution } from '../base-distribution.js';
import { BaseDistributionCache, assembleBaseDistribution, type BaseEntry } from './base-cache.js';
import { planRows } from '../row-plan.js';
import { checkRow, makeMicroBatch, type MicroBatch, type TrainingRow } from './batch.js';
import { molTrainingConfig, type MolTrainingConfig } from './config.js';
import { epochOrder, stepRows, stepsPerEpoch } from './data-order.js';
import { latestCheckpoint, loadCheckpoint, pruneCheckpoints, saveCheckpoint, type TrainerState } from './checkpoint.js';

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

export interface TrainOptions {
  /** A checkpoint folder, or true for the latest under outputDir. */
  resumeFromCheckpoint?: string | boolean;
  /** Stop (with a checkpoint) after this step even if the run is longer: for staged runs and tests. */
  stopAfterStep?: number;
}

export class MolTrainer {
  readonly config: MolTrainingConfig;
  readonly model: Qwen3ForCausalLM;
  readonly lora: LoraHandle;
  readonly optimizer: AdamW;
  readonly train: readonly TrainingRow[];
  readonly validation: readonly TrainingRow[];
  /** Total optimizer steps of the run. */
  readonly maxSteps: number;
  readonly warmupSteps: number;
  private readonly metrics: MetricsWriter;
  private readonly baseCache: BaseDistributionCache;
  private warnedCacheFull = false;

  constructor(options: MolTrainerOptions) {
    this.config = molTrainingConfig(options.config);
    this.model = options.model;
    this.lora = options.lora;
    if (!options.train.length) throw new Error('MolTrainer: the training set is empty');
    options.train.forEach((row, i) => checkRow(row, `MolTrainer: train[${i}]`));
    (options.validation ?? []).forEach((row, i) => checkRow(row, `MolTrainer: validation[${i}]`));
    this.train = options.train;
    this.validation = options.validation ?? [];
    const c = this.config;
    const perEpoch = stepsPerEpoch(this.train.length, c.globalBatchSize);
    this.maxSteps = c.maxSteps > 0 ? c.maxSteps : Math.ceil(perEpoch * c.numEpochs);
    this.warmupSteps = c.warmupSteps > 0 ? c.warmupSteps : Math.ceil(this.maxSteps * c.warmupRatio);
    const schedule: LrSchedule =
      c.lrSchedulerType === 'cosine'
        ? warmupCosine(c.learningRate, this.warmupSteps, this.maxSteps)
        : c.lrSchedulerType === 'linear'
          ? linearSchedule(c.learningRate, this.warmupSteps, this.maxSteps)
          : (step) =>
              step < this.warmupSteps
                ? (c.learningRate * step) / this.warmupSteps
                : constantSchedule(c.learningRate)(step);
    this.optimizer = new AdamW(this.lora.namedParameters(), {
      lr: schedule,
      betas: c.adamBetas,
      eps: c.adamEpsilon,
      weightDecay: c.weightDecay,
    });
    this.metrics = new MetricsWriter(join(c.outputDir, 'metrics.jsonl'));
    this.baseCache = new BaseDistributionCache(c.baseCacheMb * 2 ** 20);
  }

  /** Device bytes held by the precomputed base distributions. */
  get baseCacheBytes(): number {
    return this.baseCache.bytes;
  }

  /** Free the precomputed base distributions (they are remade on demand). */
  releaseBaseCache(): void {
    this.baseCache.clear();
  }

  /**
   * One example's base distribution on its decision rows: the base model (adapter off,
   * eval mode so no dropout stream advances) on that example alone, so the values never
   * depend on the other examples of a micro-batch.
   */
  private exampleBase(row: TrainingRow): BaseEntry {
    const one = makeMicroBatch([row]);
    const positions = Int32Array.from(one.labels.flatMap((label, i) => (label === 'decision' ? [i] : [])));
    const hiddenSize = this.model.config.hidden_size;
    if (!positions.length) return { positions, meanHead: zeros([0, hiddenSize]), entropy: zeros([0]) };
    const wasEnabled = this.lora.enabled;
    const wasTraining = this.model.module.training;
    this.lora.disable();
    this.model.eval();
    try {
      return noGrad(() => {
        const hidden = this.model.hiddenSync(one.ids, { positionIds: one.positionIds, segmentIds: one.segmentIds });
        const dist = baseDistribution({
          baseHidden: hidden,
          lmHeadWeight: this.model.lmHeadWeight,
          rows: positions,
          rowChunk: this.config.rowChunk,
          vocabChunk: this.config.vocabChunk,
        });
        hidden.dispose();
        return { positions, ...dist };
      });
    } finally {
      if (wasEnabled) this.lora.enable();
      if (wasTraining) this.model.train();
    }
  }

  /** The micro-batch's base distribution from the cache, computing the examples it lacks. */
  private batchBase(batch: MicroBatch, keys: readonly string[], rows: readonly TrainingRow[]): BaseDistribution {
    const fresh: BaseEntry[] = [];
    const entries = keys.map((key, b) => {
      const hit = this.baseCache.get(key);
      if (hit) return hit;
      const entry = this.exampleBase(rows[b]!);
      if (!this.baseCache.offer(key, entry)) {
        fresh.push(entry);
        if (!this.warnedCacheFull) {
          this.warnedCacheFull = true;
          console.warn(
            `MolTrainer: the precomputed base distributions reached baseCacheMb (${this.config.baseCacheMb} MB); examples past it run the base model every time they are met`,
          );
        }
      }
      return entry;
    });
    try {
      return tidy(() => assembleBaseDistribution(entries, batch.ids[0]!.length, this.model.config.hidden_size));
    } finally {
      for (const e of fresh) {
        e.meanHead.dispose();
        e.entropy.dispose();
      }
    }
  }

  /** Forward one micro-batch (and the base where needed) and return the loss parts (the graph of `loss` is live). */
  private microBatchLoss(
    batch: MicroBatch,
    keys: readonly string[],
    rows: readonly TrainingRow[],
  ): { loss: Tensor; ce: Tensor; kl: Tensor; ceRows: number; klRows: number; decision: number; feedback: number } {
    const c = this.config;
    const lossOptions = {
      labels: batch.labels,
      mode: c.mode,
      eetb: c.eetb ? batch.emptyThink : undefined,
      normalization: c.normalization,
      klWeight: c.klWeight,
      sequenceIds: batch.sequenceIds,
    };
    const plan = planRows('MolTrainer', batch.labels, batch.targets, this.model.config.vocab_size, lossOptions);
    const forward = { positionIds: batch.positionIds, segmentIds: batch.segmentIds };
    let baseHidden: Tensor | null = null;
    let baseDist: BaseDistribution | null = null;
    const lmHeadWeight = this.model.lmHeadWeight;
    if (plan.klRows > 0 && c.precomputeBase && !lmHeadWeight.requiresGrad) {
      baseDist = this.batchBase(batch, keys, rows);
    } else if (plan.klRows > 0) {
      const wasEnabled = this.lora.enabled;
      this.lora.disable();
      try {
        baseHidden = noGrad(() => this.model.hiddenSync(batch.ids, forward));
      } finally {
        if (wasEnabled) this.lora.enable();
      }
    }
    const hidden = this.model.hiddenSync(batch.ids, forward);
    const out = fusedMolLoss({
      hidden,
      baseHidden,
      baseDistribution: baseDist,
      lmHeadWeight,
      targets: batch.targets,
      ...lossOptions,
      rowChunk: c.rowChunk,
      vocabChunk: c.vocabChunk,
    });
    hidden.dispose();
    baseHidden?.dispose();
    baseDist?.meanHead.dispose();
    baseDist?.entropy.dispose();
    return {
      ...out,
      ceRows: plan.ceRows,
      klRows: plan.klRows,
      decision: out.counts.decision,
      feedback: out.counts.feedback,
    };
  }

  /** Micro-batches of `indices` into `rows`, each with its examples' cache keys (`set` + index). */
  private microBatches(
    set: 'train' | 'validation',
    rows: readonly TrainingRow[],
    indices: readonly number[],
  ): { batch: MicroBatch; keys: string[]; rows: TrainingRow[] }[] {
    const out: { batch: MicroBatch; keys: string[]; rows: TrainingRow[] }[] = [];
    for (let i = 0; i < indices.length; i += this.config.microBatchSize) {
      const part = indices.slice(i, i + this.config.microBatchSize);
      const members = part.map((j) => rows[j]!);
      out.push({ batch: makeMicroBatch(members), keys: part.map((j) => `${set}:${j}`), rows: members });
    }
    return out;
  }

  /** Score the validation rows: CE and KL as token means over the whole set (no gradients, adapter dropout off). */
  async evaluate(step = this.optimizer.stepCount): Promise<EvalMetrics | null> {
    if (!this.validation.length) return null;
    const wasTraining = this.model.module.training;
    this.model.eval();
    let ceSum = 0;
    let klSum = 0;
    let ceRows = 0;
    let klRows = 0;
    let decision = 0;
    let feedback = 0;
    try {
      for (const { batch, keys, rows } of this.microBatches(
        'validation',
        this.validation,
        this.validation.map((_, i) => i),
      )) {
        const out = noGrad(() => this.microBatchLoss(batch, keys, rows));
        ceSum += (await out.ce.item()) * out.ceRows;
        klSum += (await out.kl.item()) * out.klRows;
        ceRows += out.ceRows;
        klRows += out.klRows;
        decision += out.decision;
        feedback += out.feedback;
        out.loss.dispose();
        out.ce.dispose();
        out.kl.dispose();
      }
    } finally {
      if (wasTraining) this.model.train();
    }
    const evalCe = ceRows ? ceSum / ceRows : 0;
    const evalKl = klRows ? klSum / klRows : 0;
    const record: EvalMetrics = {
      step,
      eval_loss: evalCe + this.config.klWeight * evalKl,
      eval_ce: evalCe,
      eval_kl: evalKl,
      eval_decision_tokens: decision,
      eval_feedback_tokens: feedback,
    };
    this.metrics.write({ ...record });
    return record;
  }

  /** Run (or resume) the training loop. */
  async trainLoop(options: TrainOptions = {}): Promise<TrainResult> {
    const c = this.config;
    const perEpoch = stepsPerEpoch(this.train.length, c.globalBatchSize);
    let epoch = 0;
    let stepInEpoch = 0;
    if (options.resumeFromCheckpoint) {
      const dir =
        options.resumeFromCheckpoint === true ? await latestCheckpoint(c.outputDir) : options.resumeFromCheckpoint;
      if (dir) {
        const state = await loadCheckpoint(dir, this.lora, this.optimizer);
        if (state.maxSteps !== this.maxSteps) {
          throw new Error(
            `MolTrainer: checkpoint ${dir} belongs to a run of ${state.maxSteps} steps, this run has ${this.maxSteps}`,
          );
        }
        epoch = state.epoch;
        stepInEpoch = state.stepInEpoch;
        this.model.module.dropoutSeed = state.dropoutSeed;
        // The metrics file keeps only what the resumed run still stands behind.
        await truncateMetricsFile(this.metrics.path, 'step', state.globalStep);
      } else if (typeof options.resumeFromCheckpoint === 'string') {
        throw new Error(`MolTrainer: no checkpoint at ${options.resumeFromCheckpoint}`);
      }
    }
    const stopAt = Math.min(this.maxSteps, options.stopAfterStep ?? this.maxSteps);
    const steps: StepMetrics[] = [];
    const evals: EvalMetrics[] = [];
    let lastCheckpoint: string | null = null;
    const progress = startProgress('mol', this.maxSteps, { unit: 'steps', mode: c.progress });
    progress.update(this.optimizer.stepCount);
    this.model.train();
    let order = epochOrder(this.train.length, c.seed, epoch);
    try {
      while (this.optimizer.stepCount < stopAt) {
        if (stepInEpoch >= perEpoch) {
          epoch++;
          stepInEpoch = 0;
          order = epochOrder(this.train.length, c.seed, epoch);
        }
        const batches = this.microBatches('train', this.train, stepRows(order, stepInEpoch, c.globalBatchSize));
        const lr = this.optimizer.lr;
        let lossSum = 0;
        let ceSum = 0;
        let klSum = 0;
        let ceRows = 0;
        let klRows = 0;
        let decision = 0;
        let feedback = 0;
        for (const { batch, keys, rows } of batches) {
          const out = this.microBatchLoss(batch, keys, rows);
          // Gradients average over the micro-batches of the step.
          const scaled = mul(out.loss, 1 / batches.length);
          scaled.backward();
          lossSum += await out.loss.item();
          ceSum += (await out.ce.item()) * out.ceRows;
          klSum += (await out.kl.item()) * out.klRows;
          ceRows += out.ceRows;
          klRows += out.klRows;
          decision += out.decision;
          feedback += out.feedback;
          for (const t of [scaled, out.loss, out.ce, out.kl]) t.dispose();
        }
        const params = this.lora.parameters();
        const norm = c.maxGradNorm > 0 ? clipGradNorm(params, c.maxGradNorm) : null;
        const gradNorm = norm ? await norm.item() : Number.NaN;
        norm?.dispose();
        this.optimizer.step();
        this.optimizer.zeroGrad();
        stepInEpoch++;
        const step = this.optimizer.stepCount;
        const record: StepMetrics = {
          step,
          epoch: epoch + stepInEpoch / perEpoch,
          loss: lossSum / batches.length,
          ce: ceRows ? ceSum / ceRows : 0,
          kl: klRows ? klSum / klRows : 0,
          lr,
          grad_norm: gradNorm,
          decision_tokens: decision,
          feedback_tokens: feedback,
        };
        steps.push(record);
        this.metrics.write({ ...record } as unknown as MetricRecord);
        progress.update(step, `loss ${record.loss.toFixed(4)} ce ${record.ce.toFixed(4)} kl ${record.kl.toFixed(4)}`);
        const last = step === stopAt;
        if (this.validation.length && ((c.evalSteps > 0 && step % c.evalSteps === 0) || step === this.maxSteps)) {
          const e = await this.evaluate(step);
          if (e) evals.push(e);
        }
        if ((c.saveSteps > 0 && step % c.saveSteps === 0) || last) {
          const state: TrainerState = {
            globalStep: step,
            epoch,
            stepInEpoch,
            dropoutSeed: this.model.module.dropoutSeed,
            maxSteps: this.maxSteps,
            config: c,
          };
          lastCheckpoint = await saveCheckpoint(c.outputDir, state, this.lora, this.optimizer);
          await pruneCheckpoints(c.outputDir, c.saveTotalLimit);
        }
      }
    } finally {
      progress.stop();
      this.baseCache.clear();
    }
    return { steps, evals, lastCheckpoint };
  }
}

/** Train with MoL in one call (TRL-style): build the trainer and run it. */
export async function trainMol(options: MolTrainerOptions & TrainOptions): Promise<TrainResult> {
  return new MolTrainer(options).trainLoop(options);
}

/** The trainer state saved in a checkpoint folder (for tools that inspect runs). */
export function readTrainerState(dir: string): TrainerState {
  const path = join(dir, 'trainer_state.json');
  return JSON.parse(readFileSync(path, 'utf8')) as TrainerState;
}
