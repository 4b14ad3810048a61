/**
 * The pre-norm decoder block of Llama/Qwen models, the one decoder block of
 * the project (small demo models and Qwen3 alike):
 *
 *   x + o(attention(rope(norm_q(q(n1(x)))), rope(norm_k(k(n1(x)))), v(n1(x))))   n1 = attnNorm
 *   then x + down(silu(gate(n2(x))) * up(n2(x)))                                 n2 = mlpNorm
 *
 * Causal grouped-query attention through the fused kernel (packed segments
 * and padding through segment ids), optional per-head RMSNorm of queries and
 * keys (Qwen3), a head size apart from dim / heads, a KV cache for
 * generation, gradient checkpointing, and LoRA-style adapters on every Linear.
 * Shapes in comments: B batch, T query length, S key length (cache + T),
 * Hq/Hkv heads, D head size, I MLP size.
 */
import { attention, rmsNormRope, rope } from '../ops/nn.js';
import { add } from '../ops/elementwise.js';
import { swiglu } from '../ops/swiglu.js';
import { fmt } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkpoint } from './checkpoint.js';
import type { KVCache } from './kv-cache.js';
import { RMSNorm } from './layers.js';
import { EVAL_CONTEXT, Linear, type ForwardContext } from './linear.js';
import { Module } from './module.js';

export interface TransformerBlockConfig {
  dim: number;
  heads: number;
  /** KV heads (grouped-query attention); default = heads. */
  kvHeads?: number;
  /** Size of one attention head; default dim / heads (Qwen3 sets its own: q is [heads * headDim, dim]). */
  headDim?: number;
  /** SwiGLU hidden size; default 4 * dim. */
  mlpHidden?: number;
  ropeTheta?: number;
  normEps?: number;
  /** RMSNorm over each query and key head before the rotary embedding (Qwen3's q_norm / k_norm). Default false. */
  qkNorm?: boolean;
  /**
   * State-dict names of the parts: 'short' (q, k, v, o, attnNorm, ...: the
   * property names; default) or 'transformers' (self_attn.q_proj, ...,
   * input_layernorm, mlp.gate_proj: Hugging Face's Llama/Qwen layout).
   */
  names?: TransformerBlockNames;
  /** Seed of the random init (ignored for weights given through `weights`). */
  seed?: number;
}

export type TransformerBlockNames = 'short' | 'transformers';

/**
 * Supplies the block's weights instead of a random init (e.g. a loaded
 * checkpoint): called once per parameter with its state-dict name in the
 * block's layout ('self_attn.q_proj.weight') and the shape it must have.
 */
export type WeightSource = (name: string, shape: readonly number[]) => Tensor;

export interface TransformerBlockOptions {
  weights?: WeightSource;
}

export interface TransformerBlockForwardOptions {
  /**
   * int32 [B, S]: query i sees key j only when their segment ids are equal (packing; padding is -1).
   * With a cache, S is the cache's capacity after this call's keys are added (see KVCache.reserve).
   */
  segmentIds?: Tensor;
  /** Keys and values of earlier positions; this call's are written after them, in place (generation). */
  cache?: KVCache;
  /** Training mode and dropout seed for adapters (default: evaluation). */
  ctx?: ForwardContext;
}

/**
 * A residual stream handed from block to block unsummed: the hidden state is
 * residual + update (residual alone when update is null). The next block's input
 * norm adds the two in the same launch as it normalises (addRmsNorm) instead of
 * an add at the end of every block.
 */
export interface ResidualStream {
  residual: Tensor;
  update: Tensor | null;
}

type LinearPart = 'q' | 'k' | 'v' | 'o' | 'gate' | 'up' | 'down';
type NormPart = 'attnNorm' | 'qNorm' | 'kNorm' | 'mlpNorm';
type Part = LinearPart | NormPart;

/** The sizes every part's shape follows from. */
interface BlockDims {
  dim: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  mlpHidden: number;
  qkNorm: boolean;
}

