/**
 * MoL continual training as a task of `@molrl/train`'s Trainer: a step's rows
 * come from the data order, each micro-batch's loss is the fused MoL loss (CE
 * on feedback, KL to the adapter-off base on decisions), and validation
 * scores CE and KL separately. The Trainer does the rest.
 *
 * The KL rows need the base model (the adapter off). With `precomputeBase`
 * (the default) each example's base distribution on its decision rows (a mean
 * LM-head row and an entropy per row, see `baseDistribution`) is computed once,
 * the first time the example is met, and kept on the device for the later
 * epochs: a step then runs the model once, and its KL rows cost what CE rows
 * cost. Without it, each micro-batch runs the base model again for its hidden
 * states.
 */
import type { LoraHandle } from '@molrl/lora';
import type { Qwen3ForCausalLM } from '@molrl/model';
import { noGrad, tidy, zeros, type Tensor } from '@molrl/tensor';
import {
  readScalars,
  type DataOrder,
  type EvalRecord,
  type MicroBatchLoss,
  type StepContext,
  type StepRecord,
  type TrainingTask,
} from '@molrl/train';
import { baseDistribution, type BaseDistribution } from '../base-distribution.js';
import { fusedMolLoss } from '../fused-mol-loss.js';
import { planRows } from '../row-plan.js';
import { BaseDistributionCache, assembleBaseDistribution, type BaseEntry } from './base-cache.js';
import { makeMicroBatch, type MicroBatch, type TrainingRow } from './batch.js';
import type { MolTrainingConfig } from './config.js';
import { stepsPerEpoch } from './data-order.js';

/** A micro-batch with its examples' cache keys (`set:index`) and rows. */
export interface MolMicroBatch {
  batch: MicroBatch;
  keys: string[];
  rows: TrainingRow[];
}

/** The MoL part of trainer_state.json (beside the Trainer's globalStep, examplesSeen, ...). */
export interface MolTaskState {
  /** Data-loader position: the epoch and the optimizer steps taken in it. */
  epoch: number;
  stepInEpoch: number;
  /** The run's settings, in checkpoints of earlier versions (the Trainer's `args` now). */
  config?: MolTrainingConfig;
}

/** One micro-batch's loss parts (the graph of `loss` live). */
interface MolLossParts {
  loss: Tensor;
  ce: Tensor;
  kl: Tensor;
  ceRows: number;
  klRows: number;
  decision: number;
  feedback: number;
}

export class MolTask implements TrainingTask<MolMicroBatch, MolTaskState> {
  readonly name = 'mol';
  readonly stateCounters = ['epoch', 'stepInEpoch'];
  /** A memory budget: the base distributions past it are recomputed, the same values. */
  readonly resumableSettings = ['baseCacheMb'];
  private readonly baseCache: BaseDistributionCache;
  private warnedCacheFull = false;

  constructor(
    readonly model: Qwen3ForCausalLM,
    readonly lora: LoraHandle,
    readonly config: MolTrainingConfig,
    readonly train: readonly TrainingRow[],
    readonly validation: readonly TrainingRow[],
  ) {
    this.baseCache = new BaseDistributionCache(config.baseCacheMb * 2 ** 20);
  }

  get datasetSize(): number {
    return this.train.length;
  }

  /** Device bytes held by the precomputed base distributions. */
  get baseCacheBytes(): number {
    return this.baseCache.bytes;
  }

  stepsPerEpoch(): number {
    return stepsPerEpoch(this.train.length, this.config.globalBatchSize);
  }

  /** The position as (epoch, optimizer steps taken in it): a step never crosses an epoch. */
  private position(data: DataOrder): { epoch: number; stepInEpoch: number } {
    return { epoch: data.epoch, stepInEpoch: Math.ceil(data.offset / this.config.globalBatchSize) };
  }

  batches({ data }: StepContext): MolMicroBatch[] {
    return this.microBatches('train', this.train, data.take(this.config.globalBatchSize));
  }

  loss(microBatch: MolMicroBatch): MicroBatchLoss {
    const out = this.microBatchLoss(microBatch);
    const { loss, ce, kl, ceRows, klRows, decision, feedback } = out;
    return { loss, metrics: { ce, kl, ceRows, klRows, decision, feedback } };
  }

