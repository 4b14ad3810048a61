/**
 * Qwen3 dense causal LM, as Hugging Face transformers defines it
 * (models/qwen3/modeling_qwen3.py), over @molrl/tensor:
 *
 *   ids [B, T] -> embed_tokens -> N x (x + attn(rmsnorm(x)); x + mlp(rmsnorm(x))) -> norm -> lm_head -> logits [B, T, V]
 *
 * attn: q/k/v projections, per-head RMSNorm of q and k, rotary embedding
 * (rotate-half), causal grouped-query attention (fused kernel; packed segments
 * and padding through segment ids), o projection. mlp: down(silu(gate(x)) * up(x)).
 * Shapes in comments: B batch, T query length, S key length (cache + T),
 * H hidden, Hq/Hkv heads, D head dim, I intermediate, V vocabulary.
 */
import {
  add,
  attention,
  cast,
  concat,
  customOp,
  enableGrad,
  gather,
  matmul,
  mul,
  reshape,
  rmsNorm,
  rope,
  silu,
  slice,
  tensor,
  tidy,
  transpose,
  type DType,
  type Tensor,
} from '@molrl/tensor';
import type { Qwen3Config } from './config.js';

/** Something that adds to a linear layer's output, e.g. a LoRA adapter. */
export interface LinearAdapter {
  /** The adapted output given the layer input x [..., in] and the base output y [..., out]. */
  forward(x: Tensor, y: Tensor, ctx: ForwardContext): Tensor;
  /** The adapter's trainable tensors (gradient checkpointing passes them through its graph node). */
  parameters?(): Tensor[];
}

/** Per-forward state that layers with randomness (dropout) need. */
export interface ForwardContext {
  /** Training mode: dropout is active. */
  training: boolean;
  /** A seed unique to this forward pass; recomputation (checkpointing) reuses it, so dropout masks repeat. */
  seed: number;
}

const EVAL_CONTEXT: ForwardContext = { training: false, seed: 0 };

/** y = x W^T (no bias: Qwen3 has none). W [out, in] as in PyTorch. */
export class Linear {
  /** Set by adapter libraries (@molrl/lora); null means the plain layer. */
  adapter: LinearAdapter | null = null;

  constructor(
    /** The module path, e.g. "model.layers.0.self_attn.q_proj". */
    readonly name: string,
    public weight: Tensor,
  ) {}

  get inFeatures(): number {
    return this.weight.shape[1];
  }

  get outFeatures(): number {
    return this.weight.shape[0];
  }

  forward(x: Tensor, ctx: ForwardContext = EVAL_CONTEXT): Tensor {
    const lead = x.shape.slice(0, -1);
    const x2 = reshape(x, [-1, this.inFeatures]); // [N, in]
    const w = asCompute(this.weight);
    const y = reshape(matmul(x2, w, { transposeB: true }), [...lead, this.outFeatures]); // [..., out]
    return this.adapter ? this.adapter.forward(x, y, ctx) : y;
  }
}

/** f32 view of a weight for compute: weights stored as bf16/f16 are widened per use (kernels compute in f32). */
function asCompute(w: Tensor): Tensor {
  return w.dtype === 'float32' ? w : cast(w, 'float32');
}

export interface Qwen3Layer {
  inputLayernorm: Tensor; // [H]
  qProj: Linear; // [Hq*D, H]
  kProj: Linear; // [Hkv*D, H]
  vProj: Linear; // [Hkv*D, H]
  oProj: Linear; // [H, Hq*D]
  qNorm: Tensor; // [D]
  kNorm: Tensor; // [D]
  postAttentionLayernorm: Tensor; // [H]
  gateProj: Linear; // [I, H]
  upProj: Linear; // [I, H]
  downProj: Linear; // [H, I]
}

/** Per-layer keys and values of the tokens seen so far (generation). */
export interface LayerCache {
  k: Tensor; // [B, Hkv, S, D], after k-norm and rope
  v: Tensor; // [B, Hkv, S, D]
}

/** What one decoder pass needs besides the hidden states. */
export interface DecoderInputs {
  positions: Tensor; // int32 [B, T]
  /** int32 [B, S]: query i sees key j only when their segment ids are equal (packing, padding). */
  segmentIds?: Tensor;
  /** Per-layer caches, extended in place by this pass (generation). */
  caches?: LayerCache[];
  /** Training mode and dropout seed (default: evaluation). */
  ctx?: ForwardContext;
}

/**
 * The weights and the pure forward computation of a Qwen3 model. The class
 * the API exposes (Qwen3ForCausalLM in model.ts) adds loading, saving and
 * generation around it.
 */
export class Qwen3Module {
  embedTokens: Tensor; // [V, H]
  layers: Qwen3Layer[];
  norm: Tensor; // [H]
  /** [V, H]; the same tensor as embedTokens when the config ties them. */
  lmHead: Linear;
  /** Recompute each decoder layer's activations in the backward instead of keeping them. */
  gradientCheckpointing = false;
  /** Training mode (dropout in adapters is active). */
  training = false;
  /** Seed of the next forward pass's dropout masks (advanced per pass). */
  dropoutSeed = 0;

