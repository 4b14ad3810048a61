/**
 * GRPO as a task of `@molrl/train`'s Trainer, following TRL's `GRPOTrainer`:
 * each rollout batch takes `globalBatchSize / numGenerations` prompts from the
 * data order, samples G completions for each (from the model or an
 * OpenAI-compatible server), scores them with every reward function at once,
 * turns the weighted rewards into group-relative advantages, and then serves
 * `numIterations` optimizer steps, each over all its micro-batches. Old
 * log-probs are taken before the first pass when there is more than one;
 * reference log-probs come from the same model with the adapter off.
 */
import { join } from 'node:path';
import type { LoraHandle } from '@molrl/lora';
import type { Qwen3ForCausalLM } from '@molrl/model';
import { mul, noGrad, sum, tensor, tidy, type Tensor } from '@molrl/tensor';
import type { DataOrder, MicroBatchLoss, StepContext, StepRecord, TrainingTask } from '@molrl/train';
import { groupAdvantages, rewardStdMetrics } from '../advantages.js';
import { grpoLossTensors } from '../loss.js';
import { CompletionLog, COMPLETIONS_FILE, type CompletionRecord } from './completion-log.js';
import { completionLengthMetrics, completionMask } from './completion-mask.js';
import type { GRPOConfig } from './config.js';
import { completionLogps } from './logps.js';
import type { RolloutPrompt, RolloutSource, TextCodec } from './rollout.js';
import { nanMeanStd, scoreRewards, type GrpoExample, type RewardFunction } from './rewards.js';

/** What one rollout batch measured and needs for its optimizer steps. */
interface RolloutBatch {
  metrics: Record<string, number>;
  prompts: number[][];
  completions: number[][];
  mask: number[][];
  advantages: Float32Array;
}

/** Completions [a, b) of a rollout batch, with their mask cut to the longest and the frozen log-probs. */
export interface GrpoMicroBatch {
  rollout: RolloutBatch;
  a: number;
  b: number;
  mask: number[][];
  numItemsInBatch: number;
  oldLogps?: Tensor;
  refLogps?: Tensor;
}

/** The GRPO part of trainer_state.json (beside the Trainer's globalStep, examplesSeen, ...). */
export interface GrpoTaskState {
  /** Rollout batches generated (each serves numIterations optimizer steps); also the sampling-seed counter. */
  rolloutBatches: number;
  /** Prompts consumed so far: the Trainer's examplesSeen, kept under its earlier name. */
  promptsSeen: number;
  /** The run's settings, in checkpoints of earlier versions (the Trainer's `args` now). */
  config?: GRPOConfig;
}

export interface GrpoTaskOptions {
  model: Qwen3ForCausalLM;
  lora: LoraHandle;
  codec: TextCodec;
  config: GRPOConfig;
  train: readonly GrpoExample[];
  rewardFunctions: readonly RewardFunction[];
  rollouts: RolloutSource;
  eosTokenIds: number[];
}

/** The rollout batch being served: its micro-batches and which iteration over it comes next. */
interface Serving {
  microBatches: GrpoMicroBatch[];
  frozen: Tensor[];
  iteration: number;
  /** When this iteration's update started (the first's includes the frozen log-probs). */
  started: number;
}

export class GrpoTask implements TrainingTask<GrpoMicroBatch, GrpoTaskState> {
  readonly name = 'grpo';
  readonly stateCounters = ['rolloutBatches', 'promptsSeen'];
  /** What is logged, not what is trained. */
  readonly resumableSettings = ['logCompletions'];
  readonly datasetSize: number;
  /** TRL divides by the accumulation steps except for dapo, whose divisor already spans the global batch. */
  readonly lossReduction: 'mean' | 'sum';
  rolloutBatches = 0;
  private serving: Serving | null = null;
  private readonly completionLog: CompletionLog | null;

  constructor(readonly options: GrpoTaskOptions) {
    this.datasetSize = options.train.length;
    this.lossReduction = options.config.lossType === 'dapo' ? 'sum' : 'mean';
    this.completionLog = options.config.logCompletions
      ? new CompletionLog(join(options.config.outputDir, COMPLETIONS_FILE))
      : null;
  }

  private get config(): GRPOConfig {
    return this.options.config;
  }

  private get promptsPerRollout(): number {
    return this.config.globalBatchSize / this.config.numGenerations;
  }

  stepsPerEpoch(): number {
    return (this.datasetSize / this.promptsPerRollout) * this.config.numIterations;
  }

  private prompt(example: GrpoExample): RolloutPrompt {
    const { codec } = this.options;
    const messages = Array.isArray(example.prompt) ? example.prompt : undefined;
    const text = messages
      ? codec.applyChatTemplate!(messages, { addGenerationPrompt: true })
      : (example.prompt as string);
    // TRL keeps the last maxPromptLength tokens of a prompt.
    const encoded = codec.encode(text);
    const ids = encoded.slice(-this.config.maxPromptLength);
    if (!ids.length)
      throw new Error(`GrpoTrainer: a prompt encodes to no tokens: ${JSON.stringify(text.slice(0, 80))}`);
    return {
      ids,
      text,
      ...(messages ? { messages } : {}),
      ...(ids.length < encoded.length ? { truncated: true } : {}),
    };
  }

