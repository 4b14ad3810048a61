/**
 * applyLora / loadLora: inject adapters into a Qwen3ForCausalLM's linear
 * layers, switch them on and off, merge, and save/load in PEFT's on-disk
 * format (adapter_config.json + adapter_model.safetensors with keys
 * `base_model.model.<module path>.lora_A.weight` / `.lora_B.weight`).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  firstNonFinite,
  FLOAT_DTYPES,
  isFloatDType,
  SafetensorsFile,
  writeSafetensors,
  type Qwen3ForCausalLM,
} from '@molrl/model';
import { checkOptionNames, optionNames } from '@molrl/hub-cache';
import { writeFileAtomic } from '@molrl/progress';
import { tensor, type Tensor } from '@molrl/tensor';
import {
  DEFAULT_TARGET_MODULES,
  fromPeftConfig,
  loraScaling,
  targetMatcher,
  LORA_CONFIG_FIELDS,
  isAllLinear,
  toPeftConfig,
  validateLoraConfig,
  type LoraConfig,
} from './config.js';
import { describeValue } from './describe.js';
import { LoraLinear, type AdapterState } from './lora-linear.js';

export const ADAPTER_CONFIG_FILE = 'adapter_config.json';
export const ADAPTER_WEIGHTS_FILE = 'adapter_model.safetensors';
/** PEFT prefixes the wrapped model's module paths with this when saving. */
export const PEFT_PREFIX = 'base_model.model.';

export interface LoraOptions extends LoraConfig {
  /** base_model_name_or_path written to adapter_config.json. */
  baseModelName?: string;
}

/** The names of `LoraOptions`, `SaveAdapterOptions` and `LoadAdapterOptions` (the typecheck keeps them complete). */
const LORA_OPTION_NAMES = [...LORA_CONFIG_FIELDS, 'baseModelName'] satisfies (keyof LoraOptions)[];
const SAVE_OPTION_NAMES = optionNames<SaveAdapterOptions>({ inspect: true });
const LOAD_OPTION_NAMES = optionNames<LoadAdapterOptions>({ allowNonFinite: true });

/** An options argument: an object of known keys (hub-cache's rule), each of the right type. */
function checkOptions(options: unknown, known: readonly string[], fn: string): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new TypeError(`${fn}: options must be an object, got ${describeValue(options)}`);
  checkOptionNames(options, known, fn);
  const o = options as Partial<Record<string, unknown>>;
  if (o.allowNonFinite !== undefined && typeof o.allowNonFinite !== 'boolean')
    throw new TypeError(`${fn}: options.allowNonFinite must be true or false, got ${describeValue(o.allowNonFinite)}`);
  if (o.inspect !== undefined && typeof o.inspect !== 'function')
    throw new TypeError(
      `${fn}: options.inspect must be a function (name, values) => void, got ${describeValue(o.inspect)}`,
    );
}

/** A folder or file path argument. */
function checkPath(path: unknown, fn: string, what: string): void {
  if (typeof path !== 'string' || path === '')
    throw new TypeError(`${fn}: ${what} must be a non-empty path string, got ${describeValue(path)}`);
}

export class LoraHandle {
  private readonly state: AdapterState = { enabled: true, merged: false };
  /** Adapters by module path (model.layers.N.self_attn.q_proj, ...). */
  readonly adapters = new Map<string, LoraLinear>();