interface PartSpec {
  part: Part;
  /** Name in transformers' layout (the short name is `part`). */
  transformers: string;
  /** The weight's shape: [out, in] for a Linear, [size] for a norm's scale. */
  shape(d: BlockDims): number[];
  /** Offset of a Linear's init seed from the block's seed. */
  seedOffset?: number;
  /** Only present in some configurations (default always). */
  present?(d: BlockDims): boolean;
}

/**
 * The block's parts in state-dict order, with their names and weight shapes:
 * the one table that construction, parameter names and `parameterShapes` read.
 */
const PARTS: readonly PartSpec[] = [
  { part: 'attnNorm', transformers: 'input_layernorm', shape: (d) => [d.dim] },
  { part: 'q', transformers: 'self_attn.q_proj', shape: (d) => [d.heads * d.headDim, d.dim], seedOffset: 1 },
  { part: 'k', transformers: 'self_attn.k_proj', shape: (d) => [d.kvHeads * d.headDim, d.dim], seedOffset: 2 },
  { part: 'v', transformers: 'self_attn.v_proj', shape: (d) => [d.kvHeads * d.headDim, d.dim], seedOffset: 3 },
  { part: 'o', transformers: 'self_attn.o_proj', shape: (d) => [d.dim, d.heads * d.headDim], seedOffset: 4 },
  { part: 'qNorm', transformers: 'self_attn.q_norm', shape: (d) => [d.headDim], present: (d) => d.qkNorm },
  { part: 'kNorm', transformers: 'self_attn.k_norm', shape: (d) => [d.headDim], present: (d) => d.qkNorm },
  { part: 'mlpNorm', transformers: 'post_attention_layernorm', shape: (d) => [d.dim] },
  { part: 'gate', transformers: 'mlp.gate_proj', shape: (d) => [d.mlpHidden, d.dim], seedOffset: 5 },
  { part: 'up', transformers: 'mlp.up_proj', shape: (d) => [d.mlpHidden, d.dim], seedOffset: 6 },
  { part: 'down', transformers: 'mlp.down_proj', shape: (d) => [d.dim, d.mlpHidden], seedOffset: 7 },
];

function blockDims(config: TransformerBlockConfig): BlockDims {
  const { dim, heads } = config;
  const kvHeads = config.kvHeads ?? heads;
  for (const [name, value] of [
    ['dim', dim],
    ['heads', heads],
    ['kvHeads', kvHeads],
    ['headDim', config.headDim ?? 1],
    ['mlpHidden', config.mlpHidden ?? 1],
  ] as const) {
    if (!Number.isInteger(value) || value <= 0) {
      throw new Error(`TransformerBlock: ${name} must be a positive integer, got ${value}`);
    }
  }
  if (config.headDim === undefined && dim % heads !== 0) {
    throw new Error(`TransformerBlock: dim ${dim} must divide into ${heads} heads (or give headDim)`);
  }
  if (heads % kvHeads !== 0) throw new Error(`TransformerBlock: heads ${heads} must divide into ${kvHeads} KV heads`);
  const headDim = config.headDim ?? dim / heads;
  if (headDim % 2 !== 0) throw new Error(`TransformerBlock: headDim ${headDim} must be even (rotary embedding)`);
  return {
    dim,
    heads,
    kvHeads,
    headDim,
    mlpHidden: config.mlpHidden ?? 4 * dim,
    qkNorm: config.qkNorm ?? false,
  };
}

function stateName(spec: PartSpec, names: TransformerBlockNames): string {
  return names === 'transformers' ? spec.transformers : spec.part;
}

export class TransformerBlock extends Module {
  readonly headDim: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly ropeTheta: number;
  readonly names: TransformerBlockNames;
  attnNorm: RMSNorm;
  q: Linear;
  k: Linear;
  v: Linear;
  o: Linear;
  /** Per-head RMSNorm of queries and keys (null unless `qkNorm`). */
  qNorm: RMSNorm | null;
  kNorm: RMSNorm | null;
  mlpNorm: RMSNorm;
  gate: Linear;
  up: Linear;
  down: Linear;
  /** Recompute this block's activations in the backward instead of keeping them (not while a KV cache is given). */
  gradientCheckpointing = false;
  private readonly dims: BlockDims;

