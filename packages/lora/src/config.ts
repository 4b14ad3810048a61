/**
 * LoRA settings and PEFT's `adapter_config.json`: the fields PEFT writes,
 * and the ones this implementation cannot honour rejected by name.
 */
import { checkOptionNames } from '@molrl/hub-cache';
import { describeValue } from './describe.js';

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
  /**
   * Layers left out even when targetModules matches them (PEFT's exclude_modules): a list
   * of names (matched as targetModules' list) or a regular expression matching the whole path.
   */
  excludeModules?: string[] | string;
  /**
   * PEFT's init_lora_weights: true (default) A Kaiming-uniform, B zero; 'gaussian' A normal
   * with std 1 / r, B zero; false A and B both Kaiming-uniform (not a no-op; for tests).
   */
  initLoraWeights?: boolean | 'gaussian';
}

export const DEFAULT_TARGET_MODULES = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];

/**
 * What PEFT adapts on a Qwen3 (or Qwen2, Llama) model when a config has no target_modules
 * (peft/utils/constants.py, TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING["qwen3"]);
 * fromPeftConfig uses it for an adapter_config.json without target_modules.
 */
export const PEFT_DEFAULT_TARGET_MODULES = ['q_proj', 'v_proj'];

export function loraScaling(c: Pick<LoraConfig, 'r' | 'alpha' | 'useRslora'>): number {
  return c.useRslora ? c.alpha / Math.sqrt(c.r) : c.alpha / c.r;
}

/** The target pattern as a RegExp matching whole paths; a pattern that is not a regular expression is named. */
function targetRegExp(pattern: string, where: string, field = 'targetModules'): RegExp {
  // PEFT's patterns are Python's: \A and \Z (start, end) would be the letters A and Z here.
  const source = pattern.replace(/(?<!\\)((?:\\\\)*)\\([AZ])/g, (_m, escapes: string, anchor: string) =>
    anchor === 'A' ? `${escapes}^` : `${escapes}$`,
  );
  try {
    return new RegExp(`^(?:${source})$`);
  } catch (err) {
    throw new Error(
      `${where}: ${field} ${JSON.stringify(pattern)} is not a valid regular expression (${(err as Error).message})`,
      { cause: err },
    );
  }
}

/** The fields of a `LoraConfig`: any other is refused (a misspelt `dropout` must not train without dropout). */
export const LORA_CONFIG_FIELDS = Object.keys({
  r: true,
  alpha: true,
  dropout: true,
  targetModules: true,
  useRslora: true,
  seed: true,
  excludeModules: true,
  initLoraWeights: true,
} satisfies Record<keyof LoraConfig, true>) as readonly (keyof LoraConfig)[]; // every field, or it does not compile

/**
 * Check every field (types first: "8" is not a rank, "0.1" not a dropout); errors name the field and the value.
 * A field that is not a `LoraConfig` field (nor one of `alsoKnown`) is an error naming the field it most
 * likely meant and listing the known ones (hub-cache's `checkOptionNames`), as PEFT's `LoraConfig` refuses
 * an unexpected keyword.
 */
export function validateLoraConfig(c: LoraConfig, where = 'LoRA config', alsoKnown: readonly string[] = []): void {
  if (typeof c !== 'object' || c === null || Array.isArray(c))
    throw new TypeError(
      `${where}: expected an object with r and alpha (e.g. { r: 64, alpha: 128 }), got ${describeValue(c)}`,
    );
  // The shared rule of every package's options: the key, the name it most likely meant, the known ones.
  checkOptionNames(c, [...new Set([...LORA_CONFIG_FIELDS, ...alsoKnown])], where);
  const bad = (field: string, what: string, v: unknown): never => {
    throw new TypeError(`${where}: ${field} must be ${what}, got ${describeValue(v)}`);
  };
  if (typeof c.r !== 'number' || !Number.isInteger(c.r) || c.r <= 0) bad('r', 'a positive integer', c.r);
  if (typeof c.alpha !== 'number' || !Number.isFinite(c.alpha) || c.alpha <= 0)
    bad('alpha', 'a finite number > 0 (the update is scaled by alpha / r)', c.alpha);
  if (c.dropout !== undefined && !(typeof c.dropout === 'number' && c.dropout >= 0 && c.dropout < 1))
    bad('dropout', 'a number in [0, 1)', c.dropout);
  if (c.useRslora !== undefined && typeof c.useRslora !== 'boolean') bad('useRslora', 'a boolean', c.useRslora);
  if (c.seed !== undefined && !(typeof c.seed === 'number' && Number.isSafeInteger(c.seed)))
    bad('seed', 'a safe integer', c.seed);
  if (c.initLoraWeights !== undefined && c.initLoraWeights !== 'gaussian' && typeof c.initLoraWeights !== 'boolean')
    bad('initLoraWeights', 'true, false or "gaussian"', c.initLoraWeights);
  const modules = (field: 'targetModules' | 'excludeModules', t: unknown) => {
    if (t === undefined) return;
    const what =
      field === 'targetModules'
        ? 'a list of names, a regular expression or "all-linear"'
        : 'a list of names or a regular expression';
    if (Array.isArray(t)) {
      if (t.length === 0) bad(field, 'a non-empty list of module names', t);
      t.forEach((name, i) => {
        if (typeof name !== 'string' || name === '') bad(`${field}[${i}]`, 'a non-empty string', name);
      });
    } else if (typeof t === 'string') {
      if (t === '' || (field === 'excludeModules' && isAllLinear(t))) bad(field, what, t);
      if (!isAllLinear(t)) targetRegExp(t, where, field);
    } else bad(field, what, t);
  };
  modules('targetModules', c.targetModules);
  modules('excludeModules', c.excludeModules);
}