  constructor(
    readonly model: Qwen3ForCausalLM,
    readonly config: LoraOptions,
  ) {
    if (
      typeof model !== 'object' ||
      model === null ||
      typeof (model as { linearLayers?: unknown }).linearLayers !== 'function'
    )
      throw new TypeError(
        `applyLora: model must be a @molrl/model Qwen3ForCausalLM, got ${model === null ? 'null' : typeof model}`,
      );
    validateLoraConfig(config, 'applyLora: options', LORA_OPTION_NAMES);
    if (config.baseModelName !== undefined && typeof config.baseModelName !== 'string')
      throw new TypeError(`applyLora: options.baseModelName must be a string, got ${typeof config.baseModelName}`);
    const targets = config.targetModules ?? DEFAULT_TARGET_MODULES;
    const matches = targetMatcher(targets, 'applyLora: options');
    const excluded =
      config.excludeModules === undefined ? () => false : targetMatcher(config.excludeModules, 'applyLora: options');
    const linears = model.linearLayers();
    // PEFT would adapt lm_head or embed_tokens when named, and refuses a matched module that is not a
    // linear layer (a norm): a target matching one is an error here, not a silent skip.
    if (!isAllLinear(targets)) {
      const paths = [...model.module.namedModules()].map(([path]) => path).filter((path) => path !== '');
      for (const path of paths) {
        if (linears.has(path) || !matches(path) || excluded(path)) continue;
        throw new Error(
          `applyLora: targetModules ${JSON.stringify(targets)} matches ${path}, which is not a decoder linear layer; ` +
            'LoRA here adapts the q/k/v/o and gate/up/down projections only (not lm_head, embed_tokens or norms)',
        );
      }
      // transformers' module tree has containers this model has no module for (model.layers.0.mlp,
      // model.layers.0.self_attn, ...); PEFT refuses a target that matches one (a Qwen3MLP is not a
      // layer it can adapt), so a config naming one must not silently adapt less than it says.
      const containers = new Set(
        paths.flatMap((path) =>
          path
            .split('.')
            .slice(0, -1)
            .map((_, i, parts) => parts.slice(0, i + 1).join('.')),
        ),
      );
      for (const container of containers) {
        if (linears.has(container) || !matches(container) || excluded(container)) continue;
        const inside = [...linears.keys()]
          .filter((p) => p.startsWith(`${container}.`))
          .map((p) => p.slice(p.lastIndexOf('.') + 1));
        throw new Error(
          `applyLora: targetModules ${JSON.stringify(targets)} matches ${container}, a container module in transformers' ` +
            `Qwen3 (not a linear layer), which PEFT refuses; name its linear layers instead` +
            (inside.length ? ` (${[...new Set(inside)].join(', ')})` : ''),
        );
      }
    }
    const scaling = loraScaling(config);
    const matched = [...linears].filter(([path]) => matches(path));
    const chosen = matched.filter(([path]) => !excluded(path));
    if (chosen.length === 0) {
      throw new Error(
        matched.length > 0
          ? `applyLora: every layer target_modules ${JSON.stringify(targets)} matches is excluded by excludeModules ${JSON.stringify(config.excludeModules)}`
          : noMatch(targets, [...linears.keys()]),
      );
    }
    const taken = chosen.find(([, linear]) => linear.adapter);
    if (taken) throw new Error(`applyLora: ${taken[0]} already has an adapter (remove it first with handle.remove())`);
    for (const [path, linear] of chosen) {
      const adapter = new LoraLinear(
        linear,
        config.r,
        scaling,
        config.dropout ?? 0,
        this.state,
        config.seed ?? 0,
        config.initLoraWeights ?? true,
      );
      linear.adapter = adapter;
      this.adapters.set(path, adapter);
    }
    // As PEFT: the base model is frozen, only adapter parameters train.
    model.requiresGrad(false);
  }

  get enabled(): boolean {
    return this.state.enabled;
  }

  get merged(): boolean {
    return this.state.merged;
  }

  /** Adapters on (the default). */
  enable(): void {
    this.state.enabled = true;
  }

  /** Adapters off: the model is the base model (MoL's base distribution, GRPO's reference). Unmerges first if merged, as PEFT. */
  disable(): void {
    if (this.state.merged) this.unmerge();
    this.state.enabled = false;
  }

  /** Run `fn` with the adapters off, then restore the previous state (PEFT's `with model.disable_adapter():`). */
  async withDisabled<T>(fn: () => T | Promise<T>): Promise<T> {
    const was = this.state.enabled;
    this.disable();
    try {
      return await fn();
    } finally {
      this.state.enabled = was;
    }
  }

  /**
   * Fold scaling * B A into each base weight (faster inference; the adapter path is skipped while merged).
   * Refused while the adapters are disabled: merged weights cannot give the base model (PEFT unmerges
   * again at the next forward pass).
   */
  merge(): void {
    if (!this.state.enabled && !this.state.merged)
      throw new Error(
        'merge(): the adapters are disabled; enable() them first (or mergeAndUnload() to fold them for good)',
      );
    this.mergeWeights();
  }

