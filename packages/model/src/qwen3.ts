/**
 * Qwen3 dense causal LM, as Hugging Face transformers defines it
 * (models/qwen3/modeling_qwen3.py), built from @molrl/tensor's modules:
 *
 *   ids [B, T] -> embed_tokens -> N x TransformerBlock -> norm -> lm_head -> logits [B, T, V]
 *
 * Each decoder layer is tensor's one TransformerBlock in transformers' layout:
 * q/k/v projections, per-head RMSNorm of q and k, rotary embedding
 * (rotate-half), causal grouped-query attention (fused kernel; packed segments
 * and padding through segment ids), o projection; mlp: down(silu(gate(x)) * up(x)).
 * Shapes in comments: B batch, T length, H hidden, V vocabulary.
 */
import {
  Embedding,
  KVCache,
  Linear,
  Module,
  RMSNorm,
  slice,
  tensor,
  TransformerBlock,
  type DType,
  type ForwardContext,
  type ResidualStream,
  type Tensor,
  type TransformerBlockConfig,
} from '@molrl/tensor';
import type { Qwen3Config } from './config.js';

export { Linear, type LinearAdapter, type ForwardContext } from '@molrl/tensor';

/** Per-layer keys and values of the tokens seen so far (generation). */
export type LayerCache = KVCache;

/** A decoder layer: @molrl/tensor's TransformerBlock in transformers' layout, with q/k norms. */
export type Qwen3Layer = TransformerBlock;

/** What one decoder pass needs besides the token ids. */
export interface DecoderInputs {
  positions: Tensor; // int32 [B, T]
  /** int32 [B, S]: query i sees key j only when their segment ids are equal (packing, padding). */
  segmentIds?: Tensor;
  /** Per-layer caches, extended in place by this pass (generation). */
  caches?: KVCache[];
  /** Training mode and dropout seed (default: the module's mode and its next dropout seed). */
  ctx?: ForwardContext;
}

/**
 * Where each part sits in transformers' state dict (the decoder layers' own
 * parts are named by TransformerBlock's 'transformers' layout): the one place
 * Qwen3's weight names are written.
 */
const STATE_NAMES = {
  embedding: 'model.embed_tokens',
  layers: 'model.layers',
  finalNorm: 'model.norm',
  lmHead: 'lm_head',
} as const;

/** A decoder layer's shape as TransformerBlock takes it. */
function layerConfig(c: Qwen3Config): TransformerBlockConfig {
  return {
    dim: c.hidden_size,
    heads: c.num_attention_heads,
    kvHeads: c.num_key_value_heads,
    headDim: c.head_dim,
    mlpHidden: c.intermediate_size,
    ropeTheta: c.rope_theta,
    normEps: c.rms_norm_eps,
    qkNorm: true,
    names: 'transformers',
  };
}

/**
 * The weights and the pure forward computation of a Qwen3 model, as a
 * Module whose parameter names are transformers' (model.embed_tokens.weight,
 * model.layers.N.self_attn.q_proj.weight, ...). The class the API exposes
 * (Qwen3ForCausalLM in model.ts) adds loading, saving and generation around it.
 */
export class Qwen3Module extends Module {
  readonly embedding: Embedding; // [V, H]
  readonly layers: TransformerBlock[];
  readonly finalNorm: RMSNorm; // [H]
  /** [V, H]; shares the embedding's weight when the config ties them. */
  readonly lmHead: Linear;
  /** Training mode (dropout in adapters is active); off after loading. */
  override training = false;
  /** Seed of the next forward pass's dropout masks (advanced per training pass). */
  dropoutSeed = 0;

