/**
 * The GRPO trainer, following TRL's `GRPOTrainer`: each rollout batch takes
 * `globalBatchSize / numGenerations` prompts, samples G completions for each
 * (from the model or an OpenAI-compatible server), scores them with every
 * reward function at once, turns the weighted rewards into group-relative
 * advantages, and then makes `numIterations` optimizer steps on that batch,
 * each accumulating gradients over all its micro-batches. Old log-probs are
 * taken before the first pass when there is more than one; reference
 * log-probs come from the same model with the adapter off. Only the LoRA
 * parameters train. Every optimizer step writes a JSONL metrics record with
 * TRL's metric names, and checkpoints resume onto the same run.
 */
import { join } from 'node:path';
import type { Qwen3ForCausalLM } from '@molrl/model';
import type { LoraHandle } from '@molrl/lora';
import { MetricsWriter, startProgress, truncateMetricsFile, type MetricRecord } from '@molrl/progress';
import {
  AdamW,
  clipGradNorm,
  warmupCosine,
  linearSchedule,
  mul,
  noGrad,
  sum,
  tensor,
  tidy,
  type LrSchedule,
  type Tensor,
} from '@molrl/tensor';
import { groupAdvantages, groupStds } from '../advantages.js';
import { grpoLossTensors } from '../loss.js';
import { grpoConfig, type GRPOConfig } from './config.js';
import { completionMask } from './completion-mask.js';
import { completionLogps } from './logps.js';
import { promptIndices } from './prompt-order.js';
import {
  latestCheckpoint,
  loadCheckpoint,
  pruneCheckpoints,
  saveCheckpoint,
  type GrpoTrainerState,
} from './checkpoint.js';
import { ModelRollouts, type RolloutPrompt, type RolloutSource, type TextCodec } from './rollout.js';
import { nanMeanStd, scoreRewards, type GrpoExample, type RewardFunction } from './rewards.js';

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

export interface GrpoTrainOptions {
  /** A checkpoint folder, or true for the latest under outputDir. */
  resumeFromCheckpoint?: string | boolean;
  /** Stop (with a checkpoint) once this many optimizer steps are done. */
  stopAfterStep?: number;
}