  private mergeWeights(): void {
    if (this.state.merged) return;
    for (const a of this.adapters.values()) a.merge();
    this.state.merged = true;
  }

  /** Subtract the merged update again. */
  unmerge(): void {
    if (!this.state.merged) return;
    for (const a of this.adapters.values()) a.unmerge();
    this.state.merged = false;
  }

  /** The trainable tensors (lora_A and lora_B of every adapter). */
  parameters(): Tensor[] {
    return [...this.adapters.values()].flatMap((a) => a.parameters());
  }

  /** [PEFT key, tensor] pairs, e.g. ["base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", A]. */
  namedParameters(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [path, a] of this.adapters) {
      out.push([`${PEFT_PREFIX}${path}.lora_A.weight`, a.loraA], [`${PEFT_PREFIX}${path}.lora_B.weight`, a.loraB]);
    }
    return out;
  }

  /**
   * Write adapter_config.json and adapter_model.safetensors (float32) in PEFT's format.
   * `options.inspect` sees each weight's values as they are read for the file (one read
   * per weight); what it throws stops the save before either file is in place.
   */
  async save(dir: string, options: SaveAdapterOptions = {}): Promise<void> {
    checkPath(dir, 'LoraHandle.save', 'dir');
    checkOptions(options, SAVE_OPTION_NAMES, 'LoraHandle.save');
    const { inspect } = options;
    await mkdir(dir, { recursive: true });
    const tensors = this.namedParameters().map(([name, t]) => ({
      name,
      dtype: 'F32' as const,
      shape: [...t.shape],
      data: async () => {
        const values = await t.data();
        inspect?.(name, values);
        return values;
      },
    }));
    await writeSafetensors(join(dir, ADAPTER_WEIGHTS_FILE), tensors, { format: 'pt' });
    const path = join(dir, ADAPTER_CONFIG_FILE);
    const json = toPeftConfig(this.config, this.config.baseModelName ?? null);
    await writeFileAtomic(path, JSON.stringify(json, null, 2) + '\n');
  }

  /**
   * Replace the adapter weights with those in a PEFT adapter_model.safetensors
   * (every key must match, every tensor be floating point and, unless
   * `allowNonFinite`, hold no NaN or infinity).
   */
  async loadWeights(path: string, options: LoadAdapterOptions = {}): Promise<void> {
    checkPath(path, 'LoraHandle.loadWeights', 'path');
    checkOptions(options, LOAD_OPTION_NAMES, 'LoraHandle.loadWeights');
    // The base weights hold the current adapter's product: new A and B would leave it
    // there (and unmerge() would subtract the wrong one).
    if (this.state.merged)
      throw new Error(`loadWeights(${path}): the adapter is merged into the base weights; unmerge() first`);
    const f = await SafetensorsFile.open(path);
    try {
      const expected = new Map(this.namedParameters());
      // Keys saved with the adapter name still in them (`lora_A.default.weight`) are accepted too, once.
      const fileKey = new Map<string, string>();
      for (const n of f.names()) {
        const key = n.replace(/\.(lora_[AB])\.default\.weight$/, '.$1.weight');
        const other = fileKey.get(key);
        if (other !== undefined)
          throw new Error(`${path}: '${other}' and '${n}' are the same adapter weight; keep one`);
        fileKey.set(key, n);
      }
      const unexpected = [...fileKey.keys()].filter((n) => !expected.has(n));
      if (unexpected.length) {
        throw new Error(
          `${path}: ${unexpected.length} key(s) match no adapter of this model: ${unexpected.slice(0, 5).join(', ')}`,
        );
      }
      const missing = [...expected.keys()].filter((n) => !fileKey.has(n));
      if (missing.length)
        throw new Error(`${path}: missing ${missing.length} key(s): ${missing.slice(0, 5).join(', ')}`);
      // Every shape and dtype (the header) before any weight is replaced: a file refused for
      // its tenth tensor must not leave the first nine loaded.
      for (const [name, t] of expected) {
        const e = f.entry(fileKey.get(name)!);
        if (e.shape.length !== t.shape.length || e.shape.some((d, i) => d !== t.shape[i])) {
          throw new Error(
            `${path}: '${name}' has shape [${e.shape.join(', ')}], the adapter needs [${t.shape.join(', ')}]`,
          );
        }
        if (!isFloatDType(e.dtype))
          throw new Error(
            `${path}: '${name}' is ${e.dtype}; an adapter weight is floating point (${FLOAT_DTYPES.join(', ')})`,
          );
      }
      for (const [name, t] of expected) {
        const e = f.entry(fileKey.get(name)!);
        const data = await f.readFloat32(e.name);
        const bad = options.allowNonFinite ? -1 : firstNonFinite(data);
        if (bad >= 0)
          throw new Error(
            `${path}: '${name}' holds ${data[bad]} at element ${bad}; adapter weights must be finite (allowNonFinite: true loads them anyway)`,
          );
        const value = tensor(data, e.shape);
        t.assign(value);
        value.dispose();
      }
    } finally {
      await f.close();
    }
  }

  /**
   * Fold the adapters into the base weights for good and take them out
   * (PEFT's merge_and_unload): the model is a plain model again, e.g. for
   * savePretrained and an inference server.
   */
  mergeAndUnload(): Qwen3ForCausalLM {
    this.mergeWeights();
    this.state.merged = false;
    this.detach();
    return this.model;
  }

  /** Take the adapters out of the model (unmerging first) and release their tensors. */
  remove(): void {
    this.unmerge();
    this.detach();
  }

  private detach(): void {
    for (const a of this.adapters.values()) {
      a.base.adapter = null;
      for (const t of a.parameters()) t.dispose();
    }
    this.adapters.clear();
  }
}

