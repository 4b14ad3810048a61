/**
 * The pipeline's configuration: one nested object (model, data, lora, mol,
 * grpo, eval), defaults sized so `molrl run` finishes in minutes on a 2-core
 * CPU. A file's fields and `--section.field=value` flags override the
 * defaults; every field is checked and an error names it (and the file).
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { didYouMean } from '@molrl/train';
import { backendProblem } from './backend.js';
import { ConfigError, UsageError } from './config-error.js';
import { readJsonFile } from './json-file.js';

export const DEFAULT_MODEL_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'default-model');

export interface PipelineConfig {
  /** A local model folder (config.json + safetensors + tokenizer.json) or a Hub repo id. Default: the embedded model. */
  model: string;
  /** Seed of data, adapter init, data order and sampling. */
  seed: number;
  /** Compute backend of the model phases: 'cpu', 'webgpu', 'gpujs' or 'gpujs:<mode>' (see backend.ts). */
  backend: string;
  data: {
    /** Agent traces generated (actions run in the sandbox) for MoL training. */
    traces: number;
    /** Of those, held out for MoL validation. */
    validation: number;
    /** Decisions per trace at most. */
    maxSteps: number;
    /** Trace tokens kept (longer traces are cut at the end). */
    maxTokens: number;
    /** One-step tasks for GRPO prompts. */
    grpoTasks: number;
    /** Held-out one-step tasks (CodeAgent-Test style) for evaluation. */
    evalTasks: number;
    /**
     * Which held-out tasks the evaluation draws: 'test' (the evaluation set) or
     * 'validation' (a disjoint set for choosing hyperparameters). Both are
     * fixed, the same for every seed, so seeds pair up task by task.
     */
    evalSet: 'test' | 'validation';
    /**
     * How often each depot kind comes up in the traces' kind rotation for one
     * turn of each classic kind (0: classic traces only). GRPO and evaluation
     * draw every kind equally.
     */
    depotWeight: number;
    /** MATH-500 problems evaluated (0 = none). */
    mathProblems: number;
    /** Held-out pretraining-distribution documents of the general-ability probe (0 = no probe). */
    probeDocuments: number;
  };
  lora: { r: number; alpha: number; dropout: number };
  mol: {
    mode: 'mol' | 'ce' | 'ce_nokl';
    eetb: boolean;
    /**
     * How a micro-batch's rows make the loss (`@molrl/mol-loss`): 'separate' (mean CE +
     * klWeight x mean KL), 'token' (the paper's per-token sum, as one mean) or 'sequence'.
     */
    normalization: 'separate' | 'token' | 'sequence';
    klWeight: number;
    learningRate: number;
    maxSteps: number;
    microBatchSize: number;
    globalBatchSize: number;
    saveSteps: number;
    evalSteps: number;
  };
  grpo: {
    lossType: 'grpo' | 'dr_grpo' | 'bnpo' | 'dapo';
    reward: 'multi-stage' | 'binary';
    numGenerations: number;
    globalBatchSize: number;
    microBatchSize: number;
    maxSteps: number;
    maxCompletionLength: number;
    temperature: number;
    learningRate: number;
    beta: number;
    saveSteps: number;
  };
  eval: {
    samples: number;
    maxTokens: number;
    temperature: number;
    topP: number;
    topK: number;
    presencePenalty: number;
    batchSize: number;
  };
}

export const DEFAULT_CONFIG: PipelineConfig = {
  model: DEFAULT_MODEL_DIR,
  seed: 0,
  backend: 'cpu',
  data: {
    traces: 48,
    validation: 8,
    maxSteps: 4,
    maxTokens: 768,
    grpoTasks: 64,
    evalTasks: 40,
    evalSet: 'test',
    depotWeight: 3,
    mathProblems: 8,
    probeDocuments: 64,
  },
  lora: { r: 8, alpha: 16, dropout: 0.05 },
  mol: {
    mode: 'mol',
    eetb: false,
    normalization: 'separate', // chosen on the validation tasks over the paper's 'token' (docs/ablation/validation.md)
    klWeight: 1,
    learningRate: 4e-3, // chosen on the validation tasks (docs/ablation/validation.md)
    maxSteps: 24,
    microBatchSize: 2,
    globalBatchSize: 4,
    saveSteps: 4,
    evalSteps: 8,
  },
  grpo: {
    lossType: 'dr_grpo',
    reward: 'multi-stage',
    numGenerations: 4,
    globalBatchSize: 16,
    microBatchSize: 8,
    maxSteps: 40,
    maxCompletionLength: 96,
    temperature: 0.9,
    learningRate: 1e-3, // chosen on the validation tasks (docs/ablation/validation.md)
    beta: 0,
    saveSteps: 1,
  },
  eval: { samples: 1, maxTokens: 112, temperature: 0.6, topP: 0.95, topK: 20, presencePenalty: 1, batchSize: 8 },
};

export { ConfigError };

type Check = (value: unknown) => string | null;
/** Seeds are 32-bit: every random stream keeps a seed's low 32 bits, so larger ones would repeat smaller ones. */
export const SEED_MAX = 2 ** 32 - 1;