  constructor(
    readonly config: Qwen3Config,
    weights: Map<string, Tensor>,
  ) {
    const w = (name: string) => {
      const t = weights.get(name);
      if (!t) throw new Error(`Qwen3: weight '${name}' is missing`);
      t.name = name;
      return t;
    };
    this.embedTokens = w('model.embed_tokens.weight');
    this.norm = w('model.norm.weight');
    this.layers = Array.from({ length: config.num_hidden_layers }, (_, i) => {
      const p = `model.layers.${i}`;
      const lin = (name: string) => new Linear(`${p}.${name}`, w(`${p}.${name}.weight`));
      return {
        inputLayernorm: w(`${p}.input_layernorm.weight`),
        qProj: lin('self_attn.q_proj'),
        kProj: lin('self_attn.k_proj'),
        vProj: lin('self_attn.v_proj'),
        oProj: lin('self_attn.o_proj'),
        qNorm: w(`${p}.self_attn.q_norm.weight`),
        kNorm: w(`${p}.self_attn.k_norm.weight`),
        postAttentionLayernorm: w(`${p}.post_attention_layernorm.weight`),
        gateProj: lin('mlp.gate_proj'),
        upProj: lin('mlp.up_proj'),
        downProj: lin('mlp.down_proj'),
      };
    });
    this.lmHead = new Linear('lm_head', config.tie_word_embeddings ? this.embedTokens : w('lm_head.weight'));
  }

  /** Every weight under its transformers name (a tied lm_head is listed once, as the embedding). */
  namedWeights(): Map<string, Tensor> {
    const out = new Map<string, Tensor>([['model.embed_tokens.weight', this.embedTokens]]);
    this.layers.forEach((l, i) => {
      const p = `model.layers.${i}`;
      out.set(`${p}.input_layernorm.weight`, l.inputLayernorm);
      for (const lin of [l.qProj, l.kProj, l.vProj, l.oProj]) out.set(`${lin.name}.weight`, lin.weight);
      out.set(`${p}.self_attn.q_norm.weight`, l.qNorm);
      out.set(`${p}.self_attn.k_norm.weight`, l.kNorm);
      out.set(`${p}.post_attention_layernorm.weight`, l.postAttentionLayernorm);
      for (const lin of [l.gateProj, l.upProj, l.downProj]) out.set(`${lin.name}.weight`, lin.weight);
    });
    out.set('model.norm.weight', this.norm);
    if (!this.config.tie_word_embeddings) out.set('lm_head.weight', this.lmHead.weight);
    return out;
  }

  /** Every linear layer under its module path (the layers LoRA can target; lm_head excluded). */
  linearLayers(): Map<string, Linear> {
    const out = new Map<string, Linear>();
    for (const l of this.layers) {
      for (const lin of [l.qProj, l.kProj, l.vProj, l.oProj, l.gateProj, l.upProj, l.downProj]) out.set(lin.name, lin);
    }
    return out;
  }

  /**
   * Token embeddings: ids int32 [B, T] -> [B, T, H]. A bf16/f16 table is
   * widened per call (gather takes float32 tables).
   */
  embed(ids: Tensor): Tensor {
    return gather(asCompute(this.embedTokens), ids);
  }

  /** One decoder layer: x [B, T, H] -> [B, T, H]. */
  layer(l: Qwen3Layer, x: Tensor, inputs: DecoderInputs, cache?: LayerCache): Tensor {
    const c = this.config;
    const [b, t] = x.shape;
    const d = c.head_dim;
    const eps = c.rms_norm_eps;
    const ctx = inputs.ctx ?? EVAL_CONTEXT;

    // --- attention
    const h = rmsNorm(x, asCompute(l.inputLayernorm), eps); // [B, T, H]
    const q0 = reshape(l.qProj.forward(h, ctx), [b, t, c.num_attention_heads, d]); // [B, T, Hq, D]
    const k0 = reshape(l.kProj.forward(h, ctx), [b, t, c.num_key_value_heads, d]); // [B, T, Hkv, D]
    const v0 = reshape(l.vProj.forward(h, ctx), [b, t, c.num_key_value_heads, d]); // [B, T, Hkv, D]
    const qn = transpose(rmsNorm(q0, asCompute(l.qNorm), eps), [0, 2, 1, 3]); // [B, Hq, T, D]
    const kn = transpose(rmsNorm(k0, asCompute(l.kNorm), eps), [0, 2, 1, 3]); // [B, Hkv, T, D]
    const q = rope(qn, inputs.positions, c.rope_theta); // [B, Hq, T, D]
    let k = rope(kn, inputs.positions, c.rope_theta); // [B, Hkv, T, D]
    let v = transpose(v0, [0, 2, 1, 3]); // [B, Hkv, T, D]
    if (cache) {
      k = concat([cache.k, k], 2); // [B, Hkv, S, D]
      v = concat([cache.v, v], 2);
      cache.k.dispose();
      cache.v.dispose();
      cache.k = k.keep();
      cache.v = v.keep();
    }
    const att = attention(q, k, v, { scale: 1 / Math.sqrt(d), causal: true, segmentIds: inputs.segmentIds }); // [B, Hq, T, D]
    const merged = reshape(transpose(att, [0, 2, 1, 3]), [b, t, c.num_attention_heads * d]); // [B, T, Hq*D]
    x = add(x, l.oProj.forward(merged, ctx));

    // --- SwiGLU MLP
    const h2 = rmsNorm(x, asCompute(l.postAttentionLayernorm), eps); // [B, T, H]
    const gated = mul(silu(l.gateProj.forward(h2, ctx)), l.upProj.forward(h2, ctx)); // [B, T, I]
    return add(x, l.downProj.forward(gated, ctx)); // [B, T, H]
  }

