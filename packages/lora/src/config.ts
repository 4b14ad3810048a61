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

const describeValue = (v: unknown): string =>
  v === null
    ? 'null'
    : Array.isArray(v)
      ? 'an array'
      : typeof v === 'string'
        ? `string ${JSON.stringify(v)}`
        : typeof v === 'number' || typeof v === 'boolean'
          ? `${typeof v} ${String(v)}`
          : typeof v;

/** The target pattern as a RegExp matching whole paths; a pattern that is not a regular expression is named. */
function targetRegExp(pattern: string, where: string): RegExp {
  try {
    return new RegExp(`^(?:${pattern})$`);
  } catch (err) {
    throw new Error(
      `${where}: targetModules ${JSON.stringify(pattern)} is not a valid regular expression (${(err as Error).message})`,
      { cause: err },
    );
  }
}

/** Check every field (types first: "8" is not a rank, "0.1" not a dropout); errors name the field and the value. */
export function validateLoraConfig(c: LoraConfig, where = 'LoRA config'): void {
  if (typeof c !== 'object' || c === null || Array.isArray(c))
    throw new TypeError(
      `${where}: expected an object with r and alpha (e.g. { r: 64, alpha: 128 }), got ${describeValue(c)}`,
    );
  const bad = (field: string, what: string, v: unknown): never => {
    throw new TypeError(`${where}: ${field} must be ${what}, got ${describeValue(v)}`);
  };
  if (typeof c.r !== 'number' || !Number.isInteger(c.r) || c.r <= 0) bad('r', 'a positive integer', c.r);
  if (typeof c.alpha !== 'number' || !Number.isFinite(c.alpha)) bad('alpha', 'a finite number', c.alpha);
  if (c.dropout !== undefined && !(typeof c.dropout === 'number' && c.dropout >= 0 && c.dropout < 1))
    bad('dropout', 'a number in [0, 1)', c.dropout);
  if (c.useRslora !== undefined && typeof c.useRslora !== 'boolean') bad('useRslora', 'a boolean', c.useRslora);
  if (c.seed !== undefined && !(typeof c.seed === 'number' && Number.isSafeInteger(c.seed)))
    bad('seed', 'a safe integer', c.seed);
  const t = c.targetModules;
  if (t === undefined) return;
  if (Array.isArray(t)) {
    if (t.length === 0) bad('targetModules', 'a non-empty list of module names', t);
    t.forEach((name, i) => {
      if (typeof name !== 'string' || name === '') bad(`targetModules[${i}]`, 'a non-empty string', name);
    });
  } else if (typeof t === 'string') {
    if (t === '') bad('targetModules', 'a list of names, a regular expression or "all-linear"', t);
    if (t !== 'all-linear') targetRegExp(t, where);
  } else bad('targetModules', 'a list of names, a regular expression or "all-linear"', t);
}

/** PEFT's matching of module paths against target_modules, the pattern compiled once. */
export function targetMatcher(target: string[] | string, where = 'LoRA config'): (path: string) => boolean {
  if (Array.isArray(target)) return (path) => target.some((t) => path === t || path.endsWith(`.${t}`));
  if (target === 'all-linear') return () => true;
  const re = targetRegExp(target, where);
  return (path) => re.test(path);
}

/** PEFT's matching of a module path against target_modules. */
export function matchesTarget(path: string, target: string[] | string): boolean {
  return targetMatcher(target)(path);
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
  if (typeof alpha !== 'number' || !Number.isFinite(alpha))
    field('lora_alpha', `must be a finite number, got ${JSON.stringify(alpha)}`);
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
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1))
    field('lora_dropout', `must be a number in [0, 1), got ${JSON.stringify(dropout)}`);
  if (typeof targets === 'string' && targets !== 'all-linear')
    targetRegExp(targets, `${where}: field "target_modules"`);
  return {
    r: r as number,
    alpha: alpha as number,
    dropout: dropout as number,
    targetModules: targets as string[] | string,
    useRslora: j.use_rslora === true,
  };
}
