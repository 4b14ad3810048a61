import { describe, expect, it } from 'vitest';
import { eosTokenIds, parseQwen3Config, qwen3ConfigToJson } from './config.js';

// Qwen3-0.6B's config.json as published.
const QWEN3_0_6B = {
  architectures: ['Qwen3ForCausalLM'],
  attention_bias: false,
  attention_dropout: 0.0,
  bos_token_id: 151643,
  eos_token_id: 151645,
  head_dim: 128,
  hidden_act: 'silu',
  hidden_size: 1024,
  initializer_range: 0.02,
  intermediate_size: 3072,
  max_position_embeddings: 40960,
  max_window_layers: 28,
  model_type: 'qwen3',
  num_attention_heads: 16,
  num_hidden_layers: 28,
  num_key_value_heads: 8,
  rms_norm_eps: 1e-6,
  rope_scaling: null,
  rope_theta: 1000000,
  sliding_window: null,
  tie_word_embeddings: true,
  torch_dtype: 'bfloat16',
  transformers_version: '4.51.0',
  use_cache: true,
  use_sliding_window: false,
  vocab_size: 151936,
};

describe('Qwen3 config.json', () => {
  it('parses a real Qwen3 config and keeps unknown fields for writing back', () => {
    const c = parseQwen3Config(QWEN3_0_6B);
    expect(c).toMatchObject({
      hidden_size: 1024,
      num_key_value_heads: 8,
      head_dim: 128,
      rope_theta: 1e6,
      tie_word_embeddings: true,
    });
    expect(c.torch_dtype).toBe('bfloat16');
    expect(c.extra).toEqual({ architectures: ['Qwen3ForCausalLM'], transformers_version: '4.51.0' });
    expect(eosTokenIds(c)).toEqual([151645]);
    const back = parseQwen3Config(qwen3ConfigToJson(c, 'float32'));
    expect({ ...back, extra: undefined, torch_dtype: undefined }).toEqual({
      ...c,
      extra: undefined,
      torch_dtype: undefined,
    });
  });

  it("fills transformers' Qwen3Config defaults", () => {
    const c = parseQwen3Config({ model_type: 'qwen3' });
    expect(c).toMatchObject({
      vocab_size: 151936,
      hidden_size: 4096,
      intermediate_size: 22016,
      num_hidden_layers: 32,
      num_attention_heads: 32,
      num_key_value_heads: 32,
      head_dim: 128,
      max_position_embeddings: 32768,
      rms_norm_eps: 1e-6,
      tie_word_embeddings: false,
      rope_theta: 10000,
    });
  });

  it('reads rope_theta from transformers 5 rope_parameters', () => {
    expect(parseQwen3Config({ rope_parameters: { rope_type: 'default', rope_theta: 5e5 } }).rope_theta).toBe(5e5);
  });

  it('names unsupported and malformed fields', () => {
    expect(() =>
      parseQwen3Config({ ...QWEN3_0_6B, rope_scaling: { rope_type: 'yarn', factor: 4 } }, 'x/config.json'),
    ).toThrow(/x\/config.json: field "rope_scaling" type "yarn" is not supported/);
    expect(() => parseQwen3Config({ use_sliding_window: true })).toThrow(/"use_sliding_window"/);
    expect(() => parseQwen3Config({ layer_types: ['full_attention', 'sliding_attention'] })).toThrow(
      /"layer_types\[1\]"/,
    );
    expect(() => parseQwen3Config({ model_type: 'qwen3_moe' })).toThrow(/"model_type" is "qwen3_moe"/);
    expect(() => parseQwen3Config({ hidden_act: 'gelu' })).toThrow(/"hidden_act"/);
    expect(() => parseQwen3Config({ attention_bias: true })).toThrow(/"attention_bias"/);
    expect(() => parseQwen3Config({ hidden_size: 10.5 })).toThrow(/"hidden_size" must be a positive integer/);
    expect(() => parseQwen3Config({ num_attention_heads: 6, num_key_value_heads: 4 })).toThrow(
      /"num_key_value_heads" \(4\) must divide/,
    );
    expect(() => parseQwen3Config({ head_dim: 7 })).toThrow(/"head_dim" must be even/);
    expect(() => parseQwen3Config({ eos_token_id: 'x' })).toThrow(/"eos_token_id"/);
  });

  it('refuses token ids outside the vocabulary, naming the file and the field', () => {
    const where = 'm/config.json';
    const tiny = { vocab_size: 128 };
    expect(() => parseQwen3Config({ ...tiny, eos_token_id: 500 }, where)).toThrow(
      'm/config.json: field "eos_token_id" must be a token id in [0, 128) (vocab_size), got 500',
    );
    expect(() => parseQwen3Config({ ...tiny, eos_token_id: [2, -1] }, where)).toThrow(
      'm/config.json: field "eos_token_id[1]" must be a token id in [0, 128) (vocab_size), got -1',
    );
    expect(() => parseQwen3Config({ ...tiny, bos_token_id: 128 }, where)).toThrow(
      'm/config.json: field "bos_token_id" must be a token id in [0, 128)',
    );
    expect(() => parseQwen3Config({ ...tiny, pad_token_id: -1 }, where)).toThrow(
      'm/config.json: field "pad_token_id" must be a token id in [0, 128)',
    );
    // Against the default vocabulary when the file has none; null and in-range ids are fine.
    expect(() => parseQwen3Config({ eos_token_id: 151936 }, where)).toThrow(/\[0, 151936\)/);
    expect(parseQwen3Config({ ...tiny, eos_token_id: [0, 127], bos_token_id: null, pad_token_id: 5 })).toMatchObject({
      eos_token_id: [0, 127],
      bos_token_id: null,
      pad_token_id: 5,
    });
  });

  it('refuses a torch_dtype (or dtype) whose weights cannot be loaded, and quantised checkpoints', () => {
    for (const dtype of ['float32', 'bfloat16', 'float16', 'float64'])
      expect(parseQwen3Config({ torch_dtype: dtype }).torch_dtype).toBe(dtype);
    expect(() => parseQwen3Config({ torch_dtype: 'float8_e4m3fn' }, 'm/config.json')).toThrow(
      'm/config.json: field "torch_dtype" is "float8_e4m3fn"; weights of that dtype cannot be loaded here (float32, bfloat16, float16, float64)',
    );
    expect(() => parseQwen3Config({ dtype: 'float8_e5m2' })).toThrow(/field "dtype" is "float8_e5m2"/);
    expect(() => parseQwen3Config({ torch_dtype: 'int8' })).toThrow(/field "torch_dtype" is "int8"/);
    expect(() => parseQwen3Config({ torch_dtype: 16 })).toThrow(/field "torch_dtype" is 16/);
    expect(parseQwen3Config({ torch_dtype: null }).torch_dtype).toBeUndefined();
    // Qwen3-8B-FP8's config.json: bfloat16 activations, float8 weights with scales beside them.
    expect(() =>
      parseQwen3Config(
        { ...QWEN3_0_6B, quantization_config: { quant_method: 'fp8', weight_block_size: [128, 128] } },
        'm/config.json',
      ),
    ).toThrow('m/config.json: field "quantization_config" is present (quant_method "fp8"); quantised checkpoints');
    expect(parseQwen3Config({ quantization_config: null }).extra).toEqual({ quantization_config: null });
  });
});
