import { mkdtempSync, readdirSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { Qwen3ForCausalLM, SafetensorsFile, qwen3Config, randomWeights } from '@molrl/model';
import { applyLora } from '@molrl/lora';
import { getBackend, setBackend } from '@molrl/tensor';
import { countReads, NonFiniteStepError } from '@molrl/train';
import { readMetrics } from '@molrl/progress';
import type { TokenLabel } from '../row-plan.js';
import { makeMicroBatch, type TrainingRow } from './batch.js';
import { molTrainingConfig } from './config.js';
import { MolTrainer, trainMol } from './trainer.js';
import { seededRandom } from '../reference.test-util.js';

beforeAll(async () => {
  await setBackend('cpu');
});

const VOCAB = 48;
const config = qwen3Config({
  vocab_size: VOCAB,
  hidden_size: 16,
  intermediate_size: 32,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  num_key_value_heads: 1,
  head_dim: 8,
  tie_word_embeddings: true,
});

function setup(dropout = 0.1) {
  const model = Qwen3ForCausalLM.fromWeights(config, randomWeights(config, { seed: 1 }));
  const lora = applyLora(model, { r: 4, alpha: 8, dropout, seed: 3 });
  return { model, lora };
}

/** Trace-like rows: a prompt, then decision / feedback turns, with an empty think block in some decisions. */
function makeRows(count: number, seed: number): TrainingRow[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const ids: number[] = [];
    const labels: TokenLabel[] = [];
    const emptyThink: boolean[] = [];
    const push = (label: TokenLabel, n: number, think = false) => {
      for (let i = 0; i < n; i++) {
        // Feedback follows a learnable pattern (the environment's answer); decisions are random.
        ids.push(label === 'feedback' ? (ids[ids.length - 1]! * 7 + 3) % VOCAB : Math.floor(random() * VOCAB));
        labels.push(label);
        emptyThink.push(think && i < 2);
      }
    };
    push('prompt', 3 + Math.floor(random() * 3));
    for (let turn = 0; turn < 2; turn++) {
      push('glue', 1);
      push('decision', 3 + Math.floor(random() * 3), turn === 0);
      push('feedback', 3 + Math.floor(random() * 2));
    }
    return { ids, labels, emptyThink };
  });
}

describe('makeMicroBatch', () => {
  it('shifts labels to the predicted token, stops at segment ends and pads with its own segment', () => {
    const rows: TrainingRow[] = [
      {
        ids: [1, 2, 3, 4, 5],
        labels: ['prompt', 'decision', 'decision', 'prompt', 'feedback'],
        segmentIds: [0, 0, 0, 1, 1],
      },
      { ids: [7, 8], labels: ['prompt', 'feedback'] },
    ];
    const b = makeMicroBatch(rows);
    expect(b.ids).toEqual([
      [1, 2, 3, 4, 5],
      [7, 8, 0, 0, 0],
    ]);
    expect(b.positionIds).toEqual([
      [0, 1, 2, 0, 1],
      [0, 1, 0, 1, 2],
    ]);
    expect(b.segmentIds[1]).toEqual([0, 0, 1, 1, 1]);
    expect(b.labels).toEqual([
      'decision',
      'decision',
      'prompt',
      'feedback',
      'prompt',
      'feedback',
      'prompt',
      'prompt',
      'prompt',
      'prompt',
    ]);
    expect([...b.targets.slice(0, 6)]).toEqual([2, 3, 0, 5, 0, 8]);
    expect([...b.sequenceIds.slice(0, 6)]).toEqual([0, 0, 0, 1, 1, 2]);
  });
});

describe('molTrainingConfig', () => {
  it('fills the paper defaults and names bad fields', () => {
    const c = molTrainingConfig({ outputDir: '/tmp/x' });
    expect(c).toMatchObject({
      learningRate: 1e-4,
      weightDecay: 0.1,
      globalBatchSize: 72,
      microBatchSize: 3,
      numEpochs: 3,
      mode: 'mol',
    });
    expect(() => molTrainingConfig({ outputDir: '/tmp/x', globalBatchSize: 10, microBatchSize: 3 })).toThrow(
      /globalBatchSize/,
    );
    expect(() => molTrainingConfig({ outputDir: '/tmp/x', mode: 'kl' as never })).toThrow(/mode/);
    expect(() => molTrainingConfig({ outputDir: '/tmp/x', learning_rate: 1 } as never)).toThrow(
      /unknown field 'learning_rate'/,
    );
  });
});

