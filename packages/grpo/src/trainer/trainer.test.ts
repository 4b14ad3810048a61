import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readMetrics } from '@molrl/progress';
import { getBackend, logSoftmax, memory, setBackend } from '@molrl/tensor';
import { countReads } from '@molrl/train';
import { completionLengthMetrics, completionMask } from './completion-mask.js';
import { completionLogps } from './logps.js';
import { promptIndices } from './prompt-order.js';
import { scoreRewards, type RewardFunction } from './rewards.js';
import type { RolloutSource } from './rollout.js';
import { GrpoTrainer, trainGrpo } from './trainer.js';
import { defaultRewardScaling, GRPO_DEFAULTS, grpoConfig, type GRPOConfig } from './config.js';
import { ALPHABET, EOS, charCodec, tinySetup } from './test-model.test-util.js';

beforeAll(async () => {
  await setBackend('cpu');
});

describe('completionMask', () => {
  it('counts tokens up to and including the first EOS', () => {
    const m = completionMask([[4, 5, 9, 6, 9], [1, 2], [9]], [9]);
    expect(m.mask).toEqual([
      [1, 1, 1, 0, 0],
      [1, 1, 0, 0, 0],
      [1, 0, 0, 0, 0],
    ]);
    expect(m.lengths).toEqual([3, 2, 1]);
    expect(m.terminated).toEqual([true, false, true]);
  });
  it('masks truncated completions out entirely when asked', () => {
    expect(
      completionMask(
        [
          [1, 2],
          [3, 9],
        ],
        [9],
        { maskTruncated: true },
      ).mask,
    ).toEqual([
      [0, 0],
      [1, 1],
    ]);
  });
});

describe('completionLengthMetrics', () => {
  it("logs TRL's completions/* from the lengths up to EOS and the terminated flags", () => {
    const m = completionMask([[4, 5, 9, 6, 9], [1, 2], [9], [7, 7, 7, 7, 7]], [9]);
    expect(completionLengthMetrics(m.lengths, m.terminated)).toEqual({
      'completions/mean_length': 11 / 4,
      'completions/min_length': 1,
      'completions/max_length': 5,
      'completions/clipped_ratio': 0.5,
      'completions/mean_terminated_length': 2,
      'completions/min_terminated_length': 1,
      'completions/max_terminated_length': 3,
    });
  });
  it('gives 0 for the terminated lengths when no completion ended (as TRL)', () => {
    const m = completionLengthMetrics([4, 6], [false, false]);
    expect(m['completions/clipped_ratio']).toBe(1);
    expect(m['completions/mean_terminated_length']).toBe(0);
    expect(m['completions/min_terminated_length']).toBe(0);
    expect(m['completions/max_terminated_length']).toBe(0);
  });
});

