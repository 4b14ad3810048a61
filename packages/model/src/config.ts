/**
 * Qwen3 `config.json`, typed, with the defaults transformers' Qwen3Config has.
 * Fields this implementation cannot honour (rope scaling, sliding-window
 * attention, attention biases, other activations, quantisation, 8-bit dtypes)
 * are rejected by name rather than silently ignored.
 */
import { recordConfigDefaults } from './config-defaults.js';

export interface Qwen3Config {
  model_type: 'qwen3';
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  head_dim: number;
  hidden_act: 'silu';
  max_position_embeddings: number;
  initializer_range: number;
  rms_norm_eps: number;
  use_cache: boolean;
  tie_word_embeddings: boolean;
  rope_theta: number;
  attention_bias: false;
  attention_dropout: number;
  bos_token_id?: number | null;
  eos_token_id?: number | number[] | null;
  pad_token_id?: number | null;
  torch_dtype?: string;
  /** Every other field of the file, kept so savePretrained writes it back. */
  extra: Record<string, unknown>;
}

/** transformers' Qwen3Config defaults (Qwen3-8B-like). */
export const QWEN3_DEFAULTS = {
  vocab_size: 151936,
  hidden_size: 4096,
  intermediate_size: 22016,
  num_hidden_layers: 32,
  num_attention_heads: 32,
  num_key_value_heads: 32,
  head_dim: 128,
  hidden_act: 'silu',
  max_position_embeddings: 32768,
  initializer_range: 0.02,
  rms_norm_eps: 1e-6,
  use_cache: true,
  tie_word_embeddings: false,
  rope_theta: 10000.0,
  attention_bias: false,
  attention_dropout: 0.0,
} as const;

const KNOWN = new Set([
  ...Object.keys(QWEN3_DEFAULTS),
  'model_type',
  'bos_token_id',
  'eos_token_id',
  'pad_token_id',
  'torch_dtype',
  'dtype',
  'rope_scaling',
  'rope_parameters',
  'use_sliding_window',
  'sliding_window',
  'max_window_layers',
  'layer_types',
]);

/** The `torch_dtype` values whose weights load here (float64 ones are stored as float32). */
export const LOADABLE_TORCH_DTYPES: readonly string[] = ['float32', 'bfloat16', 'float16', 'float64'];

function fail(where: string, field: string, message: string): never {
  throw new Error(`${where}: field "${field}" ${message}`);
}

function positiveInt(raw: Record<string, unknown>, field: keyof typeof QWEN3_DEFAULTS, where: string): number {
  const v = raw[field] ?? QWEN3_DEFAULTS[field];
  if (!Number.isSafeInteger(v) || (v as number) <= 0)
    fail(where, field, `must be a positive integer, got ${JSON.stringify(v)}`);
  return v as number;
}

function positiveNumber(raw: Record<string, unknown>, field: keyof typeof QWEN3_DEFAULTS, where: string): number {
  const v = raw[field] ?? QWEN3_DEFAULTS[field];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
    fail(where, field, `must be a non-negative number, got ${JSON.stringify(v)}`);
  return v;
}

function boolean(raw: Record<string, unknown>, field: keyof typeof QWEN3_DEFAULTS, where: string): boolean {
  const v = raw[field] ?? QWEN3_DEFAULTS[field];
  if (typeof v !== 'boolean') fail(where, field, `must be a boolean, got ${JSON.stringify(v)}`);
  return v;
}

/** The rope theta from `rope_theta`, or from transformers 5's `rope_parameters`; other rope types are rejected. */
function ropeTheta(raw: Record<string, unknown>, where: string): number {
  const scaling = raw.rope_scaling;
  if (scaling !== undefined && scaling !== null) {
    const type = (scaling as Record<string, unknown>).rope_type ?? (scaling as Record<string, unknown>).type;
    if (type !== 'default') {
      fail(
        where,
        'rope_scaling',
        `type ${JSON.stringify(type)} is not supported (only plain rotary embeddings: "default" or null)`,
      );
    }
  }
  const params = raw.rope_parameters as Record<string, unknown> | undefined | null;
  if (params !== undefined && params !== null) {
    if (typeof params !== 'object') fail(where, 'rope_parameters', `must be an object`);
    const type = params.rope_type ?? 'default';
    if (type !== 'default')
      fail(where, 'rope_parameters', `rope_type ${JSON.stringify(type)} is not supported (only "default")`);
    if (params.rope_theta !== undefined) {
      if (typeof params.rope_theta !== 'number' || params.rope_theta <= 0) {
        fail(
          where,
          'rope_parameters.rope_theta',
          `must be a positive number, got ${JSON.stringify(params.rope_theta)}`,
        );
      }
      return params.rope_theta;
    }
  }
  const theta = raw.rope_theta ?? QWEN3_DEFAULTS.rope_theta;
  if (typeof theta !== 'number' || !(theta > 0))
    fail(where, 'rope_theta', `must be a positive number, got ${JSON.stringify(theta)}`);
  return theta;
}