  /** Loss is the trainer's mean over micro-batches; CE and KL are token means over the step's rows. */
  stepMetrics(microBatches: readonly Record<string, number>[], { data }: StepContext): Record<string, number> {
    let ceSum = 0;
    let klSum = 0;
    let ceRows = 0;
    let klRows = 0;
    let decision = 0;
    let feedback = 0;
    for (const m of microBatches) {
      ceSum += m.ce! * m.ceRows!;
      klSum += m.kl! * m.klRows!;
      ceRows += m.ceRows!;
      klRows += m.klRows!;
      decision += m.decision!;
      feedback += m.feedback!;
    }
    const { epoch, stepInEpoch } = this.position(data);
    return {
      epoch: epoch + stepInEpoch / this.stepsPerEpoch(),
      ce: ceRows ? ceSum / ceRows : 0,
      kl: klRows ? klSum / klRows : 0,
      decision_tokens: decision,
      feedback_tokens: feedback,
    };
  }

  describe(record: StepRecord): string {
    return `loss ${record.loss.toFixed(4)} ce ${record.ce!.toFixed(4)} kl ${record.kl!.toFixed(4)}`;
  }

  /** Score the validation rows: CE and KL as token means over the whole set (no gradients, adapter dropout off), one device read. */
  async evaluate(step: number, signal?: AbortSignal): Promise<EvalRecord | null> {
    if (!this.validation.length) return null;
    const wasTraining = this.model.module.training;
    this.model.eval();
    const parts: Tensor[] = [];
    const rows: { ce: number; kl: number }[] = [];
    let decision = 0;
    let feedback = 0;
    let values: number[];
    try {
      const all = this.validation.map((_, i) => i);
      for (const microBatch of this.microBatches('validation', this.validation, all)) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        signal?.throwIfAborted();
        const out = noGrad(() => this.microBatchLoss(microBatch));
        out.loss.dispose();
        parts.push(out.ce, out.kl);
        rows.push({ ce: out.ceRows, kl: out.klRows });
        decision += out.decision;
        feedback += out.feedback;
      }
      values = await readScalars(parts);
    } finally {
      for (const t of parts) t.dispose();
      if (wasTraining) this.model.train();
    }
    let ceSum = 0;
    let klSum = 0;
    let ceRows = 0;
    let klRows = 0;
    rows.forEach((r, i) => {
      ceSum += values[2 * i]! * r.ce;
      klSum += values[2 * i + 1]! * r.kl;
      ceRows += r.ce;
      klRows += r.kl;
    });
    const evalCe = ceRows ? ceSum / ceRows : 0;
    const evalKl = klRows ? klSum / klRows : 0;
    return {
      step,
      eval_loss: evalCe + this.config.klWeight * evalKl,
      eval_ce: evalCe,
      eval_kl: evalKl,
      eval_decision_tokens: decision,
      eval_feedback_tokens: feedback,
    };
  }

  state({ data }: { data: DataOrder }): MolTaskState {
    return this.position(data);
  }

  /** The position is the Trainer's examplesSeen; nothing else of the task's carries over. */
  restore(): void {}

  /** Checkpoints of the earlier MoL trainer recorded (epoch, stepInEpoch); the data order is the same. */
  legacyExamplesSeen(state: Record<string, unknown>): number {
    const epoch = state.epoch as number;
    const stepInEpoch = state.stepInEpoch as number;
    return epoch * this.train.length + Math.min(stepInEpoch * this.config.globalBatchSize, this.train.length);
  }

  /** Free the precomputed base distributions (they are remade on demand). */
  dispose(): void {
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
  private batchBase({ batch, keys, rows }: MolMicroBatch): BaseDistribution {
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
  private microBatchLoss(microBatch: MolMicroBatch): MolLossParts {
    const { batch } = microBatch;
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
      baseDist = this.batchBase(microBatch);
    } else if (plan.klRows > 0) {
      // In eval mode, as the precomputed base: no dropout stream advances, so the
      // policy's dropout masks are the same with and without precomputeBase.
      const wasEnabled = this.lora.enabled;
      const wasTraining = this.model.module.training;
      this.lora.disable();
      this.model.eval();
      try {
        baseHidden = noGrad(() => this.model.hiddenSync(batch.ids, forward));
      } finally {
        if (wasTraining) this.model.train();
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
      loss: out.loss,
      ce: out.ce,
      kl: out.kl,
      ceRows: plan.ceRows,
      klRows: plan.klRows,
      decision: out.counts.decision,
      feedback: out.counts.feedback,
    };
  }

  /** Micro-batches of `indices` into `rows`, each with its examples' cache keys (`set` + index). */
  private microBatches(set: 'train' | 'validation', rows: readonly TrainingRow[], indices: readonly number[]) {
    const out: MolMicroBatch[] = [];
    for (let i = 0; i < indices.length; i += this.config.microBatchSize) {
      const part = indices.slice(i, i + this.config.microBatchSize);
      const members = part.map((j) => rows[j]!);
      out.push({ batch: makeMicroBatch(members), keys: part.map((j) => `${set}:${j}`), rows: members });
    }
    return out;
  }
}
