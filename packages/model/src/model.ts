/**
 * Qwen3ForCausalLM: the API other packages use, mirroring transformers.
 * fromPretrained / savePretrained (config.json + safetensors, transformers'
 * tensor names), forward -> { logits }, forwardHidden -> final hidden states
 * (for losses that apply the LM head chunk by chunk), generate with a KV cache.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkOptionNames, closestOptionName } from '@molrl/hub-cache';
import { startProgress, writeFileAtomic } from '@molrl/progress';
import { argmax, dispose, getBackend, KVCache, noGrad, setBackend, tensor, tidy, type Tensor } from '@molrl/tensor';
import {
  defaultStopTokenIds,
  eosTokenIds,
  GENERATION_CONFIG_FILE,
  parseQwen3Config,
  qwen3ConfigToJson,
  type Qwen3Config,
} from './config.js';
import { checkHubOptions, HUB_OPTION_NAMES, resolveModelDir, type HubOptions } from './hub.js';
import { configDefaultsNote } from './config-defaults.js';
import { intTensor, lastPosition, Qwen3Module, type Linear, type WeightDType } from './qwen3.js';
import { SafetensorsCheckpoint, writeSafetensorsCheckpoint } from './safetensors/checkpoint.js';
import { firstNonFinite } from './safetensors/dtypes.js';
import { encodeFloat32, type TensorToWrite } from './safetensors/writer.js';
import { SeededRandom } from './sampling/prng.js';
import { shownValue } from './shown-value.js';
import { sharedSamplerPool, type SamplerPool } from './sampling/sampler-pool.js';
import { TokenCounter } from './sampling/token-counter.js';
import {
  candidateSamplingApplies,
  drawFromCandidates,
  planCandidates,
  selectCandidates,
  type CandidatePlan,
  type SelectedCandidates,
} from './sampling/candidate-step.js';
import {
  hasPenalties,
  SAMPLING_OPTION_NAMES,
  sampleToken,
  validateSamplingOptions,
  type SamplingContext,
  type SamplingOptions,
} from './sampling/samplers.js';
import { expectedWeightShapes } from './weights.js';
import { checkCheckpointHeaders } from './checkpoint-headers.js';

/** A backend name or instance, as setBackend takes it. */
type BackendChoice = Parameters<typeof setBackend>[0];

export interface FromPretrainedOptions extends HubOptions {
  /** Backend name ('cpu', 'gpujs', 'webgpu') or instance to make current before loading; default: the current one, else 'cpu'. */
  backend?: BackendChoice;
  /**
   * Storage dtype of the weights: 'float32' (default), 'bfloat16' or 'float16', or 'auto' for
   * the checkpoint's own `torch_dtype`. Compute is float32 either way.
   */
  dtype?: WeightDType | 'auto';
  /** Called after each tensor is loaded. */
  onProgress?: (loaded: number, total: number, name: string) => void;
  /**
   * Show progress on stderr (a bar on a TTY, log lines otherwise). Default: loading, for
   * checkpoints above 1 GB; a Hub download, when its files reach 100 MiB.
   */
  progress?: boolean;
  /**
   * Load weights holding NaN or infinite values (default false: such a weight is
   * refused with its name, as the model would only produce non-finite logits).
   */
  allowNonFinite?: boolean;
}

export interface ForwardOptions {
  /** [B, T], 1 = token, 0 = padding (either side). Padding keys are masked; default positions count real tokens only. */
  attentionMask?: number[][];
  /** [B, T] positions. Default: 0..T-1, or the running count of real tokens when attentionMask is given. */
  positionIds?: number[][];
  /**
   * [B, T] segment ids of packed sequences: attention stays within a segment.
   * Default: a new segment wherever positionIds restarts at 0.
   */
  segmentIds?: number[][];
}

export interface GenerateOptions extends SamplingOptions {
  maxNewTokens: number;
  /** Seed of the sampling PRNG (row b draws from its own stream derived from seed and b). Default 0. */
  seed?: number;
  /**
   * One seed per row instead (overrides `seed`): row b draws from the stream of
   * `seeds[b]` alone, the one a batch of that prompt alone with `seed: seeds[b]`
   * draws from. A row's tokens then depend on its own prompt and seed, not on the
   * batch it is in or its place there.
   */
  seeds?: readonly number[];
  /**
   * Generation of a row ends after it emits one of these (default: the model's
   * `stopTokenIds`: config.json's eos_token_id and generation_config.json's).
   */
  stopTokenIds?: number[];
  /** Called after each decoding step with the number of steps done. */
  onStep?: (step: number) => void;
  /**
   * Stops generation at the next token, rejecting with the signal's reason. While a
   * signal is given, each token also yields to the event loop, so a signal handler
   * (Ctrl-C) can run during a long generation.
   */
  signal?: AbortSignal;
  /**
   * Worker threads that sample a step's rows beside this thread when the logits
   * come to the host (no top-k) and the vocabulary is large (>= 16,384): the
   * same tokens. Default: the process's pool (`sharedSamplerPool()`, one worker
   * per further core); null samples on this thread alone.
   */
  samplerPool?: SamplerPool | null;
}

