import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readMetrics } from '@molrl/progress';
import { getBackend, setBackend } from '@molrl/tensor';
import { trainingArgs, type TrainingArgs } from './args.js';
import { NonFiniteStepError } from './non-finite.js';
import type { StepRecord } from './task.js';
import { countReads, type ReadCounter } from './read-counter.js';
import { NextTokenTask, tinyLora, tinyRows } from './tiny.test-util.js';
import { Trainer } from './trainer.js';

let counter: ReadCounter;
beforeAll(async () => {
  counter = countReads(await setBackend('cpu'));
  await setBackend(counter.backend);
});

const rows = tinyRows(10);
const outDir = () => mkdtempSync(join(tmpdir(), 'molrl-train-'));

function setup(
  args: Partial<TrainingArgs> = {},
  options: { poison?: (step: number) => boolean; dropout?: number; microBatchSize?: number } = {},
) {
  const lora = tinyLora(options.dropout ?? 0.1);
  const full = trainingArgs({
    outputDir: outDir(),
    learningRate: 1e-2,
    microBatchSize: options.microBatchSize ?? 2,
    globalBatchSize: 4,
    maxSteps: 6,
    saveSteps: 0,
    progress: 'silent',
    ...args,
  });
  const task = new NextTokenTask(lora, rows, {
    microBatchSize: full.microBatchSize,
    globalBatchSize: full.globalBatchSize,
    ...(options.poison ? { poison: options.poison } : {}),
  });
  return { lora, task, trainer: new Trainer({ args: full, lora, task, name: 'TinyTrainer' }), args: full };
}

async function parameters(lora: ReturnType<typeof tinyLora>): Promise<number[]> {
  const out: number[] = [];
  for (const p of lora.parameters()) out.push(...(await p.data()));
  return out;
}

/** A window's expected record from its steps' records: means, and the last step's step, lr and grad_norm. */
function summary(steps: StepRecord[], window: number[]): Record<string, number> {
  const picked = window.map((step) => steps[step - 1]!);
  const last = picked.at(-1)!;
  const mean = (key: string) => picked.reduce((s, r) => s + r[key]!, 0) / picked.length;
  return {
    step: last.step,
    loss: mean('loss'),
    lr: last.lr,
    grad_norm: last.grad_norm,
    double: mean('double'),
    rows: mean('rows'),
  };
}

/** Add host-number metrics to every micro-batch of a step. */
function withMetrics(task: NextTokenTask, extra: (step: number) => Record<string, number>): void {
  const loss = task.loss.bind(task);
  task.loss = (batch, context) => {
    const out = loss(batch, context);
    return { ...out, metrics: { ...out.metrics, ...extra(context.step) } };
  };
}

