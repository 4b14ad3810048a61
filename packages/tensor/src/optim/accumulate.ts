/**
 * Gradient accumulation: run backward on several micro-batches, each scaled
 * by 1/microBatches, then clip (optionally) and take one optimizer step.
 * Gradients already add up across backward calls; this keeps the count and
 * the scaling in one place.
 */
import { fill } from '../ops/creation.js';
import type { Tensor } from '../tensor.js';
import { clipGradNorm } from './clip.js';
import type { AdamW } from './adamw.js';

export interface GradientAccumulatorOptions {
  /** Micro-batches per optimizer step. */
  microBatches: number;
  /** Clip the summed gradient to this global norm before stepping. */
  maxGradNorm?: number;
}

export class GradientAccumulator {
  private count = 0;
  /** The global gradient norm (before clipping) of the last step, when maxGradNorm is set. */
  lastGradNorm: Tensor | null = null;

  constructor(
    readonly optimizer: AdamW,
    readonly options: GradientAccumulatorOptions,
  ) {
    if (!Number.isInteger(options.microBatches) || options.microBatches < 1) {
      throw new Error(`GradientAccumulator: microBatches must be a positive integer, got ${options.microBatches}`);
    }
  }

  /** Micro-batches accumulated since the last step. */
  get pending(): number {
    return this.count;
  }

  /**
   * backward() of a scalar micro-batch loss, scaled by 1/microBatches. Returns
   * true when this call completed a step (gradients are then zeroed).
   */
  backward(loss: Tensor): boolean {
    const seed = fill(loss.shape, 1 / this.options.microBatches);
    try {
      loss.backward(seed);
    } finally {
      seed.dispose();
    }
    if (++this.count < this.options.microBatches) return false;
    this.step();
    return true;
  }

  /** Step now with what has accumulated (e.g. at the end of an epoch). */
  step(): void {
    if (this.count === 0) return;
    if (this.options.maxGradNorm !== undefined) {
      this.lastGradNorm?.dispose();
      this.lastGradNorm = clipGradNorm(this.optimizer.params, this.options.maxGradNorm).keep();
    }
    this.optimizer.step();
    this.optimizer.zeroGrad();
    this.count = 0;
  }
}