export interface SavePretrainedOptions {
  /** dtype of the saved weights: 'float32', 'bfloat16' or 'float16' (default: the storage dtype); any other is refused. */
  dtype?: WeightDType;
  /** Shard above this many bytes, a positive integer (default 5 GB, as transformers). */
  maxShardBytes?: number;
}

/** The fields of `GenerateOptions`; `generate` refuses any other. */
export const GENERATE_OPTION_NAMES: readonly string[] = [
  'maxNewTokens',
  ...SAMPLING_OPTION_NAMES,
  ...Object.keys({
    seed: true,
    seeds: true,
    stopTokenIds: true,
    onStep: true,
    signal: true,
    samplerPool: true,
  } satisfies Record<Exclude<keyof GenerateOptions, keyof SamplingOptions | 'maxNewTokens'>, true>), // all, or no compile
];

/** The fields of `FromPretrainedOptions`; `fromPretrained` refuses any other. */
export const FROM_PRETRAINED_OPTION_NAMES: readonly string[] = [
  ...HUB_OPTION_NAMES,
  ...Object.keys({
    backend: true,
    dtype: true,
    onProgress: true,
    allowNonFinite: true,
  } satisfies Record<Exclude<keyof FromPretrainedOptions, keyof HubOptions>, true>), // all, or no compile
];

/** The fields of `SavePretrainedOptions`; `savePretrained` refuses any other. */
export const SAVE_PRETRAINED_OPTION_NAMES: readonly string[] = Object.keys({
  dtype: true,
  maxShardBytes: true,
} satisfies Record<keyof SavePretrainedOptions, true>);

/** The storage dtypes `savePretrained` writes (and `fromPretrained` loads into, besides 'auto'). */
export const WEIGHT_DTYPES: readonly WeightDType[] = Object.keys({
  float32: true,
  bfloat16: true,
  float16: true,
} satisfies Record<WeightDType, true>) as WeightDType[];

/** New tokens the KV caches have room for at first; beyond that they double. */
const INITIAL_NEW_TOKENS = 256;
/** Vocabularies from which a step's rows are sampled on worker threads too (below it a row costs too little). */
const POOL_MIN_VOCAB = 16_384;

const TORCH_DTYPE: Record<WeightDType, string> = { float32: 'float32', bfloat16: 'bfloat16', float16: 'float16' };
const ST_DTYPE = { float32: 'F32', bfloat16: 'BF16', float16: 'F16' } as const;

/** The torch dtype of the checkpoint's first floating-point tensor, as transformers' 'auto' falls back to. */
function checkpointDType(ckpt: SafetensorsCheckpoint): string | undefined {
  for (const name of ckpt.names()) {
    const d: string = ckpt.entry(name).dtype;
    const torch: Record<string, string> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16', F64: 'float32' };
    if (torch[d]) return torch[d];
  }
  return undefined;
}

/** Other names of the storage dtypes (torch's, safetensors', short forms), for a "did you mean". */
const DTYPE_ALIASES: Readonly<Record<string, WeightDType>> = {
  bf16: 'bfloat16',
  fp16: 'float16',
  f16: 'float16',
  half: 'float16',
  fp32: 'float32',
  f32: 'float32',
  float: 'float32',
};

/** ` (did you mean 'bfloat16'?)` for a known other name of a storage dtype; a note for 8-bit floats; else ''. */
function dtypeHint(value: unknown): string {
  if (typeof value !== 'string') return '';
  const name = value.toLowerCase().replace(/^torch\./, '');
  if (/^(float8|fp8|f8)/.test(name))
    return ' (8-bit floats are not supported: the weights are stored in 16 or 32 bits)';
  const meant = (WEIGHT_DTYPES as readonly string[]).includes(name)
    ? name
    : Object.hasOwn(DTYPE_ALIASES, name)
      ? DTYPE_ALIASES[name]
      : closestOptionName(name, WEIGHT_DTYPES);
  return meant === undefined ? '' : ` (did you mean '${meant}'?)`;
}

function weightDType(name: string | undefined): WeightDType {
  if (name === 'bfloat16' || name === 'float16' || name === 'float32') return name;
  return 'float32';
}

