/**
 * The tensors a Qwen3 checkpoint holds, with transformers' names and the
 * shapes config.json implies; and seeded random weights for tests and benchmarks.
 */
import { randn, tensor, type Tensor } from '@molrl/tensor';
import type { Qwen3Config } from './config.js';
import type { WeightDType } from './qwen3.js';

/** name -> shape, in checkpoint order (embeddings, layers, final norm, untied lm_head). */
export function expectedWeightShapes(c: Qwen3Config): Map<string, number[]> {
  const h = c.hidden_size;
  const d = c.head_dim;
  const out = new Map<string, number[]>([['model.embed_tokens.weight', [c.vocab_size, h]]]);
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const p = `model.layers.${i}`;
    out.set(`${p}.input_layernorm.weight`, [h]);
    out.set(`${p}.self_attn.q_proj.weight`, [c.num_attention_heads * d, h]);
    out.set(`${p}.self_attn.k_proj.weight`, [c.num_key_value_heads * d, h]);
    out.set(`${p}.self_attn.v_proj.weight`, [c.num_key_value_heads * d, h]);
    out.set(`${p}.self_attn.o_proj.weight`, [h, c.num_attention_heads * d]);
    out.set(`${p}.self_attn.q_norm.weight`, [d]);
    out.set(`${p}.self_attn.k_norm.weight`, [d]);
    out.set(`${p}.post_attention_layernorm.weight`, [h]);
    out.set(`${p}.mlp.gate_proj.weight`, [c.intermediate_size, h]);
    out.set(`${p}.mlp.up_proj.weight`, [c.intermediate_size, h]);
    out.set(`${p}.mlp.down_proj.weight`, [h, c.intermediate_size]);
  }
  out.set('model.norm.weight', [h]);
  if (!c.tie_word_embeddings) out.set('lm_head.weight', [c.vocab_size, h]);
  return out;
}

/** Bytes of the weights in a storage dtype. */
export function weightBytes(c: Qwen3Config, dtype: WeightDType = 'float32'): number {
  let n = 0;
  for (const s of expectedWeightShapes(c).values()) n += s.reduce((a, b) => a * b, 1);
  return n * (dtype === 'float32' ? 4 : 2);
}

/**
 * Seeded random weights (normal, std = initializer_range; norms at 1), as
 * transformers initialises a fresh model. For tests and benchmarks.
 */
export function randomWeights(
  c: Qwen3Config,
  options: { seed?: number; dtype?: WeightDType } = {},
): Map<string, Tensor> {
  const seed = options.seed ?? 0;
  const dtype = options.dtype ?? 'float32';
  const out = new Map<string, Tensor>();
  let i = 0;
  for (const [name, shape] of expectedWeightShapes(c)) {
    i++;
    let t: Tensor;
    if (name.endsWith('norm.weight')) {
      t = tensor(new Float32Array(shape[0]).fill(1), shape, { dtype });
    } else {
      const f = randn(shape, { seed: seed * 100003 + i, std: c.initializer_range });
      t = dtype === 'float32' ? f : f.cast(dtype);
      if (t !== f) f.dispose();
    }
    out.set(name, t.keep());
  }
  return out;
}
