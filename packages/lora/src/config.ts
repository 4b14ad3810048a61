/**
 * LoRA settings and PEFT's `adapter_config.json`: the fields PEFT writes,
 * and the ones this implementation cannot honour rejected by name.
 */

export interface LoraConfig {
  /** Rank of the update B A. */
  r: number;
  /** Scaling numerator: the update is scaled by alpha / r (alpha / sqrt(r) with rsLoRA). */
  alpha: number;
  /** Dropout on the adapter's input during training (PEFT's lora_dropout). Default 0. */
  dropout?: number;
  /**
   * Which linear layers get an adapter, PEFT's way: a list of names (a layer
   * matches when its path equals a name or ends with "." + name), a regular
   * expression string that must match the whole path, or "all-linear".
   * Default: all of q/k/v/o/gate/up/down_proj, as the paper.
   */
  targetModules?: string[] | string;
  /** rsLoRA: scale by alpha / sqrt(r). Default false. */
  useRslora?: boolean;
  /** Seed of A's Kaiming-uniform initialisation and of dropout masks. Default 0. */
  seed?: number;
}

export const DEFAULT_TARGET_MODULES = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];

export function loraScaling(c: Pick<LoraConfig, 'r' | 'alpha' | 'useRslora'>): number {
  return c.useRslora ? c.alpha / Math.sqrt(c.r) : c.alpha / c.r;
}

export function validateLoraConfig(c: LoraConfig, where = 'LoRA config'): void {
  if (!Number.isInteger(c.r) || c.r <= 0) throw new Error(`${where}: r must be a positive integer, got ${c.r}`);
  if (typeof c.alpha !== 'number' || !Number.isFinite(c.alpha))
    throw new Error(`${where}: alpha must be a finite number, got ${c.alpha}`);
  const p = c.dropout ?? 0;
  if (!(p >= 0 && p < 1)) throw new Error(`${where}: dropout must be in [0, 1), got ${p}`);
}

/** PEFT's matching of a module path against target_modules. */
export function matchesTarget(path: string, target: string[] | string): boolean {
  if (Array.isArray(target)) return target.some((t) => path === t || path.endsWith(`.${t}`));
  if (target === 'all-linear') return true;
  return new RegExp(`^(?:${target})$`).test(path);
}

/** `adapter_config.json` as PEFT writes it for a LoRA adapter on a causal LM. */
export function toPeftConfig(c: LoraConfig, baseModel: string | null): Record<string, unknown> {
  const targets = c.targetModules ?? DEFAULT_TARGET_MODULES;
  return {
    alpha_pattern: {},
    auto_mapping: null,
    base_model_name_or_path: baseModel,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    layer_replication: null,
    layers_pattern: null,
    layers_to_transform: null,
    loftq_config: {},
    lora_alpha: c.alpha,
    lora_dropout: c.dropout ?? 0,
    megatron_config: null,
    megatron_core: 'megatron.core',
    modules_to_save: null,
    peft_type: 'LORA',
    r: c.r,
    rank_pattern: {},
    revision: null,
    target_modules: Array.isArray(targets) ? [...targets].sort() : targets,
    task_type: 'CAUSAL_LM',
    use_dora: false,
    use_rslora: c.useRslora ?? false,
  };
}

const isEmpty = (v: unknown) =>
  v === undefined || v === null || v === false || (typeof v === 'object' && Object.keys(v as object).length === 0);

/** Parse a PEFT `adapter_config.json` object into a LoraConfig; `where` names the file in errors. */
export function fromPeftConfig(json: unknown, where = 'adapter_config.json'): LoraConfig {
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new Error(`${where}: must be a JSON object`);
  const j = json as Record<string, unknown>;
  const field = (name: string, message: string): never => {
    throw new Error(`${where}: field "${name}" ${message}`);
  };
  if (j.peft_type !== undefined && j.peft_type !== 'LORA')
    field('peft_type', `is ${JSON.stringify(j.peft_type)}; only "LORA" is supported`);
  // PEFT's LoraConfig defaults: r = 8, lora_alpha = 8, lora_dropout = 0.
  const r = j.r ?? 8;
  if (!Number.isInteger(r) || (r as number) <= 0) field('r', `must be a positive integer, got ${JSON.stringify(j.r)}`);
  const alpha = j.lora_alpha ?? 8;
  if (typeof alpha !== 'number') field('lora_alpha', `must be a number, got ${JSON.stringify(alpha)}`);
  if (j.bias !== undefined && j.bias !== 'none')
    field('bias', `is ${JSON.stringify(j.bias)}; only "none" is supported`);
  if (j.use_dora === true) field('use_dora', 'is true; DoRA is not supported');
  if (j.fan_in_fan_out === true) field('fan_in_fan_out', 'is true; Qwen3 linear layers are not Conv1D');
  for (const f of ['rank_pattern', 'alpha_pattern', 'layers_to_transform', 'layer_replication', 'modules_to_save']) {
    if (!isEmpty(j[f])) field(f, `is ${JSON.stringify(j[f])}; per-layer patterns and extra modules are not supported`);
  }
  const targets = j.target_modules;
  if (!(typeof targets === 'string' || (Array.isArray(targets) && targets.every((t) => typeof t === 'string')))) {
    field('target_modules', `must be a string or a list of strings, got ${JSON.stringify(targets)}`);
  }
  const dropout = j.lora_dropout ?? 0;
  if (typeof dropout !== 'number') field('lora_dropout', `must be a number, got ${JSON.stringify(dropout)}`);
  return {
    r: r as number,
    alpha: alpha as number,
    dropout: dropout as number,
    targetModules: targets as string[] | string,
    useRslora: j.use_rslora === true,
  };
}