export class Qwen3ForCausalLM {
  readonly config: Qwen3Config;
  /** The weights and the forward computation. */
  readonly module: Qwen3Module;
  /**
   * What `generate` stops on unless told otherwise: config.json's `eos_token_id`,
   * and generation_config.json's where `fromPretrained` found one.
   */
  readonly stopTokenIds: readonly number[];

  constructor(
    config: Qwen3Config,
    weights: Map<string, Tensor>,
    stopTokenIds: readonly number[] = eosTokenIds(config),
  ) {
    this.config = config;
    this.module = new Qwen3Module(config, weights);
    this.stopTokenIds = stopTokenIds;
  }

  /**
   * Load a model folder (config.json + model.safetensors or sharded
   * safetensors) from disk, or a Hub repo id through the Hugging Face cache.
   * Tensors are read and uploaded one at a time.
   */
  static async fromPretrained(dirOrRepoId: string, options: FromPretrainedOptions = {}): Promise<Qwen3ForCausalLM> {
    if (typeof dirOrRepoId !== 'string' || dirOrRepoId === '')
      throw new TypeError(
        `Qwen3ForCausalLM.fromPretrained: expected a model folder or a Hub repo id, got ${dirOrRepoId === '' ? 'an empty string' : typeof dirOrRepoId}`,
      );
    if (typeof options !== 'object' || options === null)
      throw new TypeError(
        `Qwen3ForCausalLM.fromPretrained: options must be an object, got ${options === null ? 'null' : typeof options}`,
      );
    // A misspelt option (localFileOnly, Python's local_files_only) must not load as if it were not given.
    checkHubOptions(options, FROM_PRETRAINED_OPTION_NAMES, 'Qwen3ForCausalLM.fromPretrained');
    if (options.onProgress !== undefined && typeof options.onProgress !== 'function')
      throw new TypeError(
        `Qwen3ForCausalLM.fromPretrained: options.onProgress must be a function, got ${shownValue(options.onProgress)}`,
      );
    if (options.dtype !== undefined && !['auto', 'float32', 'bfloat16', 'float16'].includes(options.dtype))
      throw new TypeError(
        `Qwen3ForCausalLM.fromPretrained: options.dtype must be 'auto', 'float32', 'bfloat16' or 'float16', got ${shownValue(options.dtype)}${dtypeHint(options.dtype)}`,
      );
    if (options.allowNonFinite !== undefined && typeof options.allowNonFinite !== 'boolean')
      throw new TypeError(`Qwen3ForCausalLM.fromPretrained: options.allowNonFinite must be a boolean`);
    if (options.backend !== undefined) await setBackend(options.backend);
    else {
      try {
        getBackend();
      } catch {
        await setBackend('cpu');
      }
    }
    const hubOptions: HubOptions = {};
    for (const key of HUB_OPTION_NAMES)
      if (key in options) (hubOptions as Record<string, unknown>)[key] = options[key as keyof HubOptions];
    const dir = await resolveModelDir(dirOrRepoId, {
      ...hubOptions,
      extraFiles: [...new Set([...(options.extraFiles ?? []), GENERATION_CONFIG_FILE])],
    });
    const readJson = async (path: string): Promise<unknown> => {
      try {
        return JSON.parse(await readFile(path, 'utf8'));
      } catch (err) {
        throw new Error(`${path}: ${(err as Error).message}`, { cause: err });
      }
    };
    const configPath = join(dir, 'config.json');
    const config = parseQwen3Config(await readJson(configPath), configPath);
    const generationPath = join(dir, GENERATION_CONFIG_FILE);
    const stopTokenIds = defaultStopTokenIds(
      config,
      existsSync(generationPath) ? await readJson(generationPath) : undefined,
      generationPath,
    );
    const ckpt = await SafetensorsCheckpoint.open(dir);
    // 'auto' as transformers: config.json's torch_dtype (or dtype), else the first floating weight's.
    const dtype =
      options.dtype === 'auto'
        ? weightDType(config.torch_dtype ?? checkpointDType(ckpt))
        : (options.dtype ?? 'float32');
    const weights = new Map<string, Tensor>();
    try {
      checkCheckpointHeaders(ckpt, config, dir);
      const expected = expectedWeightShapes(config);
      let loaded = 0;
      let bytes = 0;
      const totalBytes = [...expected.keys()].reduce((n, name) => {
        const e = ckpt.entry(name);
        return n + e.dataOffsets[1] - e.dataOffsets[0];
      }, 0);
      const bar =
        (options.progress ?? totalBytes > 1e9)
          ? startProgress(`loading ${dirOrRepoId}`, Math.ceil(totalBytes / 2 ** 20), { unit: 'MiB' })
          : null;
      const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
      // Largest first: it gets a host buffer of its own, dropped after its upload; the rest share one
      // buffer the size of the second largest. Peak host memory: the weights plus about one embedding.
      const order = [...expected].sort((a, b) => numel(b[1]) - numel(a[1]));
      let scratch: Float32Array | null = null;
      for (const [index, [name, shape]] of order.entries()) {
        const entry = ckpt.entry(name);
        if (!scratch || scratch.length < numel(shape)) scratch = new Float32Array(numel(shape));
        const host = scratch.subarray(0, numel(shape));
        await ckpt.readFloat32Into(name, host);
        if (!options.allowNonFinite) {
          const bad = firstNonFinite(host);
          if (bad >= 0)
            throw new Error(
              `${dir}: tensor '${name}' holds ${host[bad]} at element ${bad}; weights must be finite (allowNonFinite: true loads them anyway)`,
            );
          // float16 storage rounds |x| >= 65520 to infinity.
          if (dtype === 'float16') {
            const over = host.findIndex((v) => Math.abs(v) >= 65520);
            if (over >= 0)
              throw new Error(
                `${dir}: tensor '${name}' holds ${host[over]} at element ${over}, past float16's range (65504): load it as 'float32' or 'bfloat16'`,
              );
          }
        }
        if (index === 0) scratch = null;
        const t = tensor(host, shape, { dtype });
        t.keep();
        weights.set(name, t);
        options.onProgress?.(++loaded, expected.size, name);
        bytes += entry.dataOffsets[1] - entry.dataOffsets[0];
        bar?.update(Math.round(bytes / 2 ** 20), name);
      }
      bar?.stop();
    } catch (err) {
      for (const t of weights.values()) t.dispose();
      throw err;
    } finally {
      await ckpt.close();
    }
    return new Qwen3ForCausalLM(config, weights, stopTokenIds);
  }