  /**
   * Takes the weights over (transformers' names): plain tensors become
   * Parameters (their handles are consumed) and keep their dtype and
   * requiresGrad. Every tensor the config implies must be present with its
   * shape; nothing is taken over otherwise.
   */
  constructor(
    readonly config: Qwen3Config,
    weights: Map<string, Tensor>,
  ) {
    super();
    const shapes = Qwen3Module.parameterShapes(config);
    for (const [name, shape] of shapes) {
      const t = weights.get(name);
      if (!t) throw new Error(`Qwen3: weight '${name}' is missing`);
      if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
        throw new Error(`Qwen3: weight '${name}' is [${t.shape.join(', ')}], the config implies [${shape.join(', ')}]`);
      }
    }
    const take = (name: string) => weights.get(name)!;
    const [vocab, hidden] = [config.vocab_size, config.hidden_size];
    this.embedding = new Embedding(vocab, hidden, { weight: take(`${STATE_NAMES.embedding}.weight`) });
    this.layers = Array.from(
      { length: config.num_hidden_layers },
      (_, i) =>
        new TransformerBlock(layerConfig(config), {
          weights: (name) => take(`${STATE_NAMES.layers}.${i}.${name}`),
        }),
    );
    this.finalNorm = new RMSNorm(hidden, config.rms_norm_eps, { weight: take(`${STATE_NAMES.finalNorm}.weight`) });
    this.lmHead = new Linear(hidden, vocab, {
      weight: config.tie_word_embeddings ? this.embedding.weight : take(`${STATE_NAMES.lmHead}.weight`),
    });
    // Error messages and adapters name tensors and layers by their transformers names.
    for (const [name, p] of this.namedParameters()) p.name = name;
    for (const [path, m] of this.namedModules()) if (m instanceof Linear) m.name = path;
  }

  /**
   * Every weight's transformers name and shape, in checkpoint order
   * (embeddings, layers, final norm, untied lm_head), without making a model.
   */
  static parameterShapes(c: Qwen3Config): Map<string, number[]> {
    const out = new Map<string, number[]>([[`${STATE_NAMES.embedding}.weight`, [c.vocab_size, c.hidden_size]]]);
    const layer = TransformerBlock.parameterShapes(layerConfig(c));
    for (let i = 0; i < c.num_hidden_layers; i++) {
      for (const [name, shape] of layer) out.set(`${STATE_NAMES.layers}.${i}.${name}`, shape);
    }
    out.set(`${STATE_NAMES.finalNorm}.weight`, [c.hidden_size]);
    if (!c.tie_word_embeddings) out.set(`${STATE_NAMES.lmHead}.weight`, [c.vocab_size, c.hidden_size]);
    return out;
  }

  /** The parts under their transformers names (a tied lm_head's weight is named once, as the embedding). */
  override *children(): Generator<[string, Module]> {
    yield [STATE_NAMES.embedding, this.embedding];
    for (let i = 0; i < this.layers.length; i++) yield [`${STATE_NAMES.layers}.${i}`, this.layers[i]];
    yield [STATE_NAMES.finalNorm, this.finalNorm];
    yield [STATE_NAMES.lmHead, this.lmHead];
  }

  /** The embedding table [V, H]. */
  get embedTokens(): Tensor {
    return this.embedding.weight;
  }

  /** Recompute each decoder layer's activations in the backward instead of keeping them. */
  get gradientCheckpointing(): boolean {
    return this.layers.some((l) => l.gradientCheckpointing);
  }

  set gradientCheckpointing(value: boolean) {
    for (const l of this.layers) l.gradientCheckpointing = value;
  }

  /** Every weight under its transformers name. */
  namedWeights(): Map<string, Tensor> {
    return new Map(this.namedParameters());
  }

  /** Every linear layer of the decoder under its module path (the layers LoRA can target; lm_head excluded). */
  linearLayers(): Map<string, Linear> {
    const out = new Map<string, Linear>();
    for (const [path, m] of this.namedModules()) if (m instanceof Linear && m !== this.lmHead) out.set(path, m);
    return out;
  }

  /** Token embeddings: ids int32 [B, T] -> [B, T, H]. */
  embed(ids: Tensor): Tensor {
    return this.embedding.forward(ids);
  }

  /**
   * The decoder stack: ids int32 [B, T] -> final hidden states [B, T, H]
   * (after the last RMSNorm, before the LM head).
   */
  hidden(ids: Tensor, inputs: DecoderInputs): Tensor {
    const ctx = inputs.ctx ?? { training: this.training, seed: this.training ? this.dropoutSeed++ : 0 };
    // The residual stream passes between layers unsummed: each layer's norm adds its input pair in the
    // norm's own launch, and the final norm adds the last layer's (one launch per layer fewer than summing).
    let stream: ResidualStream = { residual: this.embed(ids), update: null }; // [B, T, H]
    this.layers.forEach((layer, i) => {
      stream = layer.forwardStream(stream, inputs.positions, {
        segmentIds: inputs.segmentIds,
        cache: inputs.caches?.[i],
        ctx,
      });
    });
    return this.finalNorm.forwardSum(stream.residual, stream.update)[1];
  }

  /** LM head: hidden [..., H] -> logits [..., V]. */
  logits(hidden: Tensor): Tensor {
    return this.lmHead.forward(hidden);
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