/** PEFT's shorthand for every linear layer but the output layer, in any case (PEFT lowers it). */
export function isAllLinear(target: unknown): boolean {
  return typeof target === 'string' && target.toLowerCase() === 'all-linear';
}

/** PEFT's matching of module paths against target_modules, the pattern compiled once. */
export function targetMatcher(target: string[] | string, where = 'LoRA config'): (path: string) => boolean {
  if (Array.isArray(target)) return (path) => target.some((t) => path === t || path.endsWith(`.${t}`));
  if (isAllLinear(target)) return () => true;
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
    ...(c.excludeModules === undefined
      ? {}
      : { exclude_modules: Array.isArray(c.excludeModules) ? [...c.excludeModules].sort() : c.excludeModules }),
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: c.initLoraWeights ?? true,
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

/** init_lora_weights values whose initialisation rewrites the base weights (PEFT's LoraLayer.update_layer). */
const BASE_REWRITING_INITS = ['pissa', 'olora', 'corda', 'loftq', 'lora_ga'];
/** init_lora_weights values that only decide the first A and B: the file's weights replace them. */
const WEIGHT_ONLY_INITS = ['gaussian', 'eva', 'orthogonal', 'mica'];
/** PEFT features that change what a LoRA layer computes or which weights it has; refused when set. */
const UNSUPPORTED_WHEN_SET: [string, string][] = [
  ['rank_pattern', 'per-module ranks are not supported'],
  ['alpha_pattern', 'per-module alphas are not supported'],
  ['layers_to_transform', 'per-layer selection is not supported'],
  ['layer_replication', 'layer replication is not supported'],
  ['modules_to_save', 'extra trained modules are not supported'],
  ['trainable_token_indices', 'trainable tokens are not supported'],
  ['target_parameters', 'LoRA on parameters (MoE experts) is not supported'],
  ['alora_invocation_tokens', 'Activated LoRA (aLoRA) is not supported'],
  ['lora_bias', 'a bias on lora_B is not supported'],
  ['use_qalora', 'QALoRA is not supported'],
  ['use_bdlora', 'BD-LoRA is not supported'],
  ['velora_config', 'VeLoRA is not supported'],
  ['arrow_config', 'Arrow routing is not supported'],
  ['kasa_config', 'KaSA is not supported'],
  ['monteclora_config', 'MonteCLoRA is not supported'],
];

/**
 * The other fields of PEFT's LoraConfig that leave a LoRA layer's computation alone
 * (bookkeeping, initialisation recipes the saved weights replace, runtime options);
 * any field neither here nor read above is unknown (a newer PEFT's) and warned about.
 */
const IGNORED_PEFT_FIELDS = [
  'auto_mapping',
  'base_model_name_or_path',
  'revision',
  'task_type',
  'inference_mode',
  'peft_version',
  'layers_pattern',
  'megatron_config',
  'megatron_core',
  'loftq_config',
  'eva_config',
  'corda_config',
  'lora_ga_config',
  'runtime_config',
  'qalora_group_size',
  'ensure_weight_tying',
];
const READ_PEFT_FIELDS = [
  'peft_type',
  'r',
  'lora_alpha',
  'lora_dropout',
  'bias',
  'use_dora',
  'fan_in_fan_out',
  'use_rslora',
  'init_lora_weights',
  'target_modules',
  'exclude_modules',
];
const KNOWN_PEFT_FIELDS: ReadonlySet<string> = new Set([
  ...READ_PEFT_FIELDS,
  ...IGNORED_PEFT_FIELDS,
  ...UNSUPPORTED_WHEN_SET.map(([name]) => name),
]);

/**
 * Parse a PEFT `adapter_config.json` object into a LoraConfig; `where` names the file in errors.
 * Defaults are PEFT's LoraConfig defaults (r 8, lora_alpha 8, lora_dropout 0, target_modules
 * q_proj/v_proj for Qwen3); peft_type is required, as PEFT requires it. Fields PEFT's LoraConfig
 * does not have are ignored with a process warning (code MOLRL_PEFT_UNKNOWN_FIELDS), as PEFT
 * ignores and warns about them: they may be a newer PEFT's.
 */
export function fromPeftConfig(json: unknown, where = 'adapter_config.json'): LoraConfig {
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new Error(`${where}: must be a JSON object`);
  const j = json as Record<string, unknown>;
  const field = (name: string, message: string): never => {
    throw new Error(`${where}: field "${name}" ${message}`);
  };
  // PeftConfigMixin.from_pretrained refuses a config without peft_type (MIN_EXPECTED_CONFIG_KEYS).
  if (j.peft_type === undefined) field('peft_type', 'is missing; a PEFT LoRA adapter has "peft_type": "LORA"');
  if (j.peft_type !== 'LORA') field('peft_type', `is ${JSON.stringify(j.peft_type)}; only "LORA" is supported`);
  // PEFT's LoraConfig defaults: r = 8, lora_alpha = 8, lora_dropout = 0.
  const r = j.r ?? 8;
  if (!Number.isInteger(r) || (r as number) <= 0) field('r', `must be a positive integer, got ${JSON.stringify(j.r)}`);
  const alpha = j.lora_alpha ?? 8;
  if (typeof alpha !== 'number' || !Number.isFinite(alpha) || alpha <= 0)
    field('lora_alpha', `must be a finite number > 0, got ${JSON.stringify(alpha)}`);
  if (j.bias !== undefined && j.bias !== null && j.bias !== 'none')
    field('bias', `is ${JSON.stringify(j.bias)}; only "none" is supported`);
  for (const f of ['use_dora', 'fan_in_fan_out'])
    if (j[f] !== undefined && j[f] !== null && typeof j[f] !== 'boolean')
      field(f, `must be true or false, got ${JSON.stringify(j[f])}`);
  if (j.use_dora === true) field('use_dora', 'is true; DoRA is not supported');
  if (j.fan_in_fan_out === true) field('fan_in_fan_out', 'is true; Qwen3 linear layers are not Conv1D');
  // An empty list selects no layer in PEFT (it raises), not every layer.
  if (Array.isArray(j.layers_to_transform) && j.layers_to_transform.length === 0)
    field('layers_to_transform', 'is []: it selects no layer (PEFT refuses it too)');
  for (const [f, why] of UNSUPPORTED_WHEN_SET) {
    if (!isEmpty(j[f])) field(f, `is ${JSON.stringify(j[f])}; ${why}`);
  }
  if (j.use_rslora !== undefined && j.use_rslora !== null && typeof j.use_rslora !== 'boolean')
    field('use_rslora', `must be true or false, got ${JSON.stringify(j.use_rslora)}`);
  const init = j.init_lora_weights ?? true;
  if (typeof init === 'string' && BASE_REWRITING_INITS.some((p) => init.toLowerCase().startsWith(p)))
    field(
      'init_lora_weights',
      `is ${JSON.stringify(init)}: this adapter was trained on base weights its initialisation rewrote; ` +
        'convert it to a plain LoRA adapter first (PEFT: save_pretrained(..., path_initial_model_for_weight_conversion=...))',
    );
  if (typeof init !== 'boolean' && !(typeof init === 'string' && WEIGHT_ONLY_INITS.includes(init.toLowerCase())))
    field('init_lora_weights', `is ${JSON.stringify(init)}; not an initialisation PEFT's LoRA knows`);
  const names = (f: string, v: unknown) => {
    if (!(typeof v === 'string' || (Array.isArray(v) && v.length > 0 && v.every((t) => typeof t === 'string'))))
      field(f, `must be a string or a non-empty list of strings, got ${JSON.stringify(v)}`);
    if (typeof v === 'string' && (f === 'exclude_modules' || !isAllLinear(v)))
      targetRegExp(v, `${where}: field "${f}"`, f === 'target_modules' ? 'targetModules' : 'excludeModules');
    return v as string[] | string;
  };
  // No target_modules: PEFT takes its per-architecture default (_prepare_adapter_config).
  const targets =
    j.target_modules === undefined || j.target_modules === null
      ? PEFT_DEFAULT_TARGET_MODULES
      : names('target_modules', j.target_modules);
  const exclude = isEmpty(j.exclude_modules) ? undefined : names('exclude_modules', j.exclude_modules);
  // loadLora writes it back as the adapter's base model: a number or an object is damage, not "none".
  const base = j.base_model_name_or_path;
  if (base !== undefined && base !== null && typeof base !== 'string')
    field('base_model_name_or_path', `must be a string or null, got ${JSON.stringify(base)}`);
  const dropout = j.lora_dropout ?? 0;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1))
    field('lora_dropout', `must be a number in [0, 1), got ${JSON.stringify(dropout)}`);
  const unknown = Object.keys(j).filter((key) => !KNOWN_PEFT_FIELDS.has(key));
  if (unknown.length)
    process.emitWarning(
      `${where}: unknown ${unknown.length > 1 ? 'fields' : 'field'} ${unknown.map((f) => JSON.stringify(f)).join(', ')} ignored: not a PEFT LoraConfig field this version knows (a newer PEFT's? if it changes what the adapter computes, the outputs will differ from PEFT's)`,
      { code: 'MOLRL_PEFT_UNKNOWN_FIELDS' },
    );
  return {
    r: r as number,
    alpha: alpha as number,
    dropout: dropout as number,
    targetModules: targets,
    useRslora: j.use_rslora === true,
    ...(exclude === undefined ? {} : { excludeModules: exclude }),
    ...(init === false || init === 'gaussian' ? { initLoraWeights: init } : {}),
  };
}