const int =
  (min: number, max = Number.MAX_SAFE_INTEGER): Check =>
  (v) =>
    Number.isInteger(v) && (v as number) >= min && (v as number) <= max
      ? null
      : `must be an integer >= ${min}${max < Number.MAX_SAFE_INTEGER ? ` and <= ${max}` : ''}`;
const num =
  (min: number, max = Infinity, openMin = false): Check =>
  (v) =>
    typeof v === 'number' && Number.isFinite(v) && (openMin ? v > min : v >= min) && v <= max
      ? null
      : `must be a number ${openMin ? '>' : '>='} ${min}${max < Infinity ? ` and <= ${max}` : ''}`;
const oneOf =
  (...options: string[]): Check =>
  (v) =>
    options.includes(v as string) ? null : `must be one of ${options.map((o) => `'${o}'`).join(', ')}`;
const bool: Check = (v) => (typeof v === 'boolean' ? null : 'must be true or false');
const str: Check = (v) => (typeof v === 'string' && v.length > 0 ? null : 'must be a non-empty string');

const SCHEMA: Record<string, Check | Record<string, Check>> = {
  model: str,
  seed: int(0, SEED_MAX),
  backend: backendProblem,
  data: {
    traces: int(2),
    validation: int(0),
    maxSteps: int(1),
    maxTokens: int(16),
    grpoTasks: int(1),
    evalTasks: int(1),
    evalSet: oneOf('test', 'validation'),
    depotWeight: int(0),
    mathProblems: int(0),
    probeDocuments: int(0),
  },
  lora: { r: int(1), alpha: num(0, Infinity, true), dropout: num(0, 0.99) },
  mol: {
    mode: oneOf('mol', 'ce', 'ce_nokl'),
    eetb: bool,
    normalization: oneOf('separate', 'token', 'sequence'),
    klWeight: num(0),
    learningRate: num(0, Infinity, true),
    maxSteps: int(1),
    microBatchSize: int(1),
    globalBatchSize: int(1),
    saveSteps: int(0),
    evalSteps: int(0),
  },
  grpo: {
    lossType: oneOf('grpo', 'dr_grpo', 'bnpo', 'dapo'),
    reward: oneOf('multi-stage', 'binary'),
    numGenerations: int(2),
    globalBatchSize: int(2),
    microBatchSize: int(1),
    maxSteps: int(1),
    maxCompletionLength: int(1),
    temperature: num(0),
    learningRate: num(0, Infinity, true),
    beta: num(0),
    saveSteps: int(0),
  },
  eval: {
    samples: int(1),
    maxTokens: int(1),
    temperature: num(0),
    topP: num(0, 1, true),
    topK: int(0),
    presencePenalty: num(-2, 2),
    batchSize: int(1),
  },
};

/** A value as an error message shows it (JSON, except numbers JSON cannot hold). */
/** A value as a config error shows it: JSON, but NaN and the infinities as themselves (JSON writes null). */
export function shown(v: unknown): string {
  return typeof v === 'number' && !Number.isFinite(v) ? String(v) : (JSON.stringify(v) ?? String(v));
}

/**
 * The problems of each field `config` gives (types, ranges, unknown names); with
 * `complete`, a missing field is one too. A partial config (a file, --set) is
 * checked this way before merging, so that its errors name it.
 */
function fieldProblems(config: Record<string, unknown>, complete: boolean): string[] {
  const problems: string[] = [];
  for (const [key, rule] of Object.entries(SCHEMA)) {
    if (!complete && !(key in config)) continue;
    if (typeof rule === 'function') {
      const why = rule(config[key]);
      if (why) problems.push(`${key} ${why}, got ${shown(config[key])}`);
      continue;
    }
    const section = config[key];
    if (!isObject(section)) {
      problems.push(`${key} must be an object, got ${shown(section)}`);
      continue;
    }
    for (const [field, check] of Object.entries(rule)) {
      if (!complete && !Object.hasOwn(section, field)) continue;
      const v = section[field];
      const why = check(v);
      if (why) problems.push(`${key}.${field} ${why}, got ${shown(v)}`);
    }
    // Own keys only: `constructor`, `toString` and the like are in every object.
    for (const field of Object.keys(section))
      if (!Object.hasOwn(rule, field))
        problems.push(
          `${key}.${field} is not a known field${didYouMean(field, Object.keys(rule), (near) => `'${key}.${near}'`)}`,
        );
  }
  for (const key of Object.keys(config))
    if (!Object.hasOwn(SCHEMA, key))
      problems.push(`${key} is not a known field${didYouMean(key, Object.keys(SCHEMA))}`);
  return problems;
}