  constructor(
    readonly config: TransformerBlockConfig,
    options: TransformerBlockOptions = {},
  ) {
    super();
    const d = blockDims(config);
    this.dims = d;
    this.heads = d.heads;
    this.kvHeads = d.kvHeads;
    this.headDim = d.headDim;
    this.ropeTheta = config.ropeTheta ?? 10000;
    this.names = config.names ?? 'short';
    const seed = config.seed ?? 0;
    const specOf = (part: Part) => PARTS.find((s) => s.part === part)!;
    const given = (spec: PartSpec, shape: number[]) =>
      options.weights?.(`${stateName(spec, this.names)}.weight`, shape);
    const linear = (part: LinearPart) => {
      const spec = specOf(part);
      const [out, inp] = spec.shape(d);
      return new Linear(inp, out, { seed: seed + spec.seedOffset!, weight: given(spec, [out, inp]) });
    };
    const norm = (part: NormPart) => {
      const spec = specOf(part);
      if (spec.present && !spec.present(d)) return null;
      const [size] = spec.shape(d);
      return new RMSNorm(size, config.normEps, { weight: given(spec, [size]) });
    };
    this.attnNorm = norm('attnNorm')!;
    this.q = linear('q');
    this.k = linear('k');
    this.v = linear('v');
    this.o = linear('o');
    this.qNorm = norm('qNorm');
    this.kNorm = norm('kNorm');
    this.mlpNorm = norm('mlpNorm')!;
    this.gate = linear('gate');
    this.up = linear('up');
    this.down = linear('down');
  }

  /** State-dict name -> shape of a block's parameters, in state-dict order, without making the block. */
  static parameterShapes(config: TransformerBlockConfig): Map<string, number[]> {
    const d = blockDims(config);
    const names = config.names ?? 'short';
    const out = new Map<string, number[]>();
    for (const spec of PARTS) {
      if (!spec.present || spec.present(d)) out.set(`${stateName(spec, names)}.weight`, spec.shape(d));
    }
    return out;
  }

  /** The parts under their names in this block's layout, in state-dict order; then anything registered. */
  override *children(): Generator<[string, Module]> {
    const parts = new Set<Module>();
    for (const spec of PARTS) {
      const m = this[spec.part];
      if (m) {
        parts.add(m);
        yield [stateName(spec, this.names), m];
      }
    }
    for (const [name, m] of super.children()) if (!parts.has(m)) yield [name, m];
  }

  /** x [B, T, dim], positions int32 [B, T] -> [B, T, dim]. */
  forward(x: Tensor, positions: Tensor, options: TransformerBlockForwardOptions = {}): Tensor {
    this.checkInput(x, 'x');
    if (this.gradientCheckpointing && !options.cache) {
      const constants = options.segmentIds ? [positions, options.segmentIds] : [positions];
      return checkpoint(
        (xx, pos, seg) => this.compute(xx, pos, { segmentIds: seg, ctx: options.ctx }),
        x,
        constants,
        this.gradientInputs(),
        'checkpointedBlock',
      );
    }
    return this.compute(x, positions, options);
  }

  /**
   * The block on an unsummed residual stream (see ResidualStream): its input is
   * stream.residual + stream.update, its output is returned the same way, so that a
   * stack of blocks makes one launch per block fewer (the next block's norm adds
   * the pair). The same values as `forward` on the summed input. A block with
   * gradient checkpointing (and no cache) sums its input and returns its output
   * summed (update null): the checkpoint keeps one input and one output.
   */
  forwardStream(
    stream: ResidualStream,
    positions: Tensor,
    options: TransformerBlockForwardOptions = {},
  ): ResidualStream {
    this.checkInput(stream.residual, 'stream.residual');
    if (stream.update) this.checkInput(stream.update, 'stream.update');
    if (this.gradientCheckpointing && !options.cache) {
      const x = stream.update ? add(stream.residual, stream.update) : stream.residual;
      return { residual: this.forward(x, positions, options), update: null };
    }
    return this.computeStream(stream, positions, options);
  }

  private checkInput(x: Tensor, what: string): void {
    if (x.rank !== 3 || x.shape[2] !== this.config.dim) {
      throw new Error(`TransformerBlock: ${what} must be [B, T, ${this.config.dim}], got ${fmt(x.shape)}`);
    }
  }