/**
 * Parse a Qwen3 `config.json` object. `where` (a path) names the file in errors.
 */
export function parseQwen3Config(json: unknown, where = 'config.json'): Qwen3Config {
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new Error(`${where}: must be a JSON object`);
  const raw = json as Record<string, unknown>;
  const modelType = raw.model_type ?? 'qwen3';
  if (modelType !== 'qwen3')
    fail(where, 'model_type', `is ${JSON.stringify(modelType)}; only "qwen3" (dense Qwen3) is supported`);
  if (raw.hidden_act !== undefined && raw.hidden_act !== 'silu') {
    fail(where, 'hidden_act', `is ${JSON.stringify(raw.hidden_act)}; only "silu" (SwiGLU) is supported`);
  }
  if (raw.attention_bias === true)
    fail(where, 'attention_bias', 'is true; biased q/k/v/o projections are not supported');
  if (raw.use_sliding_window === true) {
    fail(
      where,
      'use_sliding_window',
      'is true; sliding-window attention is not supported (every layer uses full attention)',
    );
  }
  // An FP8 (or GPTQ, AWQ, bitsandbytes) checkpoint's weights need its scales: loading them as plain floats is garbage.
  if (raw.quantization_config !== undefined && raw.quantization_config !== null) {
    const method = (raw.quantization_config as Record<string, unknown>).quant_method;
    fail(
      where,
      'quantization_config',
      `is present${typeof method === 'string' ? ` (quant_method ${JSON.stringify(method)})` : ''}; quantised checkpoints are not supported (weights must be float32, bfloat16 or float16)`,
    );
  }
  if (Array.isArray(raw.layer_types)) {
    const i = raw.layer_types.findIndex((t) => t !== 'full_attention');
    if (i >= 0)
      fail(where, `layer_types[${i}]`, `is ${JSON.stringify(raw.layer_types[i])}; only "full_attention" is supported`);
  }
  const cfg: Qwen3Config = {
    model_type: 'qwen3',
    vocab_size: positiveInt(raw, 'vocab_size', where),
    hidden_size: positiveInt(raw, 'hidden_size', where),
    intermediate_size: positiveInt(raw, 'intermediate_size', where),
    num_hidden_layers: positiveInt(raw, 'num_hidden_layers', where),
    num_attention_heads: positiveInt(raw, 'num_attention_heads', where),
    num_key_value_heads: positiveInt(raw, 'num_key_value_heads', where),
    head_dim: positiveInt(raw, 'head_dim', where),
    hidden_act: 'silu',
    max_position_embeddings: positiveInt(raw, 'max_position_embeddings', where),
    initializer_range: positiveNumber(raw, 'initializer_range', where),
    rms_norm_eps: positiveNumber(raw, 'rms_norm_eps', where),
    use_cache: boolean(raw, 'use_cache', where),
    tie_word_embeddings: boolean(raw, 'tie_word_embeddings', where),
    rope_theta: ropeTheta(raw, where),
    attention_bias: false,
    attention_dropout: positiveNumber(raw, 'attention_dropout', where),
    extra: {},
  };
  if (cfg.head_dim % 2 !== 0) fail(where, 'head_dim', `must be even for the rotary embedding, got ${cfg.head_dim}`);
  if (cfg.num_attention_heads % cfg.num_key_value_heads !== 0) {
    fail(
      where,
      'num_key_value_heads',
      `(${cfg.num_key_value_heads}) must divide num_attention_heads (${cfg.num_attention_heads})`,
    );
  }
  // A token id past the embedding: generate would pad with a row that does not exist, or never stop on eos.
  const tokenId = (field: string, v: unknown) => {
    if ((v as number) < 0 || (v as number) >= cfg.vocab_size)
      fail(where, field, `must be a token id in [0, ${cfg.vocab_size}) (vocab_size), got ${JSON.stringify(v)}`);
  };
  for (const f of ['bos_token_id', 'pad_token_id'] as const) {
    const v = raw[f];
    if (v !== undefined && v !== null && !Number.isSafeInteger(v))
      fail(where, f, `must be an integer or null, got ${JSON.stringify(v)}`);
    if (v !== undefined && v !== null) tokenId(f, v);
    if (v !== undefined) cfg[f] = v as number | null;
  }
  const eos = raw.eos_token_id;
  if (eos !== undefined) {
    const ok =
      eos === null || Number.isSafeInteger(eos) || (Array.isArray(eos) && eos.every((e) => Number.isSafeInteger(e)));
    if (!ok) fail(where, 'eos_token_id', `must be an integer, a list of integers or null, got ${JSON.stringify(eos)}`);
    if (Array.isArray(eos)) eos.forEach((e, i) => tokenId(`eos_token_id[${i}]`, e));
    else if (eos !== null) tokenId('eos_token_id', eos);
    cfg.eos_token_id = eos as number | number[] | null;
  }
  const dtypeField = raw.torch_dtype !== undefined && raw.torch_dtype !== null ? 'torch_dtype' : 'dtype';
  const dtype = raw[dtypeField];
  if (dtype !== undefined && dtype !== null) {
    // float8 weights (or integer ones) would be read as something else, or not at all: refused here, by name.
    if (typeof dtype !== 'string' || !LOADABLE_TORCH_DTYPES.includes(dtype))
      fail(
        where,
        dtypeField,
        `is ${JSON.stringify(dtype)}; weights of that dtype cannot be loaded here (${LOADABLE_TORCH_DTYPES.join(', ')})`,
      );
    cfg.torch_dtype = dtype;
  }
  for (const [k, v] of Object.entries(raw)) if (!KNOWN.has(k)) cfg.extra[k] = v;
  const defaults = new Map<string, unknown>();
  for (const [k, v] of Object.entries(QWEN3_DEFAULTS)) if (raw[k] === undefined || raw[k] === null) defaults.set(k, v);
  recordConfigDefaults(cfg, where, defaults);
  return cfg;
}