/** Add LoRA adapters to the model's target linear layers; the base weights are frozen. */
export function applyLora(model: Qwen3ForCausalLM, options: LoraOptions): LoraHandle {
  return new LoraHandle(model, options);
}

export interface SaveAdapterOptions {
  /**
   * Called with each adapter weight's PEFT key and values as the weights file is written
   * (e.g. to refuse non-finite weights without reading them twice from a device).
   */
  inspect?: (name: string, values: Float32Array) => void;
}

/** Load a PEFT LoRA adapter folder (adapter_config.json + adapter_model.safetensors) onto the model. */
export interface LoadAdapterOptions {
  /** Load adapter weights holding NaN or infinite values (default false: refused with the tensor named). */
  allowNonFinite?: boolean;
}

export async function loadLora(
  model: Qwen3ForCausalLM,
  dir: string,
  options: LoadAdapterOptions = {},
): Promise<LoraHandle> {
  if (typeof dir !== 'string' || dir === '')
    throw new TypeError(`loadLora: dir must be the path of an adapter folder, got ${typeof dir}`);
  checkOptions(options, LOAD_OPTION_NAMES, 'loadLora');
  const configPath = join(dir, ADAPTER_CONFIG_FILE);
  const weightsPath = join(dir, ADAPTER_WEIGHTS_FILE);
  if (!existsSync(configPath)) throw new Error(`${dir}: no ${ADAPTER_CONFIG_FILE}`);
  if (!existsSync(weightsPath)) {
    const bin = existsSync(join(dir, 'adapter_model.bin'))
      ? ' (adapter_model.bin is a pickle: convert it to safetensors first)'
      : '';
    throw new Error(`${dir}: no ${ADAPTER_WEIGHTS_FILE}${bin}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(await readFile(configPath, 'utf8'));
  } catch (err) {
    throw new Error(`${configPath}: ${(err as Error).message}`, { cause: err });
  }
  const config = fromPeftConfig(json, configPath);
  // Before any layer is adapted (an absurd r would be allocated first): the weights have the config's rank.
  const entries = await adapterEntries(weightsPath);
  checkRanks(entries, weightsPath, configPath, config.r);
  const base = (json as { base_model_name_or_path?: unknown }).base_model_name_or_path;
  let handle: LoraHandle;
  try {
    handle = applyLora(model, { ...config, baseModelName: typeof base === 'string' ? base : undefined });
  } catch (err) {
    // What the file asks for does not fit this model (target_modules matching nothing, say): name the file.
    throw new Error(`${configPath}: ${(err as Error).message}`, { cause: err });
  }
  try {
    // After applyLora, whose error for target_modules that match no layer of this model comes first.
    checkTargets(entries, weightsPath, configPath, config);
    await handle.loadWeights(weightsPath, options);
  } catch (err) {
    handle.remove();
    throw err;
  }
  return handle;
}

/** A PEFT adapter weight's key: the module path and which matrix (the adapter name may still be in it). */
const ADAPTER_KEY = /^base_model\.model\.(.+)\.lora_([AB])(?:\.default)?\.weight$/;

/** The adapter weights of a PEFT weights file, from its header: key, module path, matrix, shape. */
async function adapterEntries(
  weightsPath: string,
): Promise<{ name: string; path: string; which: 'A' | 'B'; shape: readonly number[] }[]> {
  const f = await SafetensorsFile.open(weightsPath);
  try {
    // Keys that are not adapter weights are left to `loadWeights`, which names them.
    return f.names().flatMap((name) => {
      const key = ADAPTER_KEY.exec(name);
      return key ? [{ name, path: key[1]!, which: key[2] as 'A' | 'B', shape: [...f.entry(name).shape] }] : [];
    });
  } finally {
    await f.close();
  }
}

/**
 * Every lora_A [r, in] and lora_B [out, r] of a weights file has adapter_config.json's r
 * (checked before any layer is adapted). Another rank is two files from different adapters
 * (or a hand-edited config); both are named.
 */
function checkRanks(
  entries: Awaited<ReturnType<typeof adapterEntries>>,
  weightsPath: string,
  configPath: string,
  r: number,
): void {
  for (const { name, which, shape } of entries) {
    const layout = which === 'A' ? '[r, in_features]' : '[out_features, r]';
    if (shape.length !== 2)
      throw new Error(`${weightsPath}: '${name}' has shape [${shape.join(', ')}]; a lora_${which} weight is ${layout}`);
    const rank = shape[which === 'A' ? 0 : 1];
    if (rank !== r)
      throw new Error(
        `${weightsPath}: '${name}' has shape [${shape.join(', ')}] (${layout}: rank ${rank}), but ${configPath} has "r": ${r}; ` +
          'the weights and the config are not from one adapter',
      );
  }
}

/**
 * Every adapter weight of a weights file is on a layer adapter_config.json's target_modules
 * select and its exclude_modules do not leave out; one that is not names the layer and the field.
 */
function checkTargets(
  entries: Awaited<ReturnType<typeof adapterEntries>>,
  weightsPath: string,
  configPath: string,
  config: LoraConfig,
): void {
  const targets = config.targetModules ?? DEFAULT_TARGET_MODULES;
  const matches = targetMatcher(targets, configPath);
  const excluded = config.excludeModules === undefined ? () => false : targetMatcher(config.excludeModules, configPath);
  for (const { name, path } of entries) {
    if (matches(path) && !excluded(path)) continue;
    throw new Error(
      `${weightsPath}: '${name}' adapts ${path}, which ${configPath} ` +
        (matches(path)
          ? `leaves out ("exclude_modules": ${JSON.stringify(config.excludeModules)})`
          : `does not select ("target_modules": ${JSON.stringify(targets)})`) +
        '; the weights and the config are not from one adapter',
    );
  }
}

/**
 * The error for target modules that match no layer: the layers' names, and for a string
 * (a regular expression the whole path must match, as PEFT's re.fullmatch) that is a bare
 * layer name, the pattern that would have matched it.
 */
function noMatch(targets: string[] | string, paths: string[]): string {
  const names = [...new Set(paths.map((p) => p.slice(p.lastIndexOf('.') + 1)))];
  let hint = '';
  if (typeof targets === 'string')
    hint =
      "; a string is a regular expression the whole module path must match (PEFT's re.fullmatch)" +
      (/^\w+$/.test(targets) ? `: ${JSON.stringify(`.*\\.${targets}`)}, or the list ${JSON.stringify([targets])}` : '');
  return (
    `applyLora: target_modules ${JSON.stringify(targets)} match no linear layer (e.g. ${paths[0]}); ` +
    `the layers are named ${names.join(', ')}${hint}`
  );
}