  private compute(x: Tensor, positions: Tensor, options: TransformerBlockForwardOptions): Tensor {
    const { residual, update } = this.computeStream({ residual: x, update: null }, positions, options);
    return add(residual, update!); // [B, T, dim]
  }

  private computeStream(
    stream: ResidualStream,
    positions: Tensor,
    options: TransformerBlockForwardOptions,
  ): { residual: Tensor; update: Tensor } {
    const [b, t] = stream.residual.shape as [number, number, number];
    const ctx = options.ctx ?? EVAL_CONTEXT;
    const hd = this.headDim;
    // [B, T, n*D] -> [B, n, T, D], rotated by position; each head normalised first when the block has q/k
    // norms, then in one fused op (rmsNormRope) that makes neither the normalised nor the transposed tensor.
    const rotatedHeads = (y: Tensor, n: number, norm: RMSNorm | null) => {
      const split = y.reshape([b, t, n, hd]); // [B, T, n, D]
      if (!norm) return rope(split.transpose([0, 2, 1, 3]), positions, this.ropeTheta);
      return rmsNormRope(split, norm.weight, positions, { eps: norm.eps, theta: this.ropeTheta });
    };

    // --- attention (the input joins the residual stream in the norm's launch when it comes unsummed)
    const [x, h] = this.attnNorm.forwardSum(stream.residual, stream.update); // [B, T, dim] each
    const q = rotatedHeads(this.q.forward(h, ctx), this.heads, this.qNorm); // [B, Hq, T, D]
    let k = rotatedHeads(this.k.forward(h, ctx), this.kvHeads, this.kNorm); // [B, Hkv, T, D]
    let v = this.v.forward(h, ctx).reshape([b, t, this.kvHeads, hd]).transpose([0, 2, 1, 3]); // [B, Hkv, T, D]
    let queryOffset: number | undefined;
    if (options.cache) {
      // The cache's buffers [B, Hkv, capacity, D]: the causal mask at queryOffset hides the unused positions.
      const held = options.cache.append(k, v);
      ({ k, v } = held);
      queryOffset = held.length - t;
    }
    const a = attention(q, k, v, {
      scale: 1 / Math.sqrt(hd),
      causal: true,
      segmentIds: options.segmentIds,
      queryOffset,
    }) // [B, Hq, T, D]
      .transpose([0, 2, 1, 3])
      .reshape([b, t, this.heads * hd]); // [B, T, Hq*D]
    // The attention's output joins the residual stream and the MLP's norm reads the sum: one fused op.
    const [x1, h2] = this.mlpNorm.forwardSum(x, this.o.forward(a, ctx)); // [B, T, dim] each

    // --- SwiGLU MLP
    const gated = swiglu(this.gate.forward(h2, ctx), this.up.forward(h2, ctx)); // [B, T, I]
    return { residual: x1, update: this.down.forward(gated, ctx) }; // [B, T, dim] each: the output is their sum
  }

  /** Tensors the block's gradients flow to: trainable weights and adapter parameters. */
  private gradientInputs(): Tensor[] {
    const out: Tensor[] = [];
    for (const [, m] of this.namedModules()) {
      for (const [, p] of m.ownParameters()) if (p.requiresGrad) out.push(p);
      if (m instanceof Linear) for (const p of m.adapter?.parameters?.() ?? []) if (p.requiresGrad) out.push(p);
    }
    return out;
  }

  /**
   * Matmul FLOPs of one forward over B*T tokens (projections, MLP, and the
   * causal half of the T x T score and value products); elementwise work is
   * not counted.
   */
  forwardFlops(batch: number, seq: number): number {
    const { dim, heads, kvHeads, headDim, mlpHidden } = this.dims;
    const tokens = batch * seq;
    const proj = 2 * tokens * (dim * heads * headDim * 2 + dim * kvHeads * headDim * 2);
    const mlp = 2 * tokens * dim * mlpHidden * 3;
    const pairs = batch * heads * ((seq * (seq + 1)) / 2);
    const attn = 2 * 2 * pairs * headDim;
    return proj + mlp + attn;
  }
}