/** A Qwen3 config from partial fields (defaults for the rest), e.g. a tiny test model. */
export function qwen3Config(fields: Partial<Omit<Qwen3Config, 'extra'>> & Record<string, unknown> = {}): Qwen3Config {
  return parseQwen3Config({ model_type: 'qwen3', ...fields }, 'Qwen3 config');
}

/** The config as transformers writes it in `config.json`. */
export function qwen3ConfigToJson(cfg: Qwen3Config, torchDtype?: string): Record<string, unknown> {
  const { extra, ...fields } = cfg;
  const out: Record<string, unknown> = {
    architectures: ['Qwen3ForCausalLM'],
    ...extra,
    ...fields,
    rope_scaling: null,
    use_sliding_window: false,
    sliding_window: null,
    max_window_layers: cfg.num_hidden_layers,
  };
  if (torchDtype) out.torch_dtype = torchDtype;
  return out;
}

/** Token ids that end generation according to the config (eos_token_id, scalar or list). */
/** transformers' generation defaults beside config.json (its `eos_token_id` is what `generate` stops on). */
export const GENERATION_CONFIG_FILE = 'generation_config.json';

/**
 * The tokens `generate` stops on by default: config.json's `eos_token_id` and
 * then those of generation_config.json (`generationConfig`, its parsed JSON)
 * not already among them, as transformers' `generate` and vLLM stop on the
 * generation config's (Qwen3's config.json names `<|im_end|>`, its
 * generation_config.json `<|endoftext|>` too). Ids outside the vocabulary are
 * an error naming `where`.
 */
export function defaultStopTokenIds(cfg: Qwen3Config, generationConfig: unknown, where: string): number[] {
  const ids = eosTokenIds(cfg);
  if (generationConfig === undefined || generationConfig === null) return ids;
  if (typeof generationConfig !== 'object' || Array.isArray(generationConfig))
    throw new Error(`${where}: must be a JSON object`);
  const e = (generationConfig as Record<string, unknown>).eos_token_id;
  if (e === undefined || e === null) return ids;
  const extra = Array.isArray(e) ? e : [e];
  extra.forEach((id, i) => {
    if (!Number.isInteger(id) || (id as number) < 0 || (id as number) >= cfg.vocab_size)
      throw new Error(
        `${where}: eos_token_id${Array.isArray(e) ? `[${i}]` : ''} must be a token id in [0, ${cfg.vocab_size}), got ${JSON.stringify(id)}`,
      );
  });
  for (const id of extra as number[]) if (!ids.includes(id)) ids.push(id);
  return ids;
}

export function eosTokenIds(cfg: Qwen3Config): number[] {
  const e = cfg.eos_token_id;
  if (e === undefined || e === null) return [];
  return Array.isArray(e) ? e : [e];
}