  /** A model with the given weights (transformers names), e.g. random ones for benchmarks; it takes them over. */
  static fromWeights(config: Qwen3Config, weights: Map<string, Tensor>): Qwen3ForCausalLM {
    const expected = expectedWeightShapes(config);
    for (const [name, shape] of expected) {
      const t = weights.get(name);
      if (!t) throw new Error(`Qwen3ForCausalLM.fromWeights: weight '${name}' is missing${configDefaultsNote(config)}`);
      if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
        throw new Error(
          `Qwen3ForCausalLM.fromWeights: '${name}' is [${t.shape.join(', ')}], expected [${shape.join(', ')}]${configDefaultsNote(config)}`,
        );
      }
    }
    return new Qwen3ForCausalLM(config, weights);
  }

  /** Write config.json and safetensors with transformers' names (loads with `AutoModelForCausalLM.from_pretrained`). */
  async savePretrained(dir: string, options: SavePretrainedOptions = {}): Promise<string[]> {
    // Checked before anything is written: a bad option leaves no folder behind.
    if (typeof dir !== 'string' || dir === '')
      throw new TypeError(`Qwen3ForCausalLM.savePretrained: dir must be a non-empty string, got ${shownValue(dir)}`);
    if (typeof options !== 'object' || options === null || Array.isArray(options))
      throw new TypeError(`Qwen3ForCausalLM.savePretrained: options must be an object, got ${shownValue(options)}`);
    checkOptionNames(options, SAVE_PRETRAINED_OPTION_NAMES, 'Qwen3ForCausalLM.savePretrained');
    if (options.dtype !== undefined && !WEIGHT_DTYPES.includes(options.dtype))
      throw new TypeError(
        `Qwen3ForCausalLM.savePretrained: options.dtype must be 'float32', 'bfloat16' or 'float16', got ${shownValue(options.dtype)}${dtypeHint(options.dtype)}`,
      );
    const { maxShardBytes } = options;
    if (maxShardBytes !== undefined && !(Number.isSafeInteger(maxShardBytes) && maxShardBytes > 0))
      throw new TypeError(
        `Qwen3ForCausalLM.savePretrained: options.maxShardBytes must be a positive integer (bytes), got ${shownValue(maxShardBytes)}`,
      );
    await mkdir(dir, { recursive: true });
    const weights = this.module.namedWeights();
    const first = weights.values().next().value as Tensor;
    const dtype = options.dtype ?? weightDType(first.dtype);
    const tensors: TensorToWrite[] = [...weights].map(([name, t]) => ({
      name,
      dtype: ST_DTYPE[dtype],
      shape: [...t.shape],
      data: async () => encodeFloat32(await t.data(), ST_DTYPE[dtype]),
    }));
    const files = await writeSafetensorsCheckpoint(dir, tensors, { maxShardBytes: options.maxShardBytes });
    const configPath = join(dir, 'config.json');
    await writeFileAtomic(
      configPath,
      JSON.stringify(qwen3ConfigToJson(this.config, TORCH_DTYPE[dtype]), null, 2) + '\n',
    );
    // Stop tokens beyond config.json's go where they came from, so the saved model stops where this one does.
    const configEos = eosTokenIds(this.config);
    if (this.stopTokenIds.some((id) => !configEos.includes(id))) {
      await writeFileAtomic(
        join(dir, GENERATION_CONFIG_FILE),
        JSON.stringify({ eos_token_id: [...this.stopTokenIds] }, null, 2) + '\n',
      );
      return ['config.json', GENERATION_CONFIG_FILE, ...files];
    }
    return ['config.json', ...files];
  }

  /** Every weight under its transformers name. */
  namedParameters(): Map<string, Tensor> {
    return this.module.namedWeights();
  }

  /** Every weight tensor. */
  parameters(): Tensor[] {
    return [...this.module.namedWeights().values()];
  }

  /** Linear layers by module path (model.layers.N.self_attn.q_proj, ...): what LoRA targets. */
  linearLayers(): Map<string, Linear> {
    return this.module.linearLayers();
  }

  /** Turn gradients of all base weights on or off (PyTorch's requires_grad_). */
  requiresGrad(value: boolean): this {
    for (const t of this.parameters()) t.requiresGrad = value;
    return this;
  }

  /** Training mode: adapter dropout is active. */
  train(): this {
    this.module.training = true;
    return this;
  }

  /** Evaluation mode (the default after loading). */
  eval(): this {
    this.module.training = false;
    return this;
  }

  /** Recompute decoder-layer activations during backward instead of storing them (transformers' name). */
  gradientCheckpointingEnable(): void {
    this.module.gradientCheckpointing = true;
  }

  gradientCheckpointingDisable(): void {
    this.module.gradientCheckpointing = false;
  }

  /** The LM head weight [V, H] (the embedding matrix when tied), for fused chunked losses. */
  get lmHeadWeight(): Tensor {
    return this.module.lmHead.weight;
  }

  /** Final hidden states [B, T, H] (after the last RMSNorm, before the LM head). */
  async forwardHidden(inputIds: number[][], options: ForwardOptions = {}): Promise<{ hidden: Tensor }> {
    return { hidden: this.hiddenOf(inputIds, options, 'forwardHidden') };
  }

  /** Logits [B, T, V] of every position (causal; packed segments and padding per ForwardOptions). */
  async forward(inputIds: number[][], options: ForwardOptions = {}): Promise<{ logits: Tensor }> {
    return {
      logits: tidy(() => {
        const hidden = this.hiddenOf(inputIds, options, 'forward');
        return this.module.logits(hidden);
      }),
    };
  }

  /** The synchronous forward to the final hidden states. */
  hiddenSync(inputIds: number[][], options: ForwardOptions = {}): Tensor {
    return this.hiddenOf(inputIds, options, 'hiddenSync');
  }

  /** hiddenSync, with the ids checked at the entry point `fn` (named in errors) before any tensor is made. */
  private hiddenOf(inputIds: number[][], options: ForwardOptions, fn: string): Tensor {
    checkInputIds(inputIds, this.config.vocab_size, fn);
    const { positions, segments } = decoderLayout(inputIds, options);
    return tidy(() => {
      const ids = intTensor(inputIds, 'forward inputIds');
      const pos = intTensor(positions, 'forward positionIds');
      const seg = segments ? intTensor(segments, 'forward segmentIds') : undefined;
      return this.module.hidden(ids, { positions: pos, segmentIds: seg });
    });
  }

  /**
   * Generate up to maxNewTokens per row with a KV cache. Rows of different
   * lengths are left-padded internally (padding is masked, positions count
   * real tokens only), so each row's result equals generating it alone.
   * Returns the new ids per row, including the stop token that ended a row.
   * temperature 0 is greedy; without penalties the device picks each row's first
   * largest logit and a step reads one id per row (a NaN logit counts as the
   * largest there, where the host's greedy pick skips it).
   */
  async generate(inputIds: number[][], options: GenerateOptions): Promise<number[][]> {
    if (typeof options !== 'object' || options === null)
      throw new TypeError(`generate: options must be an object with maxNewTokens, got ${String(options)}`);
    // As transformers' generate refuses keyword arguments it does not use: a misspelt
    // option must not generate without it.
    checkOptionNames(options, GENERATE_OPTION_NAMES, 'generate');
    validateSamplingOptions(options);
    const { maxNewTokens } = options;
    const vocab = this.config.vocab_size;
    if (!Number.isInteger(maxNewTokens) || maxNewTokens < 0)
      throw new Error(`generate: maxNewTokens must be an integer >= 0, got ${shownValue(maxNewTokens)}`);
    for (const key of ['onStep'] as const)
      if (options[key] !== undefined && typeof options[key] !== 'function')
        throw new TypeError(`generate: ${key} must be a function, got ${shownValue(options[key])}`);
    if (
      options.signal !== undefined &&
      typeof (options.signal as { throwIfAborted?: unknown } | null)?.throwIfAborted !== 'function'
    )
      throw new TypeError(`generate: signal must be an AbortSignal, got ${shownValue(options.signal)}`);
    if (options.stopTokenIds !== undefined) {
      if (!Array.isArray(options.stopTokenIds))
        throw new TypeError(
          `generate: stopTokenIds must be an array of token ids, got ${shownValue(options.stopTokenIds)}`,
        );
      options.stopTokenIds.forEach((t, i) => {
        if (!Number.isInteger(t) || t < 0 || t >= vocab)
          throw new Error(`generate: stopTokenIds[${i}] = ${shownValue(t)} is not a token id in [0, ${vocab})`);
      });
    }
    if (options.seed !== undefined && !Number.isSafeInteger(options.seed))
      throw new Error(`generate: seed must be an integer, got ${shownValue(options.seed)}`);
    if (options.seed !== undefined && options.seeds !== undefined)
      throw new Error('generate: give seed or seeds, not both (seeds gives each prompt its own stream)');
    options.signal?.throwIfAborted();
    if (!Array.isArray(inputIds) || !inputIds.every((r) => Array.isArray(r)))
      throw new TypeError('generate: inputIds must be an array of prompts, each an array of token ids (number[][])');
    const b = inputIds.length;
    if (b === 0 || maxNewTokens === 0) return inputIds.map(() => []);
    inputIds.forEach((r, i) => {
      if (r.length === 0) throw new Error(`generate: prompt ${i} is empty`);
      r.forEach((t, j) => {
        if (!Number.isInteger(t))
          throw new Error(`generate: prompt ${i}: token ${shownValue(t)} at index ${j} is not an integer id`);
        if (t < 0 || t >= vocab)
          throw new Error(`generate: prompt ${i} has token ${t} outside the vocabulary [0, ${vocab})`);
      });
    });
    const stop = new Set(options.stopTokenIds ?? this.stopTokenIds);
    const seed = options.seed ?? 0;
    const { seeds } = options;
    if (seeds !== undefined) {
      if (!Array.isArray(seeds))
        throw new TypeError(`generate: seeds must be an array of integers, got ${shownValue(seeds)}`);
      if (seeds.length !== b)
        throw new Error(`generate: seeds has ${seeds.length} entries for ${b} prompts (one seed per prompt)`);
      seeds.forEach((s, i) => {
        if (!Number.isSafeInteger(s)) throw new Error(`generate: seeds[${i}] must be an integer, got ${shownValue(s)}`);
      });
    }
    // Row i's stream: (seed, i), or (seeds[i], 0), which a lone prompt with that seed draws from.
    const rngs = inputIds.map((_, i) =>
      seeds ? new SeededRandom(seeds[i]! * 0x10001) : new SeededRandom(seed * 0x10001 + i * 0x9e3779b1),
    );
    const longest = Math.max(...inputIds.map((r) => r.length));
    const pad = this.config.pad_token_id ?? 0;
    // Left padding (the pad tokens are never attended to: see the segment ids below).
    const ids = inputIds.map((r) => [...new Array<number>(longest - r.length).fill(pad), ...r]);
    const posRows = inputIds.map((r) => [...new Array<number>(longest - r.length).fill(0), ...r.map((_, j) => j)]);
    const nextPos = inputIds.map((r) => r.length);
    const out: number[][] = inputIds.map(() => []);
    // Each row's tokens counted as they come, where a penalty reads them (a step's cost then follows the distinct
    // tokens, not the length generated).
    const counters = hasPenalties(options) ? inputIds.map((r) => new TokenCounter(r)) : null;
    const c = this.config;
    const caches: KVCache[] = [];
    // Rows still generating, as indices into inputIds; the batch (and the KV cache) holds these rows in this order.
    let active = inputIds.map((_, i) => i);
    // Left padding of each row: its pad keys get segment -1 (never seen by real tokens), the rest segment 0.
    const pads = inputIds.map((r) => longest - r.length);
    // Room for the prompt and the first new tokens; the caches double from there (memory follows what is generated).
    const firstCapacity = longest + Math.min(maxNewTokens, INITIAL_NEW_TOKENS);
    // Greedy without penalties needs only each row's first largest logit: the device finds it and a step reads
    // one id per row instead of the vocabulary's logits (a GPU's readback of [rows, V] floats per token).
    const greedyOnDevice = (options.temperature ?? 1) === 0 && !hasPenalties(options);
    // Sampling with top-k needs only each row's candidates: the backend selects them (`selectTopK`) and a step
    // reads a few numbers per row; the draw is the one the full row gives (see sampleFromCandidates).
    const v = c.vocab_size;
    const candidatesOnDevice = !greedyOnDevice && candidateSamplingApplies(options, v);
    // The step's logits for the sampler pool, in shared memory this call owns (a concurrent generate has its own).
    let hostLogits: Float32Array = new Float32Array(0);
    const sharedLogits = (n: number) => {
      if (hostLogits.length < n) hostLogits = new Float32Array(new SharedArrayBuffer(n * 4));
      return hostLogits;
    };

    try {
      let stepIds = ids;
      let stepPos = posRows;
      for (let step = 0; step < maxNewTokens; step++) {
        const rows = active.length;
        const rowsToDraw = active.map((i) => ({
          rng: rngs[i]!,
          ctx: { promptTokens: inputIds[i]!, generatedTokens: out[i]!, counts: counters?.[i] },
        }));
        // The tokens each row's penalties touch: their raw logits are read beside the candidates.
        const plan = candidatesOnDevice
          ? planCandidates(
              options,
              rowsToDraw.map((r) => r.ctx),
              v,
            )
          : null;
        const next = noGrad(() =>
          tidy((): StepOutputs => {
            if (caches.length === 0) {
              for (let i = 0; i < c.num_hidden_layers; i++)
                caches.push(KVCache.empty(rows, c.num_key_value_heads, c.head_dim, { capacity: firstCapacity }));
            }
            const held = caches[0]!.length + stepIds[0]!.length;
            for (const cache of caches) cache.reserve(held);
            // Segment ids span the cache's capacity (the keys attention reads); only padded batches need them.
            const capacity = caches[0]!.capacity;
            const padded = active.some((i) => pads[i]! > 0);
            const segments = padded
              ? paddedSegments(
                  active.map((i) => pads[i]!),
                  capacity,
                )
              : undefined;
            const hidden = this.module.hidden(intTensor(stepIds, 'generate'), {
              positions: intTensor(stepPos, 'generate positions'),
              segmentIds: segments,
              caches,
              ctx: { training: false, seed: 0 },
            });
            const last = this.module.logits(lastPosition(hidden)); // [rows, 1, V]
            if (greedyOnDevice) return { ids: argmax(last, 2) }; // [rows, 1] token ids
            if (!plan) return { logits: last };
            return { logits: last, candidates: selectCandidates(last, plan) };
          }),
        );
        let tokens: ArrayLike<number>;
        try {
          tokens = await stepTokens(next, { rows: rowsToDraw, vocab: v, options, plan, sharedLogits });
        } finally {
          dispose(next);
        }
        const keep: number[] = []; // batch positions of rows that go on
        for (let j = 0; j < rows; j++) {
          const i = active[j];
          const tok = tokens[j]!;
          out[i].push(tok);
          counters?.[i]!.add(tok);
          if (!stop.has(tok)) keep.push(j);
        }
        options.onStep?.(step + 1);
        if (keep.length === 0 || step === maxNewTokens - 1) break;
        if (options.signal) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          options.signal.throwIfAborted();
        }
        if (keep.length < rows) {
          // Finished rows leave the batch: later steps compute only the rows still generating.
          noGrad(() => {
            for (const cache of caches) cache.selectRows(keep);
          });
          active = keep.map((j) => active[j]);
        }
        stepIds = active.map((i) => [out[i][out[i].length - 1]]);
        stepPos = active.map((i) => [nextPos[i]]);
        for (const i of active) nextPos[i]++;
      }
    } finally {
      for (const cache of caches) cache.dispose();
    }
    return out;
  }

  /** Release every weight. */
  dispose(): void {
    for (const t of this.parameters()) t.dispose();
  }
}