describe('MolTrainer', () => {
  const train = makeRows(12, 5);
  const validation = makeRows(3, 9);
  const base = {
    microBatchSize: 2,
    globalBatchSize: 4,
    learningRate: 2e-2,
    warmupSteps: 1,
    evalSteps: 3,
    progress: 'silent' as const,
  };

  it('learns the feedback, starts with KL 0 (a fresh adapter is the base model), and scores validation', async () => {
    const { model, lora } = setup(0);
    const outputDir = mkdtempSync(join(tmpdir(), 'mol-train-'));
    const result = await trainMol({
      model,
      lora,
      train,
      validation,
      config: { ...base, outputDir, maxSteps: 9, saveSteps: 0 },
    });
    expect(result.steps).toHaveLength(9);
    expect(Math.abs(result.steps[0]!.kl)).toBeLessThan(1e-5);
    expect(result.steps[8]!.kl).toBeGreaterThan(0);
    expect(result.steps[0]!.decision_tokens).toBeGreaterThan(0);
    expect(result.steps[0]!.feedback_tokens).toBeGreaterThan(0);
    expect(result.evals.map((e) => e.step)).toEqual([3, 6, 9]);
    expect(result.evals[2]!.eval_ce).toBeLessThan(result.evals[0]!.eval_ce);
    const lrs = result.steps.map((s) => s.lr);
    expect(lrs[0]).toBe(0); // warmup from 0
    expect(lrs[1]).toBeCloseTo(2e-2, 8);
    expect(lrs[8]).toBeLessThan(lrs[4]!); // cosine decay
    const metrics = readMetrics(join(outputDir, 'metrics.jsonl'));
    expect(metrics.filter((m) => 'loss' in m)).toHaveLength(9);
    expect(metrics.filter((m) => 'eval_ce' in m)).toHaveLength(3);
    // The end of the run is a checkpoint in PEFT's format plus optimizer and trainer state.
    const dir = join(outputDir, 'checkpoint-9');
    expect(readdirSync(dir).sort()).toEqual([
      'adapter_config.json',
      'adapter_model.safetensors',
      'optimizer.safetensors',
      'trainer_state.json',
    ]);
    const opt = await SafetensorsFile.open(join(dir, 'optimizer.safetensors'));
    expect(opt.names().some((n) => n.endsWith('lora_A.weight.exp_avg_sq'))).toBe(true);
    await opt.close();
    expect(JSON.parse(readFileSync(join(dir, 'trainer_state.json'), 'utf8'))).toMatchObject({
      globalStep: 9,
      epoch: 2,
      stepInEpoch: 3,
    });
  });

  it('resuming from a checkpoint continues the same loss curve exactly', async () => {
    const config = { ...base, maxSteps: 6, saveSteps: 3, eetb: true };
    const straightDir = mkdtempSync(join(tmpdir(), 'mol-straight-'));
    const a = setup();
    const straight = await trainMol({ ...a, train, validation, config: { ...config, outputDir: straightDir } });

    const stagedDir = mkdtempSync(join(tmpdir(), 'mol-staged-'));
    const b = setup();
    const first = await trainMol({
      ...b,
      train,
      validation,
      config: { ...config, outputDir: stagedDir },
      stopAfterStep: 3,
    });
    expect(first.steps).toHaveLength(3);
    expect(existsSync(join(stagedDir, 'checkpoint-3'))).toBe(true);
    // A fresh process: a new model and adapter, everything else from the checkpoint.
    const c = setup();
    const trainer = new MolTrainer({ ...c, train, validation, config: { ...config, outputDir: stagedDir } });
    const second = await trainer.trainLoop({ resumeFromCheckpoint: true });
    expect(second.steps.map((s) => s.step)).toEqual([4, 5, 6]);
    const strip = (s: object) => ({ ...s });
    expect([...first.steps, ...second.steps].map(strip)).toEqual(straight.steps.map(strip));
    expect([...first.evals, ...second.evals]).toEqual(straight.evals);
    const metrics = readMetrics(join(stagedDir, 'metrics.jsonl')).filter((m) => 'loss' in m);
    expect(metrics.map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('refuses to resume with another loss setting, and resumes with another base-cache budget', async () => {
    const outputDir = mkdtempSync(join(tmpdir(), 'mol-settings-'));
    const config = { ...base, maxSteps: 4, saveSteps: 2, outputDir };
    await trainMol({ ...setup(), train, validation, config, stopAfterStep: 2 });
    await expect(
      trainMol({ ...setup(), train, validation, config: { ...config, klWeight: 10, resumeFromCheckpoint: true } }),
    ).rejects.toThrow(/MolTrainer: checkpoint .*checkpoint-2 was written with other settings \(klWeight 1 → 10\)/);
    const resumed = await trainMol({
      ...setup(),
      train,
      validation,
      config: { ...config, baseCacheMb: 1, resumeFromCheckpoint: true },
    });
    expect(resumed.steps.map((r) => r.step)).toEqual([3, 4]);
  });

  it("precomputes each example's base distribution once: the same curve as running the base every step, with fewer forward passes", async () => {
    const config = { ...base, maxSteps: 9, saveSteps: 0, eetb: true };
    const run = async (extra: object) => {
      // With LoRA dropout: the base pass draws no dropout masks either way, so the policy's are alike.
      const { model, lora } = setup();
      let forwards = 0;
      const hiddenSync = model.hiddenSync.bind(model);
      model.hiddenSync = (...args: Parameters<typeof model.hiddenSync>) => {
        forwards++;
        return hiddenSync(...args);
      };
      const trainer = new MolTrainer({
        model,
        lora,
        train,
        validation,
        config: { ...config, ...extra, outputDir: mkdtempSync(join(tmpdir(), 'mol-base-')) },
      });
      const result = await trainer.trainLoop();
      expect(trainer.baseCacheBytes).toBe(0); // released at the end of the run
      return { result, forwards };
    };
    const everyStep = await run({ precomputeBase: false });
    const precomputed = await run({});
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const overBudget = await run({ baseCacheMb: 1e-4 });
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/reached baseCacheMb/));
    warn.mockRestore();
    for (const other of [precomputed, overBudget]) {
      expect(other.result.steps).toHaveLength(9);
      other.result.steps.forEach((s, i) => {
        const ref = everyStep.result.steps[i]!;
        for (const k of ['loss', 'ce', 'kl', 'grad_norm'] as const) expect(s[k]).toBeCloseTo(ref[k], 5);
      });
      other.result.evals.forEach((e, i) => expect(e.eval_kl).toBeCloseTo(everyStep.result.evals[i]!.eval_kl, 5));
    }
    // 9 steps x 2 micro-batches and 3 evaluations x 2 micro-batches of the trained model; the base once per
    // example (12 + 3) when cached, or once per micro-batch (18 + 6) otherwise.
    expect(precomputed.forwards).toBe(18 + 6 + 15);
    expect(everyStep.forwards).toBe(2 * (18 + 6));
    expect(overBudget.forwards).toBeGreaterThan(precomputed.forwards);
  });

  it('trains on packed rows (segment ids) with per-sequence normalisation and the ce ablation', async () => {
    const packed: TrainingRow[] = [];
    for (let i = 0; i + 1 < train.length; i += 2) {
      const [a, b] = [train[i]!, train[i + 1]!];
      packed.push({
        ids: [...a.ids, ...b.ids],
        labels: [...a.labels, ...b.labels],
        segmentIds: [...a.ids.map(() => 1), ...b.ids.map(() => 2)],
      });
    }
    for (const mode of ['ce', 'mol'] as const) {
      const { model, lora } = setup(0);
      const outputDir = mkdtempSync(join(tmpdir(), 'mol-packed-'));
      const result = await trainMol({
        model,
        lora,
        train: packed,
        config: { ...base, outputDir, mode, normalization: 'sequence', maxSteps: 3, saveSteps: 0 },
      });
      expect(result.steps).toHaveLength(3);
      // Step 1 runs at the warmup's learning rate 0, so the adapter first moves in step 2.
      if (mode === 'ce') expect(result.steps.every((s) => s.kl === 0)).toBe(true);
      else expect(result.steps[2]!.kl).toBeGreaterThan(0);
      expect(result.steps.every((s) => Number.isFinite(s.loss) && s.loss > 0)).toBe(true);
    }
  });

  it('reads the device once per optimizer step, and once per evaluation', async () => {
    const plain = getBackend();
    const counter = countReads(plain);
    await setBackend(counter.backend);
    try {
      const { model, lora } = setup();
      const outputDir = mkdtempSync(join(tmpdir(), 'mol-reads-'));
      const trainer = new MolTrainer({
        model,
        lora,
        train,
        validation,
        config: { ...base, outputDir, maxSteps: 4, saveSteps: 0, evalSteps: 0 },
      });
      const readsAtStep: number[] = [];
      counter.reset();
      const result = await trainer.trainLoop({ onStep: () => readsAtStep.push(counter.reads) });
      // Two micro-batches a step, each with a loss, CE and KL: one read a step.
      expect(readsAtStep).toEqual([1, 2, 3, 4]);
      expect(result.evals).toHaveLength(1);
      counter.reset();
      await trainer.evaluate();
      expect(counter.reads).toBe(1);
    } finally {
      await setBackend(plain);
    }
  });

  it('stops on a non-finite loss with the step named, and writes no checkpoint after it', async () => {
    const { model, lora } = setup(0);
    const outputDir = mkdtempSync(join(tmpdir(), 'mol-nan-'));
    const run = trainMol({
      model,
      lora,
      train,
      config: {
        ...base,
        outputDir,
        maxSteps: 6,
        saveSteps: 1,
        learningRate: 1e30,
        lrSchedulerType: 'constant',
        warmupSteps: 0,
        warmupRatio: 0,
      },
    });
    await expect(run).rejects.toThrow(NonFiniteStepError);
    const error = (await run.catch((e: unknown) => e)) as NonFiniteStepError;
    expect(error.message).toMatch(new RegExp(`^MolTrainer: step ${error.step}: the loss is NaN`));
    const checkpoints = readdirSync(outputDir).filter((n) => n.startsWith('checkpoint-'));
    expect(checkpoints.sort()).toEqual(Array.from({ length: error.step - 1 }, (_, i) => `checkpoint-${i + 1}`).sort());
    const steps = readMetrics(join(outputDir, 'metrics.jsonl')).map((m) => m.step);
    expect(steps).toEqual(Array.from({ length: error.step - 1 }, (_, i) => i + 1));
    expect(steps.length).toBeGreaterThan(0);
  });

  it("a resume that finds no checkpoint does not keep the interrupted run's metrics lines", async () => {
    const config = { ...base, maxSteps: 3, saveSteps: 0, evalSteps: 0 };
    const outputDir = mkdtempSync(join(tmpdir(), 'mol-stale-'));
    // The first attempt was interrupted after logging steps 1 and 2, before any checkpoint.
    const lines = [1, 2].map((step) => JSON.stringify({ step, loss: 9 }));
    writeFileSync(join(outputDir, 'metrics.jsonl'), lines.join('\n') + '\n');
    const { model, lora } = setup();
    await trainMol({ model, lora, train, config: { ...config, outputDir }, resumeFromCheckpoint: true });
    const steps = readMetrics(join(outputDir, 'metrics.jsonl')).map((m) => m.step);
    expect(steps).toEqual([1, 2, 3]);
  });

  it('resumes a checkpoint of the earlier trainer (no examplesSeen) onto the same curve', async () => {
    const config = { ...base, maxSteps: 6, saveSteps: 4, evalSteps: 0 };
    const straightDir = mkdtempSync(join(tmpdir(), 'mol-straight-'));
    const straight = await trainMol({ ...setup(), train, config: { ...config, outputDir: straightDir } });
    const stagedDir = mkdtempSync(join(tmpdir(), 'mol-legacy-'));
    await trainMol({ ...setup(), train, config: { ...config, outputDir: stagedDir }, stopAfterStep: 4 });
    const file = join(stagedDir, 'checkpoint-4', 'trainer_state.json');
    const { examplesSeen, skippedSteps: _s, ...legacy } = JSON.parse(readFileSync(file, 'utf8'));
    expect(legacy).toMatchObject({ epoch: 1, stepInEpoch: 1 });
    expect(examplesSeen).toBe(16);
    writeFileSync(file, JSON.stringify(legacy));
    const resumed = await trainMol({
      ...setup(),
      train,
      config: { ...config, outputDir: stagedDir },
      resumeFromCheckpoint: true,
    });
    expect(resumed.steps.map((s) => s.step)).toEqual([5, 6]);
    expect(resumed.steps).toEqual(straight.steps.slice(4));
  });

  it('rejects bad rows by index and field', () => {
    const { model, lora } = setup();
    const bad = [...train, { ids: [1, 2], labels: ['prompt'] as TokenLabel[] }];
    expect(() => new MolTrainer({ model, lora, train: bad, config: { outputDir: '/tmp/unused' } })).toThrow(
      /train\[12\]: labels must have one entry per id/,
    );
    const make = (row: unknown) => () =>
      new MolTrainer({ model, lora, train: [...train, row as never], config: { outputDir: '/tmp/unused' } });
    const vocab = model.config.vocab_size;
    // Caught at construction, naming the row: not at a step, by an index into the flattened micro-batch.
    expect(make({ ids: [1, 2, 3], labels: ['prompt', 'decision', 'answer'] })).toThrow(
      'MolTrainer: train[12]: labels[2] is "answer"; expected prompt, decision, feedback, glue',
    );
    expect(make({ ids: [1, vocab], labels: ['prompt', 'feedback'] })).toThrow(
      `MolTrainer: train[12]: ids[1] = ${vocab} is outside the vocabulary [0, ${vocab})`,
    );
    expect(make({ ids: [1, '2'], labels: ['prompt', 'feedback'] })).toThrow(
      'MolTrainer: train[12]: ids[1] = "2" is not a token id',
    );
  });
});