  /**
   * The decoder stack: ids int32 [B, T] -> final hidden states [B, T, H]
   * (after the last RMSNorm, before the LM head).
   */
  hidden(ids: Tensor, inputs: DecoderInputs): Tensor {
    const ctx = inputs.ctx ?? { training: this.training, seed: this.training ? this.dropoutSeed++ : 0 };
    const withCtx = { ...inputs, ctx };
    let x = this.embed(ids); // [B, T, H]
    this.layers.forEach((l, i) => {
      const cache = inputs.caches?.[i];
      x =
        this.gradientCheckpointing && !cache ? this.checkpointedLayer(l, x, withCtx) : this.layer(l, x, withCtx, cache);
    });
    return rmsNorm(x, asCompute(this.norm), this.config.rms_norm_eps);
  }

  /** LM head: hidden [..., H] -> logits [..., V]. */
  logits(hidden: Tensor): Tensor {
    return this.lmHead.forward(hidden);
  }

  /**
   * Activation recomputation: run the layer without recording, keep only its
   * input; the backward recomputes the layer with recording on and
   * backpropagates through it (parameter gradients accumulate as usual).
   */
  private checkpointedLayer(l: Qwen3Layer, x: Tensor, inputs: DecoderInputs): Tensor {
    const trainable = this.layerTrainable(l);
    const seg = inputs.segmentIds ? [inputs.segmentIds] : [];
    const op = customOp(
      'checkpointedLayer',
      ([xx, positions, ...rest], saveCtx) => {
        saveCtx.save(xx, positions, ...rest.slice(0, seg.length));
        return tidy(() =>
          this.layer(l, xx, { positions, segmentIds: seg.length ? rest[0] : undefined, ctx: inputs.ctx }),
        );
      },
      ([dy], [sx, positions, segmentIds]) => {
        const xin = sx.detach();
        xin.requiresGrad = x.requiresGrad;
        // tidy: this layer's recomputed activations are freed before the next layer's backward.
        tidy(() =>
          enableGrad(() => {
            const yr = this.layer(l, xin, { positions, segmentIds, ctx: inputs.ctx });
            yr.backward(dy);
          }),
        );
        const dx = xin.grad;
        xin.grad = null;
        xin.dispose();
        // Parameter gradients were accumulated by the inner backward.
        return [dx, null, ...seg.map(() => null), ...trainable.map(() => null)];
      },
    );
    return op(x, inputs.positions, ...seg, ...trainable);
  }

  /** Tensors of a layer that require grad (weights, norms, adapter parameters). */
  private layerTrainable(l: Qwen3Layer): Tensor[] {
    const out: Tensor[] = [];
    for (const v of Object.values(l) as (Linear | Tensor)[]) {
      if (v instanceof Linear) {
        if (v.weight.requiresGrad) out.push(v.weight);
        for (const p of v.adapter?.parameters?.() ?? []) if (p.requiresGrad) out.push(p);
      } else if (v.requiresGrad) {
        out.push(v);
      }
    }
    return out;
  }
}

/** Storage dtypes a model can be loaded in. */
export type WeightDType = Extract<DType, 'float32' | 'bfloat16' | 'float16'>;

/** int32 [B, T] tensor from rows of numbers. */
export function intTensor(rows: readonly (readonly number[])[], what: string): Tensor {
  const b = rows.length;
  const t = b === 0 ? 0 : rows[0].length;
  const flat = new Int32Array(b * t);
  rows.forEach((r, i) => {
    if (r.length !== t)
      throw new Error(
        `${what}: row ${i} has ${r.length} entries, row 0 has ${t} (rows must be equally long; pad them)`,
      );
    for (let j = 0; j < t; j++) {
      const v = r[j];
      if (!Number.isInteger(v)) throw new Error(`${what}: row ${i}, position ${j}: ${v} is not an integer`);
      flat[i * t + j] = v;
    }
  });
  return tensor(flat, [b, t], { dtype: 'int32' });
}

/** The last position of each row: hidden [B, T, H] -> [B, 1, H]. */
export function lastPosition(hidden: Tensor): Tensor {
  const [b, t, h] = hidden.shape;
  return slice(hidden, [0, t - 1, 0], [b, 1, h]);
}