/** What a decode step leaves to read: token ids (greedy), or logits and, with top-k, each row's candidates. */
interface StepOutputs {
  ids?: Tensor;
  logits?: Tensor;
  candidates?: SelectedCandidates;
}

/**
 * The tokens of one decode step, a row at a time: the device's picks
 * (greedy), a draw from each row's candidates (top-k), or from its full row
 * of logits (where no candidates were selected, or a row's NaN or ties past
 * the slots leave them short), on worker threads too at a large vocabulary.
 */
async function stepTokens(
  next: StepOutputs,
  step: {
    rows: readonly { rng: SeededRandom; ctx: SamplingContext }[];
    vocab: number;
    options: GenerateOptions;
    plan: CandidatePlan | null;
    /** A Float32Array over shared memory of at least n elements, this generation's own (reused step after step). */
    sharedLogits: (n: number) => Float32Array;
  },
): Promise<ArrayLike<number>> {
  const { rows, vocab: v, options, plan } = step;
  if (next.ids) return next.ids.intData();
  if (next.candidates && plan) {
    const drawn = await drawFromCandidates(next.candidates, plan, options, rows);
    if (drawn) return drawn;
  }
  const pool =
    rows.length >= 2 && v >= POOL_MIN_VOCAB && (options.temperature ?? 1) > 0
      ? options.samplerPool === undefined
        ? sharedSamplerPool()
        : options.samplerPool
      : null;
  if (pool) {
    // Read straight into shared memory, where the pool's workers read it: no copy of the step's logits between.
    const logits = await next.logits!.dataInto(step.sharedLogits(next.logits!.size));
    return pool.sample(
      logits,
      v,
      rows.map(({ rng, ctx }, j) => ({ row: j, options, ctx, rng })),
    );
  }
  const logits = await next.logits!.data();
  return rows.map(({ rng, ctx }, j) => sampleToken(logits.subarray(j * v, (j + 1) * v), options, ctx, rng));
}