/** What one rollout batch measured, shared by its optimizer steps' records. */
interface RolloutSummary {
  metrics: Record<string, number>;
  prompts: number[][];
  completions: number[][];
  mask: number[][];
  advantages: Float32Array;
}

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
  readonly optimizer: AdamW;
  readonly train: readonly GrpoExample[];
  readonly rewardFunctions: readonly RewardFunction[];
  readonly eosTokenIds: number[];
  private readonly metrics: MetricsWriter;
  private rolloutBatches = 0;
  private promptsSeen = 0;

  constructor(options: GrpoTrainerOptions) {
    this.config = grpoConfig(options.config);
    const c = this.config;
    if (!options.train.length) throw new Error('GrpoTrainer: the training set is empty');
    options.train.forEach((ex, i) => {
      if (typeof ex.prompt !== 'string' && !Array.isArray(ex.prompt))
        throw new Error(`GrpoTrainer: train[${i}].prompt must be a string or chat messages`);
      if (Array.isArray(ex.prompt) && !options.codec.applyChatTemplate)
        throw new Error(`GrpoTrainer: train[${i}].prompt is chat messages but the codec has no applyChatTemplate`);
    });
    if (!options.rewardFunctions.length) throw new Error('GrpoTrainer: give at least one reward function');
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
    this.rollouts =
      options.rollouts ?? new ModelRollouts(options.model, options.codec, { eosTokenIds: this.eosTokenIds });
    const schedule: LrSchedule =
      c.lrSchedulerType === 'linear'
        ? linearSchedule(c.learningRate, c.warmupSteps, c.maxSteps)
        : c.lrSchedulerType === 'cosine'
          ? warmupCosine(c.learningRate, c.warmupSteps, c.maxSteps)
          : (step) => (step < c.warmupSteps ? (c.learningRate * step) / c.warmupSteps : c.learningRate);
    this.optimizer = new AdamW(this.lora.namedParameters(), {
      lr: schedule,
      betas: c.adamBetas,
      eps: c.adamEpsilon,
      weightDecay: c.weightDecay,
    });
    this.metrics = new MetricsWriter(join(c.outputDir, 'metrics.jsonl'));
  }

  private prompt(example: GrpoExample): RolloutPrompt {
    const messages = Array.isArray(example.prompt) ? example.prompt : undefined;
    const text = messages
      ? this.codec.applyChatTemplate!(messages, { addGenerationPrompt: true })
      : (example.prompt as string);
    // TRL keeps the last maxPromptLength tokens of a prompt.
    const ids = this.codec.encode(text).slice(-this.config.maxPromptLength);
    if (!ids.length)
      throw new Error(`GrpoTrainer: a prompt encodes to no tokens: ${JSON.stringify(text.slice(0, 80))}`);
    return messages ? { ids, text, messages } : { ids, text };
  }

  /** Generate and score one rollout batch. */
  private async rolloutBatch(): Promise<RolloutSummary> {
    const c = this.config;
    const g = c.numGenerations;
    const promptCount = c.globalBatchSize / g;
    const examples = promptIndices(this.train.length, c.seed, this.promptsSeen, promptCount).map((i) => this.train[i]!);
    const prompts = examples.map((ex) => this.prompt(ex));
    const t0 = performance.now();
    if (this.rollouts.syncPolicy) await this.rollouts.syncPolicy(this.lora, this.optimizer.stepCount);
    const grouped = await this.rollouts.generate({
      prompts,
      numGenerations: g,
      maxCompletionLength: c.maxCompletionLength,
      sampling: {
        temperature: c.temperature,
        topP: c.topP,
        topK: c.topK,
        minP: c.minP,
        repetitionPenalty: c.repetitionPenalty,
      },
      seed: c.seed * 1_000_003 + this.rolloutBatches * 7919,
    });
    const t1 = performance.now();
    if (grouped.length !== promptCount || grouped.some((group) => group.length !== g)) {
      throw new Error(
        `GrpoTrainer: rollout source '${this.rollouts.name}' did not return ${g} completions for each of ${promptCount} prompts`,
      );
    }
    const completions = grouped.flat();
    const rowExamples = examples.flatMap((ex) => new Array<GrpoExample>(g).fill(ex));
    const scores = await scoreRewards(
      this.rewardFunctions,
      {
        examples: rowExamples,
        completions: completions.map((x) => x.text),
        completionIds: completions.map((x) => x.ids),
      },
      c.rewardWeights,
    );
    const t2 = performance.now();
    this.rolloutBatches++;
    this.promptsSeen += promptCount;

    const completionIds = completions.map((x) => x.ids);
    const { mask, lengths, terminated } = completionMask(completionIds, this.eosTokenIds, {
      maskTruncated: c.maskTruncatedCompletions,
    });
    const advantages = groupAdvantages(scores.total, g, { scale: c.scaleRewards });
    const metrics: Record<string, number> = {};
    this.rewardFunctions.forEach((f, j) => {
      const { mean, std } = nanMeanStd(scores.perFunction[j]!);
      metrics[`rewards/${f.name}/mean`] = mean;
      metrics[`rewards/${f.name}/std`] = std;
    });
    const stds = groupStds(scores.total, g);
    const totals = nanMeanStd(scores.total);
    metrics.reward = totals.mean;
    metrics.reward_std = [...stds].reduce((a, b) => a + b, 0) / stds.length;
    metrics.frac_reward_zero_std = [...stds].filter((s) => Math.abs(s) < 1e-8).length / stds.length;
    const adv = nanMeanStd(advantages);
    metrics['advantages/mean'] = adv.mean;
    metrics['advantages/std'] = adv.std;
    metrics['advantages/min'] = Math.min(...advantages);
    metrics['advantages/max'] = Math.max(...advantages);
    const ended = lengths.filter((_, i) => terminated[i]);
    metrics['completions/mean_length'] = lengths.reduce((a, b) => a + b, 0) / lengths.length;
    metrics['completions/min_length'] = Math.min(...lengths);
    metrics['completions/max_length'] = Math.max(...lengths);
    metrics['completions/clipped_ratio'] = 1 - ended.length / lengths.length;
    metrics['completions/mean_terminated_length'] = ended.length ? ended.reduce((a, b) => a + b, 0) / ended.length : 0;
    const generated = completionIds.reduce((a, ids) => a + ids.length, 0);
    metrics['timing/rollout_s'] = (t1 - t0) / 1000;
    metrics['timing/reward_s'] = (t2 - t1) / 1000;
    metrics.rollout_tokens_per_s = generated / Math.max(1e-9, (t1 - t0) / 1000);
    return {
      metrics,
      prompts: completions.map((_, i) => prompts[Math.floor(i / g)]!.ids),
      completions: completionIds,
      mask,
      advantages,
    };
  }

  /** Per-micro-batch log-probs under noGrad (old policy, or the reference with the adapter off). */
  private async frozenLogps(batch: RolloutSummary, ranges: [number, number][], adapter: boolean): Promise<Tensor[]> {
    const wasTraining = this.model.module.training;
    const wasEnabled = this.lora.enabled;
    this.model.eval();
    if (!adapter) this.lora.disable();
    try {
      const out: Tensor[] = [];
      for (const [a, b] of ranges) {
        const { logps } = noGrad(() =>
          completionLogps(
            this.model,
            { prompts: batch.prompts.slice(a, b), completions: batch.completions.slice(a, b) },
            { temperature: this.config.temperature },
          ),
        );
        out.push(logps);
      }
      return out;
    } finally {
      if (!adapter && wasEnabled) this.lora.enable();
      if (wasTraining) this.model.train();
    }
  }

  /** The optimizer steps on one rollout batch; returns one record per step. */
  private async update(batch: RolloutSummary, stopAt: number): Promise<GrpoStepMetrics[]> {
    const c = this.config;
    const n = batch.completions.length;
    const ranges: [number, number][] = [];
    for (let a = 0; a < n; a += c.microBatchSize) ranges.push([a, Math.min(n, a + c.microBatchSize)]);
    const numItemsInBatch = batch.mask.reduce((s, row) => s + row.reduce((x, y) => x + y, 0), 0);
    const t0 = performance.now();
    const oldLogps = c.numIterations > 1 ? await this.frozenLogps(batch, ranges, true) : null;
    const refLogps = c.beta > 0 ? await this.frozenLogps(batch, ranges, false) : null;
    const records: GrpoStepMetrics[] = [];
    this.model.train();
    try {
      for (let iteration = 0; iteration < c.numIterations && this.optimizer.stepCount < stopAt; iteration++) {
        const tStep = performance.now();
        const lr = this.optimizer.lr;
        const sums = { loss: 0, kl: 0, entropy: 0, low: 0, high: 0, region: 0, tokens: 0 };
        for (let m = 0; m < ranges.length; m++) {
          const [a, b] = ranges[m]!;
          const width = Math.max(1, ...batch.completions.slice(a, b).map((r) => r.length));
          const mask = batch.mask
            .slice(a, b)
            .map((row) => [...row.slice(0, width), ...new Array<number>(Math.max(0, width - row.length)).fill(0)]);
          const { logps, entropy } = completionLogps(
            this.model,
            { prompts: batch.prompts.slice(a, b), completions: batch.completions.slice(a, b) },
            { temperature: c.temperature, entropy: true },
          );
          const { loss, metricTensors } = grpoLossTensors({
            logps,
            oldLogps: oldLogps?.[m],
            refLogps: refLogps?.[m],
            advantages: batch.advantages.subarray(a, b),
            mask,
            lossType: c.lossType,
            epsilonLow: c.epsilon,
            epsilonHigh: c.epsilonHigh ?? c.epsilon,
            beta: c.beta,
            maxCompletionLength: c.maxCompletionLength,
            numItemsInBatch,
            importanceSamplingLevel: c.importanceSamplingLevel,
            ...(c.delta !== null ? { delta: c.delta } : {}),
          });
          // TRL divides by the accumulation steps except for dapo, whose divisor already spans the global batch.
          const scaled = c.lossType === 'dapo' ? loss : mul(loss, 1 / ranges.length);
          scaled.backward();
          const maskT = tensor(mask);
          const entropySum = noGrad(() => tidy(() => sum(mul(entropy!, maskT))));
          const tokens = await metricTensors.tokens.item();
          sums.loss += await scaled.item();
          sums.kl += metricTensors.kl ? await metricTensors.kl.item() : 0;
          sums.low += await metricTensors.low.item();
          sums.high += await metricTensors.high.item();
          sums.region += await metricTensors.region.item();
          sums.entropy += await entropySum.item();
          sums.tokens += tokens;
          for (const t of [
            scaled,
            loss,
            logps,
            entropy,
            maskT,
            entropySum,
            metricTensors.kl,
            metricTensors.low,
            metricTensors.high,
            metricTensors.region,
            metricTensors.tokens,
          ]) {
            if (t && !t.isDisposed) t.dispose();
          }
        }
        const norm = c.maxGradNorm > 0 ? clipGradNorm(this.lora.parameters(), c.maxGradNorm) : null;
        const gradNorm = norm ? await norm.item() : Number.NaN;
        norm?.dispose();
        this.optimizer.step();
        this.optimizer.zeroGrad();
        const k = ranges.length;
        const record: GrpoStepMetrics = {
          step: this.optimizer.stepCount,
          loss: sums.loss,
          lr,
          grad_norm: gradNorm,
          ...batch.metrics,
          ...(c.beta > 0 ? { kl: sums.kl / k } : {}),
          entropy: sums.tokens ? sums.entropy / sums.tokens : 0,
          'clip_ratio/low_mean': sums.low / k,
          'clip_ratio/high_mean': sums.high / k,
          'clip_ratio/region_mean': sums.region / k,
          num_tokens: sums.tokens,
          iteration,
          'timing/update_s': (performance.now() - (iteration === 0 ? t0 : tStep)) / 1000,
        };
        records.push(record);
      }
    } finally {
      for (const t of [...(oldLogps ?? []), ...(refLogps ?? [])]) t.dispose();
    }
    return records;
  }

  private state(): GrpoTrainerState {
    return {
      globalStep: this.optimizer.stepCount,
      rolloutBatches: this.rolloutBatches,
      promptsSeen: this.promptsSeen,
      dropoutSeed: this.model.module.dropoutSeed,
      config: this.config,
    };
  }

  /**
   * One rollout batch and its optimizer steps (numIterations of them, fewer if
   * `stopAt` comes first), written to metrics.jsonl; no checkpoint. trainLoop
   * is this plus resuming, progress and checkpoints.
   */
  async step(stopAt = this.config.maxSteps): Promise<GrpoStepMetrics[]> {
    const batch = await this.rolloutBatch();
    const records = await this.update(batch, stopAt);
    for (const r of records) this.metrics.write({ ...r } as MetricRecord);
    return records;
  }

  /** Run (or resume) the training loop. */
  async trainLoop(options: GrpoTrainOptions = {}): Promise<GrpoTrainResult> {
    const c = this.config;
    if (options.resumeFromCheckpoint) {
      const dir =
        options.resumeFromCheckpoint === true ? await latestCheckpoint(c.outputDir) : options.resumeFromCheckpoint;
      if (dir) {
        const state = await loadCheckpoint(dir, this.lora, this.optimizer);
        this.rolloutBatches = state.rolloutBatches;
        this.promptsSeen = state.promptsSeen;
        this.model.module.dropoutSeed = state.dropoutSeed;
        await truncateMetricsFile(this.metrics.path, 'step', state.globalStep);
      } else if (typeof options.resumeFromCheckpoint === 'string') {
        throw new Error(`GrpoTrainer: no checkpoint at ${options.resumeFromCheckpoint}`);
      }
    }
    const stopAt = Math.min(c.maxSteps, options.stopAfterStep ?? c.maxSteps);
    const steps: GrpoStepMetrics[] = [];
    let lastCheckpoint: string | null = null;
    const progress = startProgress('grpo', c.maxSteps, { unit: 'steps', mode: c.progress });
    progress.update(this.optimizer.stepCount);
    try {
      while (this.optimizer.stepCount < stopAt) {
        const before = this.optimizer.stepCount;
        const records = await this.step(stopAt);
        steps.push(...records);
        const step = this.optimizer.stepCount;
        const last = records[records.length - 1]!;
        progress.update(step, `reward ${last.reward!.toFixed(3)} loss ${last.loss.toFixed(4)}`);
        const due = c.saveSteps > 0 && Math.floor(step / c.saveSteps) > Math.floor(before / c.saveSteps);
        if (due || step >= stopAt) {
          lastCheckpoint = await saveCheckpoint(c.outputDir, this.state(), this.lora, this.optimizer);
          await pruneCheckpoints(c.outputDir, c.saveTotalLimit);
        }
      }
    } finally {
      progress.stop();
    }
    return { steps, lastCheckpoint };
  }
}

/** Train with GRPO in one call (TRL style). */
export async function trainGrpo(options: GrpoTrainerOptions & GrpoTrainOptions): Promise<GrpoTrainResult> {
  return new GrpoTrainer(options).trainLoop(options);
}
