/**
 * The GRPO trainer, following TRL's `GRPOTrainer`: `GrpoTask` (rollouts,
 * rewards, group-relative advantages, the clipped objective) on
 * `@molrl/train`'s Trainer (AdamW on the LoRA parameters only, gradient
 * accumulation, clipping, the schedule, JSONL metrics with TRL's names read
 * once per step, checkpoints that resume onto the same run).
 */
import type { LoraHandle } from '@molrl/lora';
import type { Qwen3ForCausalLM } from '@molrl/model';
import type { AdamW } from '@molrl/tensor';
import { Trainer, type TrainOptions } from '@molrl/train';
import { grpoConfig, type GRPOConfig } from './config.js';
import { GrpoTask, type GrpoMicroBatch, type GrpoTaskState } from './grpo-task.js';
import { ModelRollouts, type RolloutSource, type TextCodec } from './rollout.js';
import { CHAT_ROLES, type GrpoExample, type RewardFunction } from './rewards.js';

export interface GrpoTrainerOptions {
  model: Qwen3ForCausalLM;
  /** The adapter being trained; disabled it is the reference model. */
  lora: LoraHandle;
  /** Turns prompts into ids and completions into text. */
  codec: TextCodec;
  train: readonly GrpoExample[];
  rewardFunctions: readonly RewardFunction[];
  config: Partial<GRPOConfig> & { outputDir: string };
  /** Where completions come from (default: the model itself). */
  rollouts?: RolloutSource;
  /** EOS ids that end a completion (default the model config's eos_token_id). */
  eosTokenIds?: number[];
}

/** One optimizer step's record in metrics.jsonl (TRL's names, plus timings). */
export type GrpoStepMetrics = Record<string, number> & { step: number; loss: number };

export interface GrpoTrainResult {
  steps: GrpoStepMetrics[];
  lastCheckpoint: string | null;
}

/** A checkpoint to resume from, a step to stop after, a Ctrl-C signal, a per-step callback. */
export type GrpoTrainOptions = TrainOptions;

function eosIds(model: Qwen3ForCausalLM): number[] {
  const eos = (model.config as { eos_token_id?: number | number[] | null }).eos_token_id;
  if (eos === undefined || eos === null) return [];
  return Array.isArray(eos) ? eos : [eos];
}

export class GrpoTrainer {
  readonly config: GRPOConfig;
  readonly model: Qwen3ForCausalLM;
  readonly lora: LoraHandle;
  readonly codec: TextCodec;
  readonly rollouts: RolloutSource;
  readonly train: readonly GrpoExample[];
  readonly rewardFunctions: readonly RewardFunction[];
  readonly eosTokenIds: number[];
  /** The shared training loop this trainer runs GRPO on. */
  readonly trainer: Trainer<GrpoMicroBatch, GrpoTaskState>;
  readonly optimizer: AdamW;
  private readonly task: GrpoTask;