/**
 * Throws naming `fn`, the row and the column unless `inputIds` is rows of one
 * length, each of at least one token id in [0, vocab) (an id past the embedding
 * would fail deep in its lookup, or read another row). An empty batch passes (an
 * empty result, as `generate` gives). One pass over the ids, allocating nothing.
 */
function checkInputIds(inputIds: unknown, vocab: number, fn: string): void {
  if (!Array.isArray(inputIds))
    throw new TypeError(`${fn}: inputIds must be rows of token ids (number[][]), got ${shownValue(inputIds)}`);
  const rows = inputIds as unknown[];
  let width = 0;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as ArrayLike<unknown>;
    if (!Array.isArray(row) && !ArrayBuffer.isView(row))
      throw new TypeError(`${fn}: inputIds[${i}] must be an array of token ids, got ${shownValue(row)}`);
    if (row.length === 0) throw new Error(`${fn}: inputIds[${i}] is empty (a row needs at least one token)`);
    if (i === 0) width = row.length;
    else if (row.length !== width)
      throw new Error(
        `${fn}: inputIds[${i}] has ${row.length} token(s), inputIds[0] has ${width} (rows must be equally long: pad them and pass an attentionMask)`,
      );
    for (let j = 0; j < row.length; j++) {
      const id = row[j];
      if (typeof id === 'number' && Number.isInteger(id) && id >= 0 && id < vocab) continue;
      throw new Error(
        `${fn}: inputIds[${i}][${j}] is ${shownValue(id)}, ${typeof id === 'number' && Number.isInteger(id) ? 'outside' : 'not an integer token id in'} the vocabulary [0, ${vocab})`,
      );
    }
  }
}

