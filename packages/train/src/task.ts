/**
 * What a trainer needs from the thing being trained: the micro-batches of a
 * step, the loss of one micro-batch, how its metrics make the step's record,
 * and the state a checkpoint must carry. The Trainer owns everything else
 * (data order, accumulation, clipping, the optimizer, checkpoints, metrics).
 */
import type { Tensor } from '@molrl/tensor';
import type { DataOrder } from './data-order.js';

/** What the Trainer tells a task about the step being taken. */
export interface StepContext {
  /** The 1-based number of the optimizer step being taken. */
  step: number;
  /** The training data's order: take this step's examples from it. */
  data: DataOrder;
  /** Fires on Ctrl-C: a task with long work inside a step (generation) stops at its next safe point. */
  signal?: AbortSignal;
}

/** One micro-batch's loss, its graph live, and its metrics. */
export interface MicroBatchLoss {
  /** A scalar; the Trainer backpropagates it (scaled by 1/microBatches for 'mean'). */
  loss: Tensor;
  /**
   * Scalar tensors (read with the step's one device read, then disposed) or host
   * numbers; `stepMetrics` turns them into the step's record.
   */
  metrics?: Record<string, Tensor | number>;
}

export interface TrainingTask<MicroBatch, State extends object = object> {
  /** Names the task in progress lines ('mol', 'grpo'). */
  readonly name: string;
  /** Examples in the training set: the size of the data order. */
  readonly datasetSize: number;
  /**
   * How micro-batch losses make the step's loss: 'mean' (default: each is
   * backpropagated divided by the number of micro-batches, as transformers'
   * Trainer does) or 'sum' (the losses already carry the step's normalisation).
   */
  readonly lossReduction?: 'mean' | 'sum';
  /** Fields of trainer_state.json that must be integers >= 0 (checked on resume, naming the file). */
  readonly stateCounters?: readonly string[];
  /** Optimizer steps one pass over the data takes (maxSteps -1 runs numEpochs of these, rounded up). */
  stepsPerEpoch(): number;
  /** The micro-batches of the next optimizer step. */
  batches(context: StepContext): MicroBatch[] | Promise<MicroBatch[]>;
  /** One micro-batch's loss (graph live) and metrics, without reading the device. */
  loss(microBatch: MicroBatch, context: StepContext): MicroBatchLoss;
  /**
   * The step's record fields from its micro-batches' metrics (read back as
   * numbers, in micro-batch order). Default: each metric's mean over the micro-batches.
   */
  stepMetrics?(microBatches: readonly Record<string, number>[], context: StepContext): Record<string, number>;
  /** After the step's update (or its skip): release what the step held. */
  endStep?(context: StepContext): void;
  /** A short progress detail for the step's record, e.g. "loss 2.31". */
  describe?(record: StepRecord): string;
  /**
   * Score held-out data at `step`; null when there is none. Returns the record written
   * to metrics.jsonl. A long evaluation stops at its next safe point when `signal` fires.
   */
  evaluate?(step: number, signal?: AbortSignal): Promise<EvalRecord | null>;
  /**
   * Whether everything the task carries between steps is in state() now (default
   * true). A task that reuses one batch over several steps says no in between;
   * a checkpoint that falls due then waits for the next step where it says yes.
   */
  atBoundary?(): boolean;
  /**
   * The task's own settings that may differ when a run resumes, beside the
   * Trainer's `RESUMABLE_SETTINGS`: those that do not change what is trained (a
   * cache budget, what is logged). Any other changed setting makes resuming an error.
   */
  readonly resumableSettings?: readonly string[];
  /** The task's part of trainer_state.json. */
  state(context: { data: DataOrder; globalStep: number }): State;
  /** Take the task's part back from a checkpoint's trainer_state.json. */
  restore(state: State & Record<string, unknown>): void;
  /**
   * A checkpoint written before the Trainer recorded `examplesSeen`: the data
   * position from the task's own fields, or an error saying why it cannot resume.
   */
  legacyExamplesSeen?(state: Record<string, unknown>, file: string): number;
  /** End of training: release what the task keeps across steps. */
  dispose?(): void;
}

/** One optimizer step's record in metrics.jsonl. */
export type StepRecord = Record<string, number> & { step: number; loss: number; lr: number; grad_norm: number };

/** One evaluation's record in metrics.jsonl. */
export type EvalRecord = Record<string, number> & { step: number };