  /** Generate and score one rollout batch of the next prompts of the data order. */
  private async rollout({ data, signal, step }: StepContext): Promise<RolloutBatch> {
    const c = this.config;
    const { rollouts, lora, train } = this.options;
    const g = c.numGenerations;
    const promptCount = this.promptsPerRollout;
    const examples = data.take(promptCount, { crossEpochs: true }).map((i) => train[i]!);
    const prompts = examples.map((ex) => this.prompt(ex));
    const t0 = performance.now();
    if (rollouts.syncPolicy) await rollouts.syncPolicy(lora, step - 1);
    const grouped = await rollouts.generate({
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
      ...(signal ? { signal } : {}),
    });
    const t1 = performance.now();
    if (grouped.length !== promptCount || grouped.some((group) => group.length !== g)) {
      throw new Error(
        `GrpoTrainer: rollout source '${rollouts.name}' did not return ${g} completions for each of ${promptCount} prompts`,
      );
    }
    const completions = grouped.flat();
    const rowExamples = examples.flatMap((ex) => new Array<GrpoExample>(g).fill(ex));
    const scores = await scoreRewards(
      this.options.rewardFunctions,
      {
        examples: rowExamples,
        completions: completions.map((x) => x.text),
        completionIds: completions.map((x) => x.ids),
      },
      c.rewardWeights,
    );
    const t2 = performance.now();
    this.rolloutBatches++;

    const completionIds = completions.map((x) => x.ids);
    const { mask, lengths, terminated } = completionMask(completionIds, this.options.eosTokenIds, {
      maskTruncated: c.maskTruncatedCompletions,
    });
    const advantages = groupAdvantages(scores.total, g, { scale: c.scaleRewards });
    if (this.completionLog) {
      const names = this.options.rewardFunctions.map((f) => `rewards/${f.name}`);
      await this.completionLog.write(
        step,
        completions.map((x, i): CompletionRecord => {
          const row: CompletionRecord = {
            step,
            prompt: prompts[Math.floor(i / g)]!.text,
            completion: x.text,
            completion_length: lengths[i]!,
            terminated: terminated[i]!,
            reward: scores.total[i]!,
            advantage: advantages[i]!,
          };
          names.forEach((name, j) => {
            const v = scores.perFunction[j]![i]!;
            row[name] = Number.isNaN(v) ? null : v;
          });
          return row;
        }),
      );
    }
    const metrics: Record<string, number> = {};
    this.options.rewardFunctions.forEach((f, j) => {
      const { mean, std } = nanMeanStd(scores.perFunction[j]!);
      metrics[`rewards/${f.name}/mean`] = mean;
      metrics[`rewards/${f.name}/std`] = std;
    });
    const spread = rewardStdMetrics(scores.total, g, { scale: c.scaleRewards });
    metrics.reward = nanMeanStd(scores.total).mean;
    metrics.reward_std = spread.rewardStd;
    metrics.frac_reward_zero_std = spread.fracRewardZeroStd;
    const adv = nanMeanStd(advantages);
    metrics['advantages/mean'] = adv.mean;
    metrics['advantages/std'] = adv.std;
    metrics['advantages/min'] = Math.min(...advantages);
    metrics['advantages/max'] = Math.max(...advantages);
    Object.assign(metrics, completionLengthMetrics(lengths, terminated));
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

  /** Log-probs of a micro-batch under noGrad (old policy, or the reference with the adapter off). */
  private frozenLogps(microBatches: readonly GrpoMicroBatch[], adapter: boolean): Tensor[] {
    const { model, lora } = this.options;
    const wasTraining = model.module.training;
    const wasEnabled = lora.enabled;
    model.eval();
    if (!adapter) lora.disable();
    try {
      return microBatches.map(({ rollout, a, b }) =>
        noGrad(
          () =>
            completionLogps(
              model,
              { prompts: rollout.prompts.slice(a, b), completions: rollout.completions.slice(a, b) },
              { temperature: this.config.temperature },
            ).logps,
        ),
      );
    } finally {
      if (!adapter && wasEnabled) lora.enable();
      if (wasTraining) model.train();
    }
  }

  /** A fresh rollout batch when the last one has served its iterations, else the next iteration over it. */
  async batches(context: StepContext): Promise<GrpoMicroBatch[]> {
    const c = this.config;
    if (this.serving && this.serving.iteration < c.numIterations) {
      this.serving.started = performance.now();
      return this.serving.microBatches;
    }
    this.release();
    const rollout = await this.rollout(context);
    const started = performance.now();
    const n = rollout.completions.length;
    // dapo's divisor: the loss mask's tokens in the whole batch (after maskTruncatedCompletions), at least 1
    // (TRL's num_items_in_batch.clamp(min=1)): a batch of truncated completions all masked out has a zero loss.
    const numItemsInBatch = Math.max(
      1,
      rollout.mask.reduce((s, row) => s + row.reduce((x, y) => x + y, 0), 0),
    );
    const microBatches: GrpoMicroBatch[] = [];
    for (let a = 0; a < n; a += c.microBatchSize) {
      const b = Math.min(n, a + c.microBatchSize);
      const width = Math.max(1, ...rollout.completions.slice(a, b).map((r) => r.length));
      const mask = rollout.mask
        .slice(a, b)
        .map((row) => [...row.slice(0, width), ...new Array<number>(Math.max(0, width - row.length)).fill(0)]);
      microBatches.push({ rollout, a, b, mask, numItemsInBatch });
    }
    const frozen: Tensor[] = [];
    if (c.numIterations > 1) {
      const old = this.frozenLogps(microBatches, true);
      old.forEach((t, m) => (microBatches[m]!.oldLogps = t));
      frozen.push(...old);
    }
    if (c.beta > 0) {
      const ref = this.frozenLogps(microBatches, false);
      ref.forEach((t, m) => (microBatches[m]!.refLogps = t));
      frozen.push(...ref);
    }
    this.serving = { microBatches, frozen, iteration: 0, started };
    return microBatches;
  }

  loss(microBatch: GrpoMicroBatch): MicroBatchLoss {
    const c = this.config;
    const { rollout, a, b, mask } = microBatch;
    const { logps, entropy } = completionLogps(
      this.options.model,
      { prompts: rollout.prompts.slice(a, b), completions: rollout.completions.slice(a, b) },
      { temperature: c.temperature, entropy: true },
    );
    const { loss, metricTensors } = grpoLossTensors({
      logps,
      oldLogps: microBatch.oldLogps,
      refLogps: microBatch.refLogps,
      advantages: rollout.advantages.subarray(a, b),
      mask,
      lossType: c.lossType,
      epsilonLow: c.epsilon,
      epsilonHigh: c.epsilonHigh ?? c.epsilon,
      beta: c.beta,
      maxCompletionLength: c.maxCompletionLength,
      numItemsInBatch: microBatch.numItemsInBatch,
      importanceSamplingLevel: c.importanceSamplingLevel,
      ...(c.delta !== null ? { delta: c.delta } : {}),
    });
    const maskT = tensor(mask);
    const entropySum = noGrad(() => tidy(() => sum(mul(entropy!, maskT))));
    // The loss's graph keeps what its backward needs; these handles are done with.
    for (const t of [logps, entropy, maskT]) if (t && !t.isDisposed) t.dispose();
    const { kl, low, high, region, tokens } = metricTensors;
    return { loss, metrics: { ...(kl ? { kl } : {}), low, high, region, tokens, entropy: entropySum } };
  }

  /** TRL's names: clip ratios and KL as means over micro-batches, entropy a token mean; the rollout's metrics beside. */
  stepMetrics(microBatches: readonly Record<string, number>[]): Record<string, number> {
    const serving = this.serving!;
    const k = microBatches.length;
    const total = (key: string) => microBatches.reduce((s, m) => s + m[key]!, 0);
    const tokens = total('tokens');
    return {
      ...serving.microBatches[0]!.rollout.metrics,
      ...(this.config.beta > 0 ? { kl: total('kl') / k } : {}),
      entropy: tokens ? total('entropy') / tokens : 0,
      'clip_ratio/low_mean': total('low') / k,
      'clip_ratio/high_mean': total('high') / k,
      'clip_ratio/region_mean': total('region') / k,
      num_tokens: tokens,
      iteration: serving.iteration,
      'timing/update_s': (performance.now() - serving.started) / 1000,
    };
  }

  endStep(): void {
    if (!this.serving) return;
    this.serving.iteration++;
    // The frozen log-probs serve only this rollout batch's iterations.
    if (this.serving.iteration >= this.config.numIterations) this.release();
  }

  describe(record: StepRecord): string {
    return `reward ${record.reward!.toFixed(3)} loss ${record.loss.toFixed(4)}`;
  }

  /** Between rollout batches: a checkpoint then holds all there is (a batch mid-way is not saved). */
  atBoundary(): boolean {
    return this.serving === null;
  }

  state({ data }: { data: DataOrder }): GrpoTaskState {
    return { rolloutBatches: this.rolloutBatches, promptsSeen: data.examplesSeen };
  }

  restore(state: GrpoTaskState): void {
    this.release();
    this.rolloutBatches = state.rolloutBatches;
  }

  /** Earlier GRPO trainers shuffled prompts with another seed mix, so their position means other prompts here. */
  legacyExamplesSeen(_state: Record<string, unknown>, file: string): number {
    throw new Error(
      `GrpoTrainer: ${file} was written by an earlier GrpoTrainer, whose prompt order differs from this version's ` +
        '(one data order for every trainer now): resuming would train on other prompts than the run began with. ' +
        'Start again in a new outputDir, or delete its checkpoint-* folders.',
    );
  }

  dispose(): void {
    this.release();
  }

  private release(): void {
    for (const t of this.serving?.frozen ?? []) if (!t.isDisposed) t.dispose();
    this.serving = null;
  }
}
