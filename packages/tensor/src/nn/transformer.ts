/**
 * A pre-norm decoder block (Llama/Qwen layout): RMSNorm -> causal GQA
 * attention with rotary positions -> residual, RMSNorm -> SwiGLU MLP ->
 * residual. A building block for small models, demos and benchmarks.
 */
import { attention } from '../ops/nn.js';
import { add, mul, silu } from '../ops/elementwise.js';
import { rope } from '../ops/nn.js';
import { fmt } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { Linear, RMSNorm } from './layers.js';
import { Module } from './module.js';

export interface TransformerBlockConfig {
  dim: number;
  heads: number;
  /** KV heads (grouped-query attention); default = heads. */
  kvHeads?: number;
  /** SwiGLU hidden size; default 4 * dim. */
  mlpHidden?: number;
  ropeTheta?: number;
  normEps?: number;
  seed?: number;
}

export class TransformerBlock extends Module {
  readonly headDim: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly ropeTheta: number;
  attnNorm: RMSNorm;
  q: Linear;
  k: Linear;
  v: Linear;
  o: Linear;
  mlpNorm: RMSNorm;
  gate: Linear;
  up: Linear;
  down: Linear;

  constructor(readonly config: TransformerBlockConfig) {
    super();
    const { dim, heads } = config;
    this.heads = heads;
    this.kvHeads = config.kvHeads ?? heads;
    if (dim % heads !== 0 || heads % this.kvHeads !== 0) {
      throw new Error(
        `TransformerBlock: dim ${dim} must divide into ${heads} heads, and heads into ${this.kvHeads} KV heads`,
      );
    }
    this.headDim = dim / heads;
    this.ropeTheta = config.ropeTheta ?? 10000;
    const hidden = config.mlpHidden ?? 4 * dim;
    const seed = config.seed ?? 0;
    const kvDim = this.kvHeads * this.headDim;
    this.attnNorm = new RMSNorm(dim, config.normEps);
    this.q = new Linear(dim, dim, { seed: seed + 1 });
    this.k = new Linear(dim, kvDim, { seed: seed + 2 });
    this.v = new Linear(dim, kvDim, { seed: seed + 3 });
    this.o = new Linear(dim, dim, { seed: seed + 4 });
    this.mlpNorm = new RMSNorm(dim, config.normEps);
    this.gate = new Linear(dim, hidden, { seed: seed + 5 });
    this.up = new Linear(dim, hidden, { seed: seed + 6 });
    this.down = new Linear(hidden, dim, { seed: seed + 7 });
  }

  /** x [B, T, dim], positions int32 [B, T]; optional segment ids [B, T] for packed sequences. */
  forward(x: Tensor, positions: Tensor, options: { segmentIds?: Tensor } = {}): Tensor {
    if (x.rank !== 3 || x.shape[2] !== this.config.dim) {
      throw new Error(`TransformerBlock: x must be [B, T, ${this.config.dim}], got ${fmt(x.shape)}`);
    }
    const [b, t, d] = x.shape as [number, number, number];
    const heads = (y: Tensor, n: number) => y.reshape([b, t, n, this.headDim]).transpose([0, 2, 1, 3]);
    const h = this.attnNorm.forward(x);
    const q = rope(heads(this.q.forward(h), this.heads), positions, this.ropeTheta);
    const k = rope(heads(this.k.forward(h), this.kvHeads), positions, this.ropeTheta);
    const v = heads(this.v.forward(h), this.kvHeads);
    const a = attention(q, k, v, { causal: true, segmentIds: options.segmentIds })
      .transpose([0, 2, 1, 3])
      .reshape([b, t, d]);
    const x1 = add(x, this.o.forward(a));
    const h2 = this.mlpNorm.forward(x1);
    return add(x1, this.down.forward(mul(silu(this.gate.forward(h2)), this.up.forward(h2))));
  }

  /**
   * Matmul FLOPs of one forward over B*T tokens (projections, MLP, and the
   * causal half of the T x T score and value products); elementwise work is
   * not counted.
   */
  forwardFlops(batch: number, seq: number): number {
    const d = this.config.dim;
    const kvDim = this.kvHeads * this.headDim;
    const hidden = this.config.mlpHidden ?? 4 * d;
    const tokens = batch * seq;
    const proj = 2 * tokens * (d * d * 2 + d * kvDim * 2);
    const mlp = 2 * tokens * d * hidden * 3;
    const pairs = batch * this.heads * ((seq * (seq + 1)) / 2);
    const attn = 2 * 2 * pairs * this.headDim;
    return proj + mlp + attn;
  }
}