  constructor(options: GrpoTrainerOptions) {
    this.config = grpoConfig(options.config);
    const c = this.config;
    if (!Array.isArray(options.train)) throw new TypeError('GrpoTrainer: train must be an array of { prompt, ... }');
    if (!options.train.length) throw new Error('GrpoTrainer: the training set is empty');
    if (typeof options.codec?.encode !== 'function' || typeof options.codec.decode !== 'function')
      throw new TypeError('GrpoTrainer: codec must have encode(text) and decode(ids)');
    options.train.forEach((ex, i) => {
      if (typeof ex !== 'object' || ex === null) throw new TypeError(`GrpoTrainer: train[${i}] must be an object`);
      if (typeof ex.prompt !== 'string' && !Array.isArray(ex.prompt))
        throw new Error(`GrpoTrainer: train[${i}].prompt must be a string or chat messages`);
      if (Array.isArray(ex.prompt)) {
        if (!options.codec.applyChatTemplate)
          throw new Error(`GrpoTrainer: train[${i}].prompt is chat messages but the codec has no applyChatTemplate`);
        // A role the template does not know renders nothing: the model would train on an empty prompt.
        (ex.prompt as unknown[]).forEach((value, j) => {
          const m = value as { role?: unknown; content?: unknown } | null;
          const at = `GrpoTrainer: train[${i}].prompt[${j}]`;
          if (typeof m !== 'object' || m === null) throw new TypeError(`${at} must be a message { role, content }`);
          if (!(CHAT_ROLES as readonly unknown[]).includes(m.role))
            throw new TypeError(`${at}.role must be one of ${CHAT_ROLES.join(', ')}, got ${JSON.stringify(m.role)}`);
          if (typeof m.content !== 'string')
            throw new TypeError(`${at}.content must be a string, got ${JSON.stringify(m.content) ?? 'undefined'}`);
        });
      }
    });
    if (!Array.isArray(options.rewardFunctions) || !options.rewardFunctions.length)
      throw new Error('GrpoTrainer: give at least one reward function');
    options.rewardFunctions.forEach((f, i) => {
      if (typeof f?.name !== 'string' || f.name === '')
        throw new TypeError(`GrpoTrainer: rewardFunctions[${i}].name must be a non-empty string (it keys the metrics)`);
      if (typeof f.score !== 'function')
        throw new TypeError(`GrpoTrainer: rewardFunctions[${i}] ('${f.name}'): score must be a function`);
    });
    const names = new Set<string>();
    for (const f of options.rewardFunctions) {
      if (names.has(f.name))
        throw new Error(`GrpoTrainer: two reward functions are named '${f.name}' (names key the metrics)`);
      names.add(f.name);
    }
    if (c.rewardWeights && c.rewardWeights.length !== options.rewardFunctions.length) {
      throw new Error(
        `GrpoTrainer: rewardWeights has ${c.rewardWeights.length} entries for ${options.rewardFunctions.length} reward functions`,
      );
    }
    this.model = options.model;
    this.lora = options.lora;
    this.codec = options.codec;
    this.train = options.train;
    this.rewardFunctions = options.rewardFunctions;
    this.eosTokenIds = options.eosTokenIds ?? eosIds(options.model);
    if (!this.eosTokenIds.length)
      throw new Error('GrpoTrainer: no EOS token id (the model config has none; pass eosTokenIds)');
    // An id outside the vocabulary is never generated: completions would never end before the length limit.
    const vocab = options.model.config.vocab_size;
    this.eosTokenIds.forEach((id, i) => {
      if (!Number.isInteger(id) || id < 0 || id >= vocab)
        throw new Error(`GrpoTrainer: eosTokenIds[${i}] = ${JSON.stringify(id)} is not a token id in [0, ${vocab})`);
    });
    this.rollouts =
      options.rollouts ?? new ModelRollouts(options.model, options.codec, { eosTokenIds: this.eosTokenIds });
    this.task = new GrpoTask({
      model: this.model,
      lora: this.lora,
      codec: this.codec,
      config: c,
      train: this.train,
      rewardFunctions: this.rewardFunctions,
      rollouts: this.rollouts,
      eosTokenIds: this.eosTokenIds,
    });
    this.trainer = new Trainer({ args: c, lora: this.lora, task: this.task, name: 'GrpoTrainer' });
    this.optimizer = this.trainer.optimizer;
  }

  /**
   * One rollout batch and its optimizer steps (numIterations of them, fewer if
   * `stopAt` comes first), written to metrics.jsonl; no checkpoint. trainLoop
   * is this plus resuming, progress and checkpoints.
   */
  async step(stopAt = this.trainer.maxSteps): Promise<GrpoStepMetrics[]> {
    const records: GrpoStepMetrics[] = [];
    do records.push(await this.trainer.step());
    while (!this.task.atBoundary() && this.trainer.globalStep < stopAt);
    return records;
  }

  /** Run (or resume) the training loop. */
  async trainLoop(options: GrpoTrainOptions = {}): Promise<GrpoTrainResult> {
    const result = await this.trainer.train(options);
    return { steps: result.steps, lastCheckpoint: result.lastCheckpoint };
  }
}

/** Train with GRPO in one call (TRL style). */
export async function trainGrpo(options: GrpoTrainerOptions & GrpoTrainOptions): Promise<GrpoTrainResult> {
  return new GrpoTrainer(options).trainLoop(options);
}