describe('promptIndices', () => {
  it('walks seeded per-epoch shuffles and runs on across epochs', () => {
    const first = promptIndices(5, 7, 0, 10);
    expect([...first.slice(0, 5)].sort()).toEqual([0, 1, 2, 3, 4]);
    expect([...first.slice(5)].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(promptIndices(5, 7, 3, 4)).toEqual(first.slice(3, 7));
  });
});

describe('scoreRewards', () => {
  const batch = {
    examples: [{ prompt: 'a' }, { prompt: 'b' }, { prompt: 'c' }],
    completions: ['x', 'yy', 'zzz'],
    completionIds: [[1], [2, 2], [3, 3, 3]],
  };
  it('weights and sums the functions, skipping nulls as TRL nansum does, and runs them at once', async () => {
    const events: string[] = [];
    const slow = (name: string, values: (number | null)[]): RewardFunction => ({
      name,
      score: async () => {
        events.push(`${name} start`);
        await new Promise((r) => setTimeout(r, 20));
        events.push(`${name} end`);
        return values;
      },
    });
    const scores = await scoreRewards([slow('length', [1, 2, 3]), slow('other', [0.5, null, 1])], batch, [1, 2]);
    expect([...scores.total]).toEqual([2, 2, 5]);
    expect(Number.isNaN(scores.perFunction[1]![1]!)).toBe(true);
    // At once: the second starts before the first ends.
    expect(events).toEqual(['length start', 'other start', 'length end', 'other end']);
  });
  it('names a function that returns the wrong count or a bad value', async () => {
    await expect(scoreRewards([{ name: 'short', score: () => [1] }], batch, null)).rejects.toThrow(
      /reward function 'short' returned 1 values for 3 completions/,
    );
    await expect(scoreRewards([{ name: 'nan', score: () => [1, Number.NaN, 1] }], batch, null)).rejects.toThrow(
      /'nan' returned NaN for completion 1 \(a finite number, or null for none\)/,
    );
    await expect(scoreRewards([{ name: 'text', score: () => [1, '0.5', 1] as never }], batch, null)).rejects.toThrow(
      `reward function 'text' returned "0.5" for completion 1`,
    );
    await expect(scoreRewards([{ name: 'inf', score: () => [1, 1, -Infinity] }], batch, null)).rejects.toThrow(
      `reward function 'inf' returned -Infinity for completion 2`,
    );
    await expect(
      scoreRewards([{ name: 'obj', score: () => [{ reward: 1 }, 1, 1] as never }], batch, null),
    ).rejects.toThrow(`reward function 'obj' returned {"reward":1} for completion 0`);
    await expect(scoreRewards([{ name: 'a', score: () => [1, 1, 1] }], batch, [1, 2])).rejects.toThrow(
      /2 reward weights for 1 reward functions/,
    );
    const broken = {
      name: 'broken',
      score: () => {
        throw new Error('reward broke');
      },
    };
    await expect(scoreRewards([broken], batch, null)).rejects.toThrow("reward function 'broken' failed: reward broke");
  });
});

describe('completionLogps', () => {
  it('equals the log-softmax of an unpadded forward of each row, temperature applied', async () => {
    const { model } = tinySetup();
    const prompts = [
      [1, 2, 3, 4],
      [5, 6],
    ];
    const completions = [
      [7, 8],
      [9, 10, 11, EOS],
    ];
    const { logps, entropy } = completionLogps(model, { prompts, completions }, { temperature: 0.7, entropy: true });
    expect(logps.shape).toEqual([2, 4]);
    const got = await logps.data();
    for (let i = 0; i < 2; i++) {
      const row = [...prompts[i]!, ...completions[i]!];
      const { logits } = await model.forward([row]);
      const lp = await logSoftmax(logits.div(0.7), 2).data();
      const v = logits.shape[2]!;
      completions[i]!.forEach((tok, j) => {
        const pos = prompts[i]!.length - 1 + j;
        expect(got[i * 4 + j]).toBeCloseTo(lp[pos * v + tok]!, 4);
      });
    }
    const ent = await entropy!.data();
    expect(ent.every((e) => e > 0 && e <= Math.log(32) + 1e-4)).toBe(true);
    // Small chunks (several vocabulary and row passes) give the same numbers.
    const chunked = completionLogps(
      model,
      { prompts, completions },
      { temperature: 0.7, entropy: true, vocabChunk: 5, rowChunk: 3 },
    );
    (await chunked.logps.data()).forEach((v, i) => expect(v).toBeCloseTo(got[i]!, 5));
    (await chunked.entropy!.data()).forEach((v, i) => expect(v).toBeCloseTo(ent[i]!, 5));
  });
});

/** Reward: the share of completion characters from the first half of the alphabet (learnable by a tiny model). */
const shareOfA: RewardFunction = {
  name: 'share_of_a',
  score: ({ completions }) =>
    completions.map((c) => (c.length ? [...c].filter((ch) => ch < 'n').length / c.length : 0)),
};
const train = Array.from({ length: 6 }, (_, i) => ({ prompt: ALPHABET.slice(i, i + 3) }));

describe('GrpoTrainer', () => {
  const baseConfig = {
    numGenerations: 4,
    globalBatchSize: 8,
    microBatchSize: 4,
    maxCompletionLength: 6,
    learningRate: 1e-2,
    progress: 'silent' as const,
  };

  it('trains only the adapter, logs TRL metrics per step, and raises a learnable reward', async () => {
    const { model, lora } = tinySetup();
    const outputDir = mkdtempSync(join(tmpdir(), 'grpo-train-'));
    const base = await model.namedParameters().get('model.layers.0.self_attn.q_proj.weight')!.data();
    const result = await trainGrpo({
      model,
      lora,
      codec: charCodec,
      train,
      rewardFunctions: [shareOfA],
      config: {
        ...baseConfig,
        outputDir,
        maxSteps: 16,
        numIterations: 2,
        beta: 0.04,
        lossType: 'dr_grpo',
        scaleRewards: 'group', // advantages in std units: this learning rate raises the reward within 16 steps
        learningRate: 1e-1,
        saveSteps: 8,
      },
    });
    expect(result.steps.length).toBe(16);
    const records = readMetrics(join(outputDir, 'metrics.jsonl'));
    expect(records.length).toBe(16);
    for (const key of [
      'loss',
      'reward',
      'reward_std',
      'rewards/share_of_a/mean',
      'rewards/share_of_a/std',
      'advantages/std',
      'completions/mean_length',
      'completions/clipped_ratio',
      'completions/mean_terminated_length',
      'completions/min_terminated_length',
      'completions/max_terminated_length',
      'frac_reward_zero_std',
      'kl',
      'entropy',
      'clip_ratio/low_mean',
      'clip_ratio/high_mean',
      'clip_ratio/region_mean',
      'timing/rollout_s',
      'timing/reward_s',
      'timing/update_s',
      'grad_norm',
    ]) {
      expect(records[0]![key], key).toBeTypeOf('number');
    }
    // A fresh adapter (B = 0) is the reference model: no KL and ratio 1 on the first pass.
    expect(result.steps[0]!.kl).toBeLessThan(1e-6);
    expect(result.steps[0]!['clip_ratio/region_mean']).toBe(0);
    // The second pass over a batch sees a moved policy: ratios away from 1.
    expect(
      result.steps.filter((s) => s.iteration === 1).some((s) => s['clip_ratio/region_mean']! > 0 || s.kl! > 0),
    ).toBe(true);
    expect(await model.namedParameters().get('model.layers.0.self_attn.q_proj.weight')!.data()).toEqual(base);
    const early = result.steps.slice(0, 4).reduce((a, s) => a + s.reward!, 0) / 4;
    const late = result.steps.slice(-4).reduce((a, s) => a + s.reward!, 0) / 4;
    if (process.env.GRPO_TEST_VERBOSE) console.log({ early, late });
    expect(late).toBeGreaterThan(early + 0.1);
    expect(
      readdirSync(outputDir)
        .filter((n) => n.startsWith('checkpoint-'))
        .sort(),
    ).toEqual(['checkpoint-16', 'checkpoint-8']);
  });

  it('resumes from a checkpoint onto the same run', async () => {
    const config = {
      ...baseConfig,
      maxSteps: 4,
      numIterations: 1,
      lossType: 'grpo' as const,
      beta: 0.04,
      saveSteps: 2,
    };
    const a = tinySetup();
    const dirA = mkdtempSync(join(tmpdir(), 'grpo-full-'));
    const full = await trainGrpo({
      ...a,
      codec: charCodec,
      train,
      rewardFunctions: [shareOfA],
      config: { ...config, outputDir: dirA },
    });

    const b = tinySetup();
    const dirB = mkdtempSync(join(tmpdir(), 'grpo-staged-'));
    await trainGrpo({
      ...b,
      codec: charCodec,
      train,
      rewardFunctions: [shareOfA],
      config: { ...config, outputDir: dirB },
      stopAfterStep: 2,
    });
    const c = tinySetup();
    const resumed = await new GrpoTrainer({
      ...c,
      codec: charCodec,
      train,
      rewardFunctions: [shareOfA],
      config: { ...config, outputDir: dirB },
    }).trainLoop({ resumeFromCheckpoint: true });
    expect(resumed.steps.map((s) => s.step)).toEqual([3, 4]);
    for (let i = 0; i < 2; i++) {
      expect(resumed.steps[i]!.reward).toBeCloseTo(full.steps[i + 2]!.reward!, 6);
      expect(resumed.steps[i]!.loss).toBeCloseTo(full.steps[i + 2]!.loss, 5);
    }
    const pa = await a.lora.parameters()[1]!.data();
    const pc = await c.lora.parameters()[1]!.data();
    pa.forEach((v, i) => expect(pc[i]).toBeCloseTo(v, 5));
    expect(readMetrics(join(dirB, 'metrics.jsonl')).map((r) => r.step)).toEqual([1, 2, 3, 4]);
  });

  it('logs every completion with its prompt, rewards and advantage, cut back to the checkpoint on resume', async () => {
    const config = { ...baseConfig, maxSteps: 4, lossType: 'grpo' as const, saveSteps: 2, logCompletions: true };
    const rowsOf = (dir: string) => readMetrics(join(dir, 'completions.jsonl')).map(({ time: _time, ...row }) => row);
    const dirA = mkdtempSync(join(tmpdir(), 'grpo-log-full-'));
    const full = await trainGrpo({
      ...tinySetup(),
      codec: charCodec,
      train,
      rewardFunctions: [shareOfA],
      config: { ...config, outputDir: dirA },
    });
    const rows = rowsOf(dirA);
    expect(rows.length).toBe(config.maxSteps * config.globalBatchSize);
    expect(Object.keys(rows[0]!).sort()).toEqual(
      [
        'step',
        'prompt',
        'completion',
        'completion_length',
        'terminated',
        'rewards/share_of_a',
        'reward',
        'advantage',
      ].sort(),
    );
    const completions = rows.map((r) => r.completion as string);
    const scored = await shareOfA.score({ examples: [], completions, completionIds: [] });
    rows.forEach((row, i) => {
      expect(row['rewards/share_of_a']).toBeCloseTo(scored[i]!, 12);
      expect(row.reward).toBe(row['rewards/share_of_a']);
      expect(train.map((t) => t.prompt)).toContain(row.prompt);
    });
    for (const record of full.steps) {
      const group = rows.filter((r) => r.step === record.step);
      expect(group.length).toBe(config.globalBatchSize);
      const mean = (key: string) => group.reduce((a, r) => a + (r[key] as number), 0) / group.length;
      expect(mean('reward')).toBeCloseTo(record.reward!, 12);
      expect(mean('completion_length')).toBeCloseTo(record['completions/mean_length']!, 12);
      // 'group' scaling: each prompt's G advantages sum to zero.
      for (let p = 0; p < group.length; p += config.numGenerations) {
        const advantages = group.slice(p, p + config.numGenerations).map((r) => r.advantage as number);
        expect(advantages.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 5);
        expect(new Set(group.slice(p, p + config.numGenerations).map((r) => r.prompt)).size).toBe(1);
      }
    }

    // A run that wrote step 3's rows but died before its checkpoint: the resumed run drops them and writes them again.
    const dirB = mkdtempSync(join(tmpdir(), 'grpo-log-staged-'));
    const staged = { codec: charCodec, train, rewardFunctions: [shareOfA], config: { ...config, outputDir: dirB } };
    await trainGrpo({ ...tinySetup(), ...staged, stopAfterStep: 3 });
    rmSync(join(dirB, 'checkpoint-3'), { recursive: true });
    expect(rowsOf(dirB).length).toBe(3 * config.globalBatchSize);
    await new GrpoTrainer({ ...tinySetup(), ...staged }).trainLoop({ resumeFromCheckpoint: true });
    expect(rowsOf(dirB)).toEqual(rows);

    // A fresh start in the same folder begins the file again.
    await trainGrpo({ ...tinySetup(), ...staged, config: { ...staged.config, maxSteps: 1 } });
    expect(rowsOf(dirB)).toEqual(rows.filter((r) => r.step === 1));
  });

  for (const lossType of ['grpo', 'dr_grpo', 'dapo'] as const) {
    it(`accumulating micro-batches gives the whole batch's loss and gradient (${lossType})`, async () => {
      const run = async (microBatchSize: number) => {
        const { model, lora } = tinySetup();
        const trainer = new GrpoTrainer({
          model,
          lora,
          codec: charCodec,
          train,
          rewardFunctions: [shareOfA],
          config: {
            ...baseConfig,
            microBatchSize,
            lossType,
            beta: 0.1,
            maxGradNorm: 1e9,
            outputDir: mkdtempSync(join(tmpdir(), 'grpo-acc-')),
          },
        });
        return (await trainer.step())[0]!;
      };
      const whole = await run(8);
      const accumulated = await run(2);
      expect(accumulated.reward).toBe(whole.reward);
      expect(accumulated.loss).toBeCloseTo(whole.loss, 6);
      expect(accumulated.grad_norm).toBeCloseTo(whole.grad_norm, 6);
      expect(whole.grad_norm).toBeGreaterThan(0);
    });
  }

  it('refuses bad training inputs in the constructor, naming the entry', () => {
    const { model, lora } = tinySetup();
    const make = (over: Record<string, unknown>) => () =>
      new GrpoTrainer({
        model,
        lora,
        codec: { ...charCodec, applyChatTemplate: () => 'x' },
        train,
        rewardFunctions: [shareOfA],
        config: { ...baseConfig, outputDir: mkdtempSync(join(tmpdir(), 'grpo-bad-')) },
        ...over,
      } as never);
    const chat = (messages: unknown[]) => ({ train: [{ prompt: messages }] });
    // A role the template does not know would render an empty prompt, and train on it.
    expect(make(chat([{ role: 'human', content: 'hi' }]))).toThrow(
      'GrpoTrainer: train[0].prompt[0].role must be one of system, user, assistant, tool, got "human"',
    );
    expect(make(chat([{ role: 'user', content: 5 }]))).toThrow(
      'GrpoTrainer: train[0].prompt[0].content must be a string, got 5',
    );
    expect(make(chat([null]))).toThrow('GrpoTrainer: train[0].prompt[0] must be a message { role, content }');
    expect(make({ train: 'abc' })).toThrow('GrpoTrainer: train must be an array of { prompt, ... }');
    expect(make({ train: [null] })).toThrow('GrpoTrainer: train[0] must be an object');
    expect(make({ rewardFunctions: [{ score: () => [] }] })).toThrow(
      'GrpoTrainer: rewardFunctions[0].name must be a non-empty string (it keys the metrics)',
    );
    expect(make({ rewardFunctions: [{ name: 'r', score: 5 }] })).toThrow(
      "GrpoTrainer: rewardFunctions[0] ('r'): score must be a function",
    );
    expect(make({ codec: {} })).toThrow('GrpoTrainer: codec must have encode(text) and decode(ids)');
    const vocab = model.config.vocab_size;
    expect(make({ eosTokenIds: [1, vocab] })).toThrow(
      `GrpoTrainer: eosTokenIds[1] = ${vocab} is not a token id in [0, ${vocab})`,
    );
  });

  it('leaves no storage behind from one step to the next', async () => {
    const { model, lora } = tinySetup();
    const trainer = new GrpoTrainer({
      model,
      lora,
      codec: charCodec,
      train,
      rewardFunctions: [shareOfA],
      config: { ...baseConfig, outputDir: mkdtempSync(join(tmpdir(), 'grpo-mem-')), beta: 0.1, numIterations: 2 },
    });
    await trainer.step();
    const after1 = memory().storages;
    await trainer.step();
    await trainer.step();
    expect(memory().storages).toBe(after1);
  });

  /** Completions fixed in advance: rollouts that never touch the device. */
  const fixedRollouts: RolloutSource = {
    name: 'fixed',
    generate: async ({ prompts, numGenerations }) =>
      prompts.map((p, i) =>
        Array.from({ length: numGenerations }, (_, g) => {
          const ids = [(p.ids[0]! + g) % EOS, (i * 3 + g) % EOS, EOS];
          return { ids, text: charCodec.decode(ids) };
        }),
      ),
  };

  it('reads the device once per optimizer step (rollouts and rewards aside)', async () => {
    const plain = getBackend();
    const counter = countReads(plain);
    await setBackend(counter.backend);
    try {
      const { model, lora } = tinySetup({ dropout: 0.1 });
      const trainer = new GrpoTrainer({
        model,
        lora,
        codec: charCodec,
        train,
        rewardFunctions: [shareOfA],
        rollouts: fixedRollouts,
        config: {
          ...baseConfig,
          microBatchSize: 2,
          numIterations: 2,
          beta: 0.04,
          maxSteps: 4,
          saveSteps: 0,
          outputDir: mkdtempSync(join(tmpdir(), 'grpo-reads-')),
        },
      });
      const readsAtStep: number[] = [];
      counter.reset();
      const result = await trainer.trainLoop({ onStep: () => readsAtStep.push(counter.reads) });
      // Four micro-batches a step, each with a loss and five metric tensors: one read a step.
      expect(readsAtStep).toEqual([1, 2, 3, 4]);
      expect(result.steps.map((s) => s.iteration)).toEqual([0, 1, 0, 1]);
    } finally {
      await setBackend(plain);
    }
  });

  it('checkpoints only between rollout batches, and refuses a checkpoint of the earlier prompt order', async () => {
    const { model, lora } = tinySetup();
    const outputDir = mkdtempSync(join(tmpdir(), 'grpo-ckpt-'));
    const config = { ...baseConfig, numIterations: 2, maxSteps: 4, saveSteps: 1, outputDir };
    await trainGrpo({
      model,
      lora,
      codec: charCodec,
      train,
      rewardFunctions: [shareOfA],
      rollouts: fixedRollouts,
      config,
    });
    expect(
      readdirSync(outputDir)
        .filter((n) => n.startsWith('checkpoint-'))
        .sort(),
    ).toEqual(['checkpoint-2', 'checkpoint-4']);
    const file = join(outputDir, 'checkpoint-4', 'trainer_state.json');
    const state = JSON.parse(readFileSync(file, 'utf8'));
    expect(state).toMatchObject({ globalStep: 4, rolloutBatches: 2, promptsSeen: 4, examplesSeen: 4 });
    const { examplesSeen: _e, skippedSteps: _s, maxSteps: _m, ...legacy } = state;
    writeFileSync(file, JSON.stringify(legacy));
    const again = tinySetup();
    await expect(
      trainGrpo({
        ...again,
        codec: charCodec,
        train,
        rewardFunctions: [shareOfA],
        rollouts: fixedRollouts,
        config,
        resumeFromCheckpoint: true,
      }),
    ).rejects.toThrow(`GrpoTrainer: ${file} was written by an earlier GrpoTrainer, whose prompt order differs`);
  });

  it('dapo with every completion truncated and masked: a zero loss, not an error (TRL clamps the token count to 1)', async () => {
    const { model, lora } = tinySetup();
    const neverEnding: RolloutSource = {
      name: 'never-ending',
      generate: async ({ prompts, numGenerations, maxCompletionLength }) =>
        prompts.map(() =>
          Array.from({ length: numGenerations }, (_, g) => {
            const ids = Array.from({ length: maxCompletionLength }, (_, t) => (g + t) % EOS);
            return { ids, text: charCodec.decode(ids) };
          }),
        ),
    };
    const { steps } = await trainGrpo({
      model,
      lora,
      codec: charCodec,
      train,
      rewardFunctions: [shareOfA],
      rollouts: neverEnding,
      config: {
        ...baseConfig,
        lossType: 'dapo',
        maskTruncatedCompletions: true,
        maxSteps: 1,
        saveSteps: 0,
        outputDir: mkdtempSync(join(tmpdir(), 'grpo-dapo-masked-')),
      },
    });
    expect(steps[0]!.loss).toBe(0);
    expect(steps[0]!.num_tokens).toBe(0);
    expect(steps[0]!['completions/clipped_ratio']).toBe(1);
  });

  it('names bad configuration', () => {
    const { model, lora } = tinySetup();
    const make = (config: Record<string, unknown>) =>
      new GrpoTrainer({
        model,
        lora,
        codec: charCodec,
        train,
        rewardFunctions: [shareOfA],
        config: { outputDir: '/tmp/x', ...config },
      });
    expect(() => make({ globalBatchSize: 10, numGenerations: 4 })).toThrow(
      /globalBatchSize must be a multiple of numGenerations \(4\)/,
    );
    expect(() => make({ lossType: 'ppo' })).toThrow(/lossType must be one of grpo, bnpo, dr_grpo, dapo/);
    expect(() => make({ numGeneration: 4 })).toThrow(/unknown field 'numGeneration'/);
    expect(() => make({ rewardWeights: [1, 2] })).toThrow(/rewardWeights has 2 entries for 1 reward functions/);
    expect(() => make({ logCompletions: 'yes' })).toThrow(/logCompletions must be true or false/);
  });

  it("takes the reward scaling the loss type implies unless it is given: 'dr_grpo' alone is Dr.GRPO", () => {
    const scaling = (fields: Partial<GRPOConfig>) => grpoConfig({ outputDir: '/tmp/x', ...fields }).scaleRewards;
    expect(scaling({})).toBe('none'); // the default loss, Dr.GRPO
    expect(scaling({ lossType: 'dr_grpo' })).toBe('none');
    for (const lossType of ['grpo', 'bnpo', 'dapo'] as const) expect(scaling({ lossType })).toBe('group');
    expect(scaling({ lossType: 'dr_grpo', scaleRewards: 'group' })).toBe('group');
    expect(scaling({ lossType: 'grpo', scaleRewards: 'batch' })).toBe('batch');
    expect(GRPO_DEFAULTS.scaleRewards).toBe(defaultRewardScaling(GRPO_DEFAULTS.lossType));
    // Dr.GRPO scales nothing, so one completion per prompt is allowed; GRPO's group std needs two.
    expect(
      grpoConfig({ outputDir: '/tmp/x', numGenerations: 1, globalBatchSize: 4, microBatchSize: 4 }).numGenerations,
    ).toBe(1);
    expect(() =>
      grpoConfig({ outputDir: '/tmp/x', lossType: 'grpo', numGenerations: 1, globalBatchSize: 4, microBatchSize: 4 }),
    ).toThrow(/numGenerations must be >= 2 with scaleRewards 'group'/);
  });
});