/** The problems between fields of a complete config whose fields are each valid. */
function crossFieldProblems(c: PipelineConfig): string[] {
  const problems: string[] = [];
  if (c.data.validation >= c.data.traces)
    problems.push(`data.validation must be below data.traces (${c.data.traces}), got ${c.data.validation}`);
  if (c.mol.globalBatchSize % c.mol.microBatchSize)
    problems.push(
      `mol.globalBatchSize must be a multiple of mol.microBatchSize (${c.mol.microBatchSize}), got ${c.mol.globalBatchSize}`,
    );
  if (c.grpo.globalBatchSize % c.grpo.numGenerations)
    problems.push(
      `grpo.globalBatchSize must be a multiple of grpo.numGenerations (${c.grpo.numGenerations}), got ${c.grpo.globalBatchSize}`,
    );
  if (c.grpo.globalBatchSize % c.grpo.microBatchSize)
    problems.push(
      `grpo.globalBatchSize must be a multiple of grpo.microBatchSize (${c.grpo.microBatchSize}), got ${c.grpo.globalBatchSize}`,
    );
  return problems;
}

/** Check a whole config; the error names every bad field (`where`: the file or "flags"). */
export function validateConfig(config: unknown, where = 'config'): PipelineConfig {
  if (!isObject(config)) throw new ConfigError(`${where}: must be a JSON object`);
  const problems = fieldProblems(config, true);
  if (!problems.length) problems.push(...crossFieldProblems(config as unknown as PipelineConfig));
  if (problems.length) throw new ConfigError(`${where}: ${problems.join('; ')}`);
  return config as unknown as PipelineConfig;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** The fields where two configs differ, each as `path (run: a, given: b)`; empty when they are equal. */
export function configDifferences(run: unknown, given: unknown): string[] {
  const diff: string[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    if (isObject(a) && isObject(b)) {
      for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) walk(a[k], b[k], path ? `${path}.${k}` : k);
    } else if (!isDeepStrictEqual(a, b)) diff.push(`${path} (run: ${shown(a)}, given: ${shown(b)})`);
  };
  walk(run, given, '');
  return diff;
}

/** Deep merge of plain objects (override wins; arrays and scalars are replaced). */
export function mergeConfig<T>(base: T, override: unknown): T {
  if (!isObject(base) || !isObject(override)) return (override === undefined ? base : override) as T;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(override)) out[k] = k in out ? mergeConfig(out[k], v) : v;
  return out as T;
}

/** Read a JSON config file (partial: what it gives overrides the defaults). */
export function readConfigFile(path: string): unknown {
  return readJsonFile(path, 'config file');
}

/**
 * `section.field=value` assignments (from `--set` flags) as a partial config.
 * Values parse as JSON when they can (numbers, booleans), else stay strings.
 */
export function parseAssignments(assignments: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const a of assignments) {
    const eq = a.indexOf('=');
    // Malformed syntax is a usage error (the CLI's exit status 2), a bad field or value a config error.
    if (eq <= 0) throw new UsageError(`--set ${a}: expected section.field=value`);
    const path = a.slice(0, eq).split('.');
    if (path.some((p) => p === ''))
      throw new UsageError(
        `--set ${a}: an empty field name (expected section.field=value, e.g. mol.learningRate=1e-3)`,
      );
    // Followed as a key, __proto__ would reach Object.prototype (and set a field on every object).
    if (path.includes('__proto__')) throw new ConfigError(`--set ${a}: __proto__ is not a field`);
    const raw = a.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // a bare word is a string
    }
    let node = out;
    path.slice(0, -1).forEach((p) => {
      node[p] = isObject(node[p]) ? node[p] : {};
      node = node[p] as Record<string, unknown>;
    });
    node[path[path.length - 1]!] = value;
  }
  return out;
}

/**
 * `base` (default: the defaults), then the file, then the overrides (each a
 * partial config, e.g. from --set; `overrideNames[i]` names override i in
 * errors); validated. A field of the file or an override that is bad on its own
 * is an error naming where it came from.
 */
export function resolveConfig(
  options: { file?: string; overrides?: unknown[]; overrideNames?: string[]; base?: PipelineConfig } = {},
): PipelineConfig {
  let config: unknown = structuredClone(options.base ?? DEFAULT_CONFIG);
  const sources: string[] = [];
  if (options.file) {
    const fromFile = readConfigFile(options.file);
    validatePartial(fromFile, options.file);
    config = mergeConfig(config, fromFile);
    sources.push(options.file);
  }
  (options.overrides ?? []).forEach((o, i) => {
    const name = options.overrideNames?.[i];
    if (name) {
      validatePartial(o, name);
      sources.push(name);
    }
    config = mergeConfig(config, o);
  });
  const where = [options.base ? "the run's config.json" : '', ...sources].filter(Boolean);
  return validateConfig(config, where.length ? `config (${where.join(', ')})` : 'config');
}

/** A partial config names only known fields of the right types (checked before merging, so the error names `where`). */
function validatePartial(partial: unknown, where: string): void {
  if (!isObject(partial)) throw new ConfigError(`${where}: must be a JSON object`);
  const problems = fieldProblems(partial, false);
  if (problems.length) throw new ConfigError(`${where}: ${problems.join('; ')}`);
}

export function configPath(runDir: string): string {
  return join(runDir, 'config.json');
}
