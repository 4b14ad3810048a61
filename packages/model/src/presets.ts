/**
 * The shapes of published Qwen3 checkpoints: the fields of their `config.json` on the
 * Hugging Face Hub that decide parameter counts, memory and speed. For benchmarks,
 * memory estimates and random-weight models of a real model's size without downloading
 * it: `qwen3Config(QWEN3_0_6B)`, or `{ ...QWEN3_0_6B, num_hidden_layers: 2 }` for a
 * narrow slice of one.
 */

/** Qwen/Qwen3-0.6B (0.6B parameters, 0.44B without the tied embedding). */
export const QWEN3_0_6B = {
  vocab_size: 151936,
  hidden_size: 1024,
  intermediate_size: 3072,
  num_hidden_layers: 28,
  num_attention_heads: 16,
  num_key_value_heads: 8,
  head_dim: 128,
  tie_word_embeddings: true,
  rope_theta: 1000000,
  rms_norm_eps: 1e-6,
  max_position_embeddings: 40960,
} as const;

/** Qwen/Qwen3-8B (8.2B parameters, untied embedding and LM head). */
export const QWEN3_8B = {
  vocab_size: 151936,
  hidden_size: 4096,
  intermediate_size: 12288,
  num_hidden_layers: 36,
  num_attention_heads: 32,
  num_key_value_heads: 8,
  head_dim: 128,
  tie_word_embeddings: false,
  rope_theta: 1000000,
  rms_norm_eps: 1e-6,
  max_position_embeddings: 40960,
} as const;