/** Segment ids of a left-padded batch over `capacity` keys: -1 on each row's pad keys, 0 on the rest. */
function paddedSegments(padsOfRows: readonly number[], capacity: number): Tensor {
  const ids = new Int32Array(padsOfRows.length * capacity);
  padsOfRows.forEach((pad, row) => ids.fill(-1, row * capacity, row * capacity + pad));
  return tensor(ids, [padsOfRows.length, capacity], { dtype: 'int32' });
}

/** Positions and segment ids for a forward pass from the user's options. */
export function decoderLayout(
  inputIds: number[][],
  options: ForwardOptions,
): { positions: number[][]; segments: number[][] | undefined } {
  const b = inputIds.length;
  const t = b ? inputIds[0].length : 0;
  const check = (rows: number[][] | undefined, what: string) => {
    if (!rows) return;
    if (rows.length !== b || rows.some((r) => r.length !== t)) {
      throw new Error(`forward: ${what} must be [${b}, ${t}] like inputIds`);
    }
  };
  check(options.attentionMask, 'attentionMask');
  check(options.positionIds, 'positionIds');
  check(options.segmentIds, 'segmentIds');
  const mask = options.attentionMask;
  let positions = options.positionIds;
  if (!positions) {
    positions = mask
      ? mask.map((r) => {
          let n = 0;
          return r.map((m) => (m ? n++ : Math.max(n - 1, 0)));
        })
      : inputIds.map((r) => r.map((_, j) => j));
  }
  let segments = options.segmentIds;
  if (!segments && options.positionIds) {
    const restarts = options.positionIds.some((r) => r.some((p, j) => j > 0 && p === 0));
    if (restarts) {
      segments = options.positionIds.map((r) => {
        let s = 0;
        return r.map((p, j) => (j > 0 && p === 0 ? ++s : s));
      });
    }
  }
  if (mask) {
    const base = segments ?? inputIds.map((r) => r.map(() => 0));
    // Padding gets segment -1: no real token attends to it.
    segments = base.map((r, i) => r.map((s, j) => (mask[i][j] ? s : -1)));
  }
  return { positions, segments };
}
