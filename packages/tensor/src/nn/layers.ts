/** Small building blocks: Linear (HF weight layout), Embedding, RMSNorm. */
import { matmul } from '../ops/matmul.js';
import { add } from '../ops/elementwise.js';
import { gather } from '../ops/indexing.js';
import { rmsNorm } from '../ops/nn.js';
import { randn, full, zeros } from '../ops/creation.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

export interface InitOptions {
  seed?: number;
  /** Std of the normal init (default 1/sqrt(inFeatures) for Linear, 0.02 for Embedding). */
  std?: number;
}

/** y = x W^T + b with W [out, in] (the layout of PyTorch and HF checkpoints). */
export class Linear extends Module {
  weight: Parameter;
  bias: Parameter | null;
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: InitOptions & { bias?: boolean } = {},
  ) {
    super();
    this.weight = new Parameter(
      randn([outFeatures, inFeatures], { seed: options.seed, std: options.std ?? 1 / Math.sqrt(inFeatures) }),
    );
    this.bias = options.bias ? new Parameter(zeros([outFeatures])) : null;
  }

  forward(x: Tensor): Tensor {
    const flat = x.rank === 2 ? x : x.reshape([-1, this.inFeatures]);
    let y = matmul(flat, this.weight, { transposeB: true });
    if (this.bias) y = add(y, this.bias);
    return x.rank === 2 ? y : y.reshape([...x.shape.slice(0, -1), this.outFeatures]);
  }
}

/** Lookup table [numEmbeddings, dim]. */
export class Embedding extends Module {
  weight: Parameter;
  constructor(
    readonly numEmbeddings: number,
    readonly dim: number,
    options: InitOptions = {},
  ) {
    super();
    this.weight = new Parameter(randn([numEmbeddings, dim], { seed: options.seed, std: options.std ?? 0.02 }));
  }

  forward(ids: Tensor): Tensor {
    return gather(this.weight, ids);
  }
}

/** RMSNorm with a learned scale initialised to 1. */
export class RMSNorm extends Module {
  weight: Parameter;
  constructor(
    readonly dim: number,
    readonly eps = 1e-6,
  ) {
    super();
    this.weight = new Parameter(full([dim], 1));
  }

  forward(x: Tensor): Tensor {
    return rmsNorm(x, this.weight, this.eps);
  }
}
