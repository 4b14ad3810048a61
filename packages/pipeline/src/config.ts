/**
 * The pipeline's configuration: one nested object (model, data, lora, mol,
 * grpo, eval), defaults sized so `molrl run` finishes in minutes on a 2-core
 * CPU. A file's fields and `--section.field=value` flags override the
 * defaults; every field is checked and an error names it (and the file).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { backendProblem } from './backend.js';

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
    learningRate: 1e-3,
    beta: 0,
    saveSteps: 1,
  },
  eval: { samples: 1, maxTokens: 112, temperature: 0.6, topP: 0.95, topK: 20, presencePenalty: 1, batchSize: 8 },
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Check = (value: unknown) => string | null;
const int =
  (min: number): Check =>
  (v) =>
    Number.isInteger(v) && (v as number) >= min ? null : `must be an integer >= ${min}`;
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
  seed: int(0),
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

/** Check a whole config; the error names every bad field (`where`: the file or "flags"). */
export function validateConfig(config: unknown, where = 'config'): PipelineConfig {
  const problems: string[] = [];
  if (!config || typeof config !== 'object') throw new ConfigError(`${where}: must be a JSON object`);
  const c = config as Record<string, unknown>;
  for (const [key, rule] of Object.entries(SCHEMA)) {
    if (typeof rule === 'function') {
      const why = rule(c[key]);
      if (why) problems.push(`${key} ${why}, got ${JSON.stringify(c[key])}`);
      continue;
    }
    const section = c[key];
    if (!section || typeof section !== 'object') {
      problems.push(`${key} must be an object`);
      continue;
    }
    for (const [field, check] of Object.entries(rule)) {
      const v = (section as Record<string, unknown>)[field];
      const why = check(v);
      if (why) problems.push(`${key}.${field} ${why}, got ${JSON.stringify(v)}`);
    }
    for (const field of Object.keys(section))
      if (!(field in rule)) problems.push(`${key}.${field} is not a known field`);
  }
  for (const key of Object.keys(c)) if (!(key in SCHEMA)) problems.push(`${key} is not a known field`);
  const typed = c as unknown as PipelineConfig;
  if (!problems.length) {
    if (typed.data.validation >= typed.data.traces)
      problems.push(`data.validation must be below data.traces (${typed.data.traces}), got ${typed.data.validation}`);
    if (typed.mol.globalBatchSize % typed.mol.microBatchSize)
      problems.push(
        `mol.globalBatchSize must be a multiple of mol.microBatchSize (${typed.mol.microBatchSize}), got ${typed.mol.globalBatchSize}`,
      );
    if (typed.grpo.globalBatchSize % typed.grpo.numGenerations)
      problems.push(
        `grpo.globalBatchSize must be a multiple of grpo.numGenerations (${typed.grpo.numGenerations}), got ${typed.grpo.globalBatchSize}`,
      );
    if (typed.grpo.globalBatchSize % typed.grpo.microBatchSize)
      problems.push(
        `grpo.globalBatchSize must be a multiple of grpo.microBatchSize (${typed.grpo.microBatchSize}), got ${typed.grpo.globalBatchSize}`,
      );
  }
  if (problems.length) throw new ConfigError(`${where}: ${problems.join('; ')}`);
  return typed;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
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
  if (!existsSync(path)) throw new ConfigError(`${path}: no such config file`);
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${path}: not valid JSON (${(error as Error).message})`);
  }
}

/**
 * `section.field=value` assignments (from `--set` flags) as a partial config.
 * Values parse as JSON when they can (numbers, booleans), else stay strings.
 */
export function parseAssignments(assignments: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const a of assignments) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--set ${a}: expected section.field=value`);
    const path = a.slice(0, eq).split('.');
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

/** Defaults, then the file, then the overrides; validated. */
export function resolveConfig(options: { file?: string; overrides?: unknown[] } = {}): PipelineConfig {
  let config: unknown = structuredClone(DEFAULT_CONFIG);
  if (options.file) {
    const fromFile = readConfigFile(options.file);
    validatePartial(fromFile, options.file);
    config = mergeConfig(config, fromFile);
  }
  for (const o of options.overrides ?? []) config = mergeConfig(config, o);
  return validateConfig(config, options.file ? `${options.file} (with flags)` : 'config');
}

/** A partial config names only known fields (checked before merging so the error points at the file). */
function validatePartial(partial: unknown, where: string): void {
  if (!isObject(partial)) throw new ConfigError(`${where}: must be a JSON object`);
  validateConfig(mergeConfig(structuredClone(DEFAULT_CONFIG), partial), where);
}

export function configPath(runDir: string): string {
  return join(runDir, 'config.json');
}
