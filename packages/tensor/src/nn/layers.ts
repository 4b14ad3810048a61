/** Small building blocks besides Linear: Embedding and RMSNorm. */
import { addRmsNorm, rmsNorm } from '../ops/nn.js';
import { randn, full } from '../ops/creation.js';
import type { Tensor } from '../tensor.js';
import { lookupRows } from './compute.js';
import type { InitOptions } from './linear.js';
import { Module } from './module.js';
import { weightParameter, type Parameter } from './parameter.js';

export interface EmbeddingOptions extends InitOptions {
  /** The table [numEmbeddings, dim] to use instead of a random init (kept as Linear's `weight` option is). */
  weight?: Tensor;
}

/** Lookup table [numEmbeddings, dim]. */
export class Embedding extends Module {
  weight: Parameter;
  constructor(
    readonly numEmbeddings: number,
    readonly dim: number,
    options: EmbeddingOptions = {},
  ) {
    super();
    this.weight = weightParameter(options.weight, [numEmbeddings, dim], 'Embedding weight', () =>
      randn([numEmbeddings, dim], { seed: options.seed, std: options.std ?? 0.02 }),
    );
  }

  /** ids int32 [...] -> [..., dim]. */
  forward(ids: Tensor): Tensor {
    return lookupRows(this.weight, ids);
  }
}

export interface RMSNormOptions {
  /** The scale [dim] to use instead of ones (kept as Linear's `weight` option is). */
  weight?: Tensor;
}

/** RMSNorm with a learned scale initialised to 1. */
export class RMSNorm extends Module {
  weight: Parameter;
  constructor(
    readonly dim: number,
    readonly eps = 1e-6,
    options: RMSNormOptions = {},
  ) {
    super();
    this.weight = weightParameter(options.weight, [dim], 'RMSNorm weight', () => full([dim], 1));
  }

  forward(x: Tensor): Tensor {
    return rmsNorm(x, this.weight, this.eps); // a half-precision weight is read as stored
  }

  /**
   * A residual connection and this norm: [x + update, its norm], in one launch
   * (addRmsNorm); [x, forward(x)] when update is null.
   */
  forwardSum(x: Tensor, update: Tensor | null): [sum: Tensor, normed: Tensor] {
    return update ? addRmsNorm(x, update, this.weight, this.eps) : [x, this.forward(x)];
  }
}
