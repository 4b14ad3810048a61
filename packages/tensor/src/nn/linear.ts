/**
 * Linear: y = x W^T + b with W [out, in] (the layout of PyTorch and Hugging
 * Face checkpoints), and the hook adapter libraries (@molrl/lora) attach to.
 */
import { matmul } from '../ops/matmul.js';
import { add } from '../ops/elementwise.js';
import { randn, zeros } from '../ops/creation.js';
import { fmt } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { computeView } from './compute.js';
import { Module } from './module.js';
import { Parameter, weightParameter } from './parameter.js';

/** Per-forward state that layers with randomness (dropout) need. */
export interface ForwardContext {
  /** Training mode: dropout is active. */
  training: boolean;
  /** A seed unique to this forward pass; recomputation (checkpointing) reuses it, so dropout masks repeat. */
  seed: number;
}

/** Evaluation: no dropout. */
export const EVAL_CONTEXT: ForwardContext = Object.freeze({ training: false, seed: 0 });

/** Something that adds to a linear layer's output, e.g. a LoRA adapter. */
export interface LinearAdapter {
  /** The adapted output given the layer input x [..., in] and the base output y [..., out]. */
  forward(x: Tensor, y: Tensor, ctx: ForwardContext): Tensor;
  /**
   * The whole adapted product of x [N, in] as one op ([N, out], the bias not
   * added), or null where `forward` must take the base product (e.g. an
   * adapter disabled, or a layer with a bias). Linear asks this first.
   */
  forwardLinear?(x: Tensor, ctx: ForwardContext): Tensor | null;
  /** The adapter's trainable tensors (gradient checkpointing passes them through its graph node). */
  parameters?(): Tensor[];
}

export interface InitOptions {
  seed?: number;
  /** Std of the normal init (default 1/sqrt(inFeatures) for Linear, 0.02 for Embedding). */
  std?: number;
}

export interface LinearOptions extends InitOptions {
  /** A bias [out], initialised to zero (default none). */
  bias?: boolean;
  /**
   * The weight [out, in] to use instead of a random init: a loaded checkpoint's
   * tensor, or another layer's parameter (tied embeddings). It keeps its dtype
   * and requiresGrad; a plain tensor is taken over as a Parameter (the handle
   * passed in is consumed), a Parameter is shared.
   */
  weight?: Tensor;
}

export class Linear extends Module {
  weight: Parameter;
  bias: Parameter | null;
  /** Set by adapter libraries (@molrl/lora); null means the plain layer. */
  adapter: LinearAdapter | null = null;
  /**
   * The module path in the model that holds this layer (e.g.
   * "model.layers.0.self_attn.q_proj"), set when the model names its modules;
   * adapters derive per-layer seeds and names from it.
   */
  name = '';

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: LinearOptions = {},
  ) {
    super();
    this.weight = weightParameter(options.weight, [outFeatures, inFeatures], 'Linear weight', () =>
      randn([outFeatures, inFeatures], { seed: options.seed, std: options.std ?? 1 / Math.sqrt(inFeatures) }),
    );
    this.bias = options.bias ? new Parameter(zeros([outFeatures])) : null;
  }

  /** x [..., in] -> [..., out]; the adapter, if any, adds its part. */
  forward(x: Tensor, ctx: ForwardContext = EVAL_CONTEXT): Tensor {
    if (x.rank === 0 || x.shape[x.rank - 1] !== this.inFeatures) {
      const label = this.name ? ` '${this.name}'` : '';
      throw new Error(`Linear${label}: input is ${fmt(x.shape)}, its last axis must be ${this.inFeatures}`);
    }
    const flat = x.rank === 2 ? x : x.reshape([-1, this.inFeatures]); // [N, in]
    const adapted = this.adapter?.forwardLinear?.(flat, ctx) ?? null;
    // The weight as stored: matmul reads a half-precision weight directly (compute.ts).
    let y = adapted ?? matmul(flat, this.weight, { transposeB: true }); // [N, out]
    if (this.bias) y = add(y, computeView(this.bias));
    if (x.rank !== 2) y = y.reshape([...x.shape.slice(0, -1), this.outFeatures]); // [..., out]
    return this.adapter && !adapted ? this.adapter.forward(x, y, ctx) : y;
  }
}