describe('Trainer', () => {
  it('reads the device once per optimizer step, however many micro-batches', async () => {
    expect(getBackend()).toBe(counter.backend);
    const { trainer } = setup({ maxSteps: 4, microBatchSize: 1, globalBatchSize: 4 }, { microBatchSize: 1 });
    const readsAtStep: number[] = [];
    counter.reset();
    const result = await trainer.train({ onStep: () => readsAtStep.push(counter.reads) });
    // Four micro-batches a step, each with a loss and a metric tensor: still one read per step.
    expect(readsAtStep).toEqual([1, 2, 3, 4]);
    const last = result.steps[3]!;
    expect(last.double).toBeCloseTo(2 * last.loss, 5);
    expect(last.rows).toBe(1);
    expect(Number.isFinite(last.grad_norm) && last.grad_norm > 0).toBe(true);
  });

  it('resuming from a checkpoint continues the same run exactly (data order, dropout, optimizer, task state)', async () => {
    const straight = setup({ saveSteps: 3 });
    const full = await straight.trainer.train();
    expect(full.steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6]);

    const staged = setup({ saveSteps: 3 });
    const first = await staged.trainer.train({ stopAfterStep: 3 });
    expect(first.lastCheckpoint).toBe(join(staged.args.outputDir, 'checkpoint-3'));
    const state = JSON.parse(readFileSync(join(staged.args.outputDir, 'checkpoint-3', 'trainer_state.json'), 'utf8'));
    expect(state).toMatchObject({ globalStep: 3, examplesSeen: 10, skippedSteps: 0, maxSteps: 6, note: 'seen 10' });
    // A fresh process: a new model, adapter and task, everything else from the checkpoint.
    const again = setup({ saveSteps: 3, outputDir: staged.args.outputDir });
    const second = await again.trainer.train({ resumeFromCheckpoint: true });
    expect(second.resumedFrom).toBe(join(staged.args.outputDir, 'checkpoint-3'));
    expect(again.task.restored?.note).toBe('seen 10');
    const strip = ({ time: _t, ...r }: Record<string, unknown>) => r;
    expect([...first.steps, ...second.steps].map(strip)).toEqual(full.steps.map(strip));
    expect(await parameters(again.lora)).toEqual(await parameters(straight.lora));
    const logged = readMetrics(join(staged.args.outputDir, 'metrics.jsonl')).map((r) => r.step);
    expect(logged).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('a resume that finds no checkpoint starts afresh and drops the stale metrics lines', async () => {
    const { trainer, args } = setup({ maxSteps: 3 });
    // What an interrupted run left before its first checkpoint.
    writeFileSync(
      join(args.outputDir, 'metrics.jsonl'),
      [1, 2].map((step) => JSON.stringify({ step })).join('\n') + '\n',
    );
    const result = await trainer.train({ resumeFromCheckpoint: true });
    expect(result.resumedFrom).toBeNull();
    expect(readMetrics(join(args.outputDir, 'metrics.jsonl')).map((r) => r.step)).toEqual([1, 2, 3]);
  });

  it('stops on a non-finite loss before the update, naming the step; no checkpoint of it is written', async () => {
    const { trainer, args, lora } = setup({ saveSteps: 1 }, { poison: (step) => step === 3 });
    await trainer.train({ stopAfterStep: 2 });
    const before = await parameters(lora);
    const run = trainer.train();
    await expect(run).rejects.toThrow(NonFiniteStepError);
    await expect(run).rejects.toThrow(
      `TinyTrainer: step 3: the loss is NaN and the gradient norm is NaN; stopped before its update. The last checkpoint is ${join(args.outputDir, 'checkpoint-2')}.`,
    );
    expect(await parameters(lora)).toEqual(before);
    expect(readdirSync(args.outputDir).sort()).toEqual(['checkpoint-1', 'checkpoint-2', 'metrics.jsonl']);
    expect(readMetrics(join(args.outputDir, 'metrics.jsonl')).map((r) => r.step)).toEqual([1, 2]);
    expect(trainer.globalStep).toBe(2);
  });

  it('skips non-finite steps when asked: no update, counted in the records and the checkpoint', async () => {
    const { trainer, args, lora } = setup(
      { skipNonFiniteSteps: true, maxSteps: 5, saveSteps: 5 },
      { poison: (step) => step === 3 },
    );
    await trainer.train({ stopAfterStep: 2 });
    const afterTwo = await parameters(lora);
    await trainer.train({ stopAfterStep: 3 });
    expect(await parameters(lora)).toEqual(afterTwo);
    const result = await trainer.train();
    expect(result.steps.map((s) => s.step)).toEqual([4, 5]);
    expect(result.steps.map((s) => s.skipped_steps)).toEqual([1, 1]);
    expect(trainer.optimizer.stepCount).toBe(4);
    const records = readMetrics(join(args.outputDir, 'metrics.jsonl'));
    expect(records.map((r) => [r.step, r.skipped_steps])).toEqual([
      [1, 0],
      [2, 0],
      [3, 1],
      [4, 1],
      [5, 1],
    ]);
    expect(records[2]!.loss).toBeNull(); // NaN in JSON
    const state = JSON.parse(readFileSync(join(args.outputDir, 'checkpoint-5', 'trainer_state.json'), 'utf8'));
    expect(state).toMatchObject({ globalStep: 5, skippedSteps: 1 });
    const again = setup({ skipNonFiniteSteps: true, maxSteps: 5, outputDir: args.outputDir });
    await again.trainer.resume(true);
    // AdamW's bias correction counts the four updates made, the schedule the five steps.
    expect(again.trainer.optimizer.stepCount).toBe(4);
    expect(again.trainer.globalStep).toBe(5);
  });

  it('an abort while a checkpoint is written finishes the checkpoint, then stops', async () => {
    const { trainer, task, args } = setup({ saveSteps: 2 });
    const controller = new AbortController();
    const state = task.state.bind(task);
    task.state = (context) => {
      // Ctrl-C arrives while checkpoint-2 is being written.
      controller.abort(new Error('interrupted'));
      return state(context);
    };
    await expect(trainer.train({ signal: controller.signal })).rejects.toThrow('interrupted');
    expect(trainer.globalStep).toBe(2);
    expect(readdirSync(args.outputDir).sort()).toEqual(['checkpoint-2', 'metrics.jsonl']);
    expect(existsSync(join(args.outputDir, 'checkpoint-2', 'trainer_state.json'))).toBe(true);
    expect(task.disposed).toBe(1);
  });

  it('an abort inside a step stops at the next micro-batch and leaves no gradients behind', async () => {
    const { trainer, task, lora } = setup();
    const controller = new AbortController();
    const loss = task.loss.bind(task);
    task.loss = (batch, context) => {
      if (context.step === 2) controller.abort(new Error('interrupted'));
      return loss(batch, context);
    };
    await expect(trainer.train({ signal: controller.signal })).rejects.toThrow('interrupted');
    expect(trainer.globalStep).toBe(1);
    expect(lora.parameters().every((p) => p.grad === null)).toBe(true);
  });

  it('writes a record every logSteps steps and at the last', async () => {
    const { trainer, args } = setup({ logSteps: 2, maxSteps: 5 });
    const result = await trainer.train();
    expect(result.steps).toHaveLength(5);
    expect(readMetrics(join(args.outputDir, 'metrics.jsonl')).map((r) => r.step)).toEqual([2, 4, 5]);
  });

  it.each([
    { logSteps: 2, maxSteps: 5, windows: [[1, 2], [3, 4], [5]] },
    { logSteps: 3, maxSteps: 7, windows: [[1, 2, 3], [4, 5, 6], [7]] },
  ])(
    'with logSteps $logSteps a record averages the steps since the last one (step, lr, grad_norm: the last)',
    async ({ logSteps, maxSteps, windows }) => {
      const { trainer, args } = setup({ logSteps, maxSteps });
      const { steps } = await trainer.train();
      const records = readMetrics(join(args.outputDir, 'metrics.jsonl'));
      expect(records.map(({ time: _t, ...r }) => r)).toEqual(windows.map((w) => summary(steps, w)));
      // Not just the last step's values: the window's loss is another number.
      expect(records[0]!.loss).not.toBe(steps[logSteps - 1]!.loss);
      expect(Object.keys(records[0]!)).toEqual(['step', 'loss', 'lr', 'grad_norm', 'double', 'rows', 'time']);
    },
  );

  it('averages a key over the steps that have it; a key the last step lacks is still written', async () => {
    const { trainer, task, args } = setup({ logSteps: 3, maxSteps: 6 });
    withMetrics(task, (step) => ({
      ...(step % 2 ? { odd: step * 10 } : {}),
      ...(step === 1 || step === 4 ? { early: step } : {}),
    }));
    const { steps } = await trainer.train();
    expect(steps.map((s) => s.odd)).toEqual([10, undefined, 30, undefined, 50, undefined]);
    const records = readMetrics(join(args.outputDir, 'metrics.jsonl'));
    expect(records.map((r) => [r.step, r.odd, r.early])).toEqual([
      [3, 20, 1],
      [6, 50, 4],
    ]);
    expect(records[1]!.loss).toBeCloseTo((steps[3]!.loss + steps[4]!.loss + steps[5]!.loss) / 3, 12);
    // The last step's keys in its order, then those only earlier steps had (in the order they came).
    expect(Object.keys(records[1]!)).toEqual([
      'step',
      'loss',
      'lr',
      'grad_norm',
      'double',
      'rows',
      'early',
      'odd',
      'time',
    ]);
  });

  it("leaves skipped steps out of a window's means; a window of skipped steps only is its last step's record", async () => {
    const { trainer, args } = setup(
      { skipNonFiniteSteps: true, logSteps: 2, maxSteps: 6 },
      { poison: (step) => step >= 2 && step <= 4 },
    );
    const { steps } = await trainer.train();
    const records = readMetrics(join(args.outputDir, 'metrics.jsonl'));
    expect(records.map((r) => [r.step, r.loss, r.grad_norm, r.skipped_steps])).toEqual([
      [2, steps[0]!.loss, null, 1], // step 1's loss; the gradient norm and count of step 2
      [4, null, null, 3],
      [6, (steps[4]!.loss + steps[5]!.loss) / 2, steps[5]!.grad_norm, 3],
    ]);
  });

  it('resuming in the middle of a window writes the records of an uninterrupted run', async () => {
    const extra = (step: number) => ({ extra: step === 5 ? Infinity : step });
    const poison = (step: number) => step === 4;
    const run = { logSteps: 3, maxSteps: 7, saveSteps: 5, skipNonFiniteSteps: true };
    const straight = setup(run, { poison });
    withMetrics(straight.task, extra);
    await straight.trainer.train();
    const expected = readMetrics(join(straight.args.outputDir, 'metrics.jsonl')).map(({ time: _t, ...r }) => r);
    expect(expected.map((r) => [r.step, r.extra])).toEqual([
      [3, 2],
      [6, null], // Infinity
      [7, 7],
    ]);

    const staged = setup(run, { poison });
    withMetrics(staged.task, extra);
    await staged.trainer.train({ stopAfterStep: 5 });
    const dir = join(staged.args.outputDir, 'checkpoint-5');
    const state = JSON.parse(readFileSync(join(dir, 'trainer_state.json'), 'utf8'));
    expect(state.logWindow.steps).toBe(2);
    expect(state.logWindow.metrics).toContainEqual({ key: 'extra', sum: 'Infinity', count: 1, last: 'Infinity' });
    expect(state.logWindow.metrics).toContainEqual({ key: 'step', sum: 5, count: 1, last: 5 });
    // A fresh process resumes from checkpoint-5 (steps 4 and 5 of the window 4-6 not yet written).
    const again = setup({ ...run, outputDir: staged.args.outputDir }, { poison });
    withMetrics(again.task, extra);
    await again.trainer.train({ resumeFromCheckpoint: dir, stopAfterStep: 6 });
    const third = setup({ ...run, outputDir: staged.args.outputDir }, { poison });
    withMetrics(third.task, extra);
    await third.trainer.train({ resumeFromCheckpoint: true });
    const written = readMetrics(join(staged.args.outputDir, 'metrics.jsonl')).map(({ time: _t, ...r }) => r);
    expect(written).toEqual(expected);

    // A checkpoint without a window (an earlier version's): the window starts empty there.
    delete state.logWindow;
    writeFileSync(join(dir, 'trainer_state.json'), JSON.stringify(state));
    const legacy = setup({ ...run, outputDir: staged.args.outputDir }, { poison });
    withMetrics(legacy.task, extra);
    const { steps } = await legacy.trainer.train({ resumeFromCheckpoint: dir });
    const records = readMetrics(join(staged.args.outputDir, 'metrics.jsonl'));
    expect(records.map((r) => r.step)).toEqual([3, 6, 7]);
    expect(records[1]!.loss).toBe(steps[0]!.loss);
    expect(records[1]!.extra).toBe(6);
  });

  it('names a malformed logging window in trainer_state.json', async () => {
    const { trainer, args } = setup({ logSteps: 3, maxSteps: 4 });
    await trainer.train({ stopAfterStep: 2 });
    const file = join(args.outputDir, 'checkpoint-2', 'trainer_state.json');
    const state = JSON.parse(readFileSync(file, 'utf8'));
    expect(state.logWindow.steps).toBe(2);
    writeFileSync(file, JSON.stringify({ ...state, logWindow: { ...state.logWindow, steps: 3 } }));
    await expect(setup({ logSteps: 3, maxSteps: 4, outputDir: args.outputDir }).trainer.resume(true)).rejects.toThrow(
      `loadCheckpoint: ${file}: field 'logWindow': steps (3) exceeds globalStep (2)`,
    );
    state.logWindow.metrics[1].sum = null;
    writeFileSync(file, JSON.stringify(state));
    await expect(setup({ logSteps: 3, maxSteps: 4, outputDir: args.outputDir }).trainer.resume(true)).rejects.toThrow(
      `loadCheckpoint: ${file}: field 'logWindow': 'loss' sum must be a number`,
    );
  });

  it('refuses to resume with settings that change what is trained, naming each; the others may change', async () => {
    const { trainer, args } = setup({ maxSteps: 4, saveSteps: 2 });
    await trainer.train({ stopAfterStep: 2 });
    const changed = setup({
      maxSteps: 4,
      learningRate: 0.5,
      adamBetas: [0.8, 0.99],
      seed: 1,
      outputDir: args.outputDir,
    });
    await expect(changed.trainer.train({ resumeFromCheckpoint: true })).rejects.toThrow(
      `TinyTrainer: checkpoint ${join(args.outputDir, 'checkpoint-2')} was written with other settings ` +
        '(learningRate 0.01 → 0.5; adamBetas [0.9,0.999] → [0.8,0.99]; seed 42 → 1): resuming would not continue that run',
    );
    // Where it saves, how it reports, and skipping non-finite steps may change; the run goes on.
    const relaxed = setup({
      maxSteps: 4,
      saveSteps: 1,
      saveTotalLimit: 1,
      evalSteps: 3,
      skipNonFiniteSteps: true,
      outputDir: args.outputDir,
    });
    const result = await relaxed.trainer.train({ resumeFromCheckpoint: true });
    expect(result.steps.map((r) => r.step)).toEqual([3, 4]);
    // A task's own resumable settings: here none, so its fields (none beyond the args) are all compared.
    const state = JSON.parse(readFileSync(join(args.outputDir, 'checkpoint-4', 'trainer_state.json'), 'utf8'));
    expect(state.args).toMatchObject({ learningRate: 0.01, saveSteps: 1, seed: 42 });
  });

  it("compares the settings of an earlier version's checkpoint too (the task kept them as config)", async () => {
    const { trainer, args } = setup({ maxSteps: 4 });
    await trainer.train({ stopAfterStep: 2 });
    const file = join(args.outputDir, 'checkpoint-2', 'trainer_state.json');
    const { args: saved, ...rest } = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...rest, config: { ...saved, globalBatchSize: 8 } }));
    await expect(setup({ maxSteps: 4, outputDir: args.outputDir }).trainer.resume(true)).rejects.toThrow(
      /was written with other settings \(globalBatchSize 8 → 4\)/,
    );
  });

  it('refuses a checkpoint whose settings are damaged (not an object), rather than skip the settings check', async () => {
    const { trainer, args } = setup({ maxSteps: 4 });
    await trainer.train({ stopAfterStep: 2 });
    const file = join(args.outputDir, 'checkpoint-2', 'trainer_state.json');
    const { args: _saved, ...rest } = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...rest, args: 'lr=0.5' }));
    await expect(setup({ maxSteps: 4, outputDir: args.outputDir }).trainer.resume(true)).rejects.toThrow(
      `loadCheckpoint: ${file}: field 'args' must be an object (the run's settings), got "lr=0.5"`,
    );
    writeFileSync(file, JSON.stringify({ ...rest, config: [1, 2] }));
    await expect(setup({ maxSteps: 4, outputDir: args.outputDir }).trainer.resume(true)).rejects.toThrow(
      `loadCheckpoint: ${file}: field 'config' must be an object (the run's settings), got [1,2]`,
    );
  });

  it('resuming the latest refuses a newer checkpoint folder without trainer_state.json, rather than redo its steps', async () => {
    const { trainer, args } = setup({ maxSteps: 4, saveSteps: 2 });
    await trainer.train({ stopAfterStep: 2 });
    const damaged = join(args.outputDir, 'checkpoint-3');
    mkdirSync(damaged);
    await expect(
      setup({ maxSteps: 4, outputDir: args.outputDir }).trainer.train({ resumeFromCheckpoint: true }),
    ).rejects.toThrow(
      `TinyTrainer: ${damaged} has no trainer_state.json (damaged, or not written by this trainer), and the newest complete checkpoint is ${join(args.outputDir, 'checkpoint-2')}: remove the folder, or pass the checkpoint to resume from as resumeFromCheckpoint`,
    );
    // Named explicitly, the complete one resumes; the damaged folder is left as it is.
    const again = setup({ maxSteps: 4, outputDir: args.outputDir });
    const result = await again.trainer.train({ resumeFromCheckpoint: join(args.outputDir, 'checkpoint-2') });
    expect(result.steps.map((r) => r.step)).toEqual([3, 4]);
    expect(existsSync(damaged)).toBe(true);
    const none = setup({ maxSteps: 4 });
    mkdirSync(join(none.args.outputDir, 'checkpoint-1'));
    await expect(none.trainer.resume(true)).rejects.toThrow(/and there is no complete checkpoint/);
  });

  it('saveTotalLimit keeps the checkpoint just written, after a resume from an earlier one', async () => {
    const { trainer, args } = setup({ maxSteps: 6, saveSteps: 2 });
    await trainer.train({ stopAfterStep: 4 });
    const branch = setup({ maxSteps: 6, saveSteps: 2, saveTotalLimit: 1, outputDir: args.outputDir });
    const result = await branch.trainer.train({
      resumeFromCheckpoint: join(args.outputDir, 'checkpoint-2'),
      stopAfterStep: 3,
    });
    expect(result.lastCheckpoint).toBe(join(args.outputDir, 'checkpoint-3'));
    expect(readdirSync(args.outputDir).filter((n) => n.startsWith('checkpoint-'))).toEqual(['checkpoint-3']);
  });

  it('names a checkpoint of another run length, and one without a data position', async () => {
    const { trainer, args } = setup({ maxSteps: 2 });
    await trainer.train();
    const longer = setup({ maxSteps: 4, outputDir: args.outputDir });
    await expect(longer.trainer.train({ resumeFromCheckpoint: true })).rejects.toThrow(
      `TinyTrainer: checkpoint ${join(args.outputDir, 'checkpoint-2')} belongs to a run of 2 steps, this run has 4`,
    );
    const file = join(args.outputDir, 'checkpoint-2', 'trainer_state.json');
    const { examplesSeen: _e, ...legacy } = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify(legacy));
    const again = setup({ maxSteps: 2, outputDir: args.outputDir });
    await expect(again.trainer.resume(true)).rejects.toThrow(
      `TinyTrainer: ${file} has no 'examplesSeen' (written by an earlier version); cannot resume`,
    );
    again.task.legacyExamplesSeen = () => 8;
    await again.trainer.resume(true);
    expect(again.trainer.data.examplesSeen).toBe(8);
    await expect(setup().trainer.train({ resumeFromCheckpoint: join(args.outputDir, 'nope') })).rejects.toThrow(
      `TinyTrainer: no checkpoint at ${join(args.outputDir, 'nope')}`,
    );
  });
});
