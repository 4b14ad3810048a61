import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Qwen3ForCausalLM, SafetensorsFile, writeSafetensors } from '@molrl/model';
import { AdamW, mean, setBackend, tensor, Tensor } from '@molrl/tensor';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import {
  checkpointDir,
  latestCheckpoint,
  listCheckpoints,
  loadTrainingCheckpoint,
  OPTIMIZER_FILE,
  pruneCheckpoints,
  removeIncompleteCheckpoints,
  saveTrainingCheckpoint,
  type CheckpointState,
} from './checkpoint.js';
import { applyLora } from './lora.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'model', 'fixtures');

interface State extends CheckpointState {
  epoch: number;
  note: string;
}

async function trainedRun(steps = 1) {
  const model = await Qwen3ForCausalLM.fromPretrained(join(FIXTURES, 'tiny-f32'));
  const lora = applyLora(model, { r: 4, alpha: 8, targetModules: ['q_proj', 'v_proj'] });
  const optimizer = new AdamW(lora.namedParameters(), { lr: 1e-2 });
  // Real steps (one by default) so the adapter's B and the AdamW moments are non-zero.
  for (let step = 0; step < steps; step++) {
    const { logits } = await model.forward([[1, 2, 3, 4]]);
    mean(logits).backward();
    optimizer.step();
  }
  return { model, lora, optimizer };
}

describe('training checkpoints', () => {
  beforeAll(async () => {
    await setBackend('cpu');
  });

  it('round-trips the adapter, the AdamW moments and the trainer state', async () => {
    const out = mkdtempSync(join(tmpdir(), 'molrl-ckpt-'));
    const a = await trainedRun();
    // Three steps, two of them skipped: the optimizer made one update.
    const dir = await saveTrainingCheckpoint(
      out,
      { globalStep: 3, skippedSteps: 2, epoch: 1, note: 'x' } as State,
      a.lora,
      a.optimizer,
    );
    expect(dir).toBe(checkpointDir(out, 3));
    expect(readdirSync(dir).sort()).toEqual([
      'adapter_config.json',
      'adapter_model.safetensors',
      'optimizer.safetensors',
      'trainer_state.json',
    ]);

    // A fresh run (no step: no moments, optimizer step 0) takes all of it from the checkpoint.
    const b = await trainedRun(0);
    expect(b.optimizer.stateDict().step).toBe(0);
    const state = await loadTrainingCheckpoint<State>(dir, b.lora, b.optimizer, ['epoch']);
    expect(state).toMatchObject({ globalStep: 3, skippedSteps: 2, epoch: 1, note: 'x' });
    const pa = new Map(a.lora.namedParameters());
    for (const [name, t] of b.lora.namedParameters())
      expect(Array.from(await t.data())).toEqual(Array.from(await pa.get(name)!.data()));
    const ma = a.optimizer.stateDict().state;
    const mb = b.optimizer.stateDict();
    expect(mb.step).toBe(1);
    expect(Object.keys(mb.state).sort()).toEqual(Object.keys(ma).sort());
    expect(Object.keys(ma)).toHaveLength(a.lora.namedParameters().length);
    for (const [name, { m, v }] of Object.entries(mb.state)) {
      expect(Array.from(await m.data())).toEqual(Array.from(await ma[name]!.m.data()));
      expect(Array.from(await v.data())).toEqual(Array.from(await ma[name]!.v.data()));
    }
  });

  it('refuses to write a checkpoint whose adapter or moments are not finite, and writes nothing', async () => {
    const out = mkdtempSync(join(tmpdir(), 'molrl-ckpt-'));
    const a = await trainedRun();
    await saveTrainingCheckpoint(out, { globalStep: 1 }, a.lora, a.optimizer);
    const [name, weight] = a.lora.namedParameters()[1]!;
    const values = Float32Array.from(await weight.data());
    values[5] = NaN;
    weight.assign(tensor(values, [...weight.shape]));
    await expect(saveTrainingCheckpoint(out, { globalStep: 2 }, a.lora, a.optimizer)).rejects.toThrow(
      `${checkpointDir(out, 2)} not written: adapter weight '${name}' holds NaN at element 5 (step 2)`,
    );
    const b = await trainedRun();
    const [momentOf, { v }] = Object.entries(b.optimizer.stateDict().state)[0]!;
    const second = Float32Array.from(await v.data());
    second[3] = Infinity;
    v.assign(tensor(second, [...v.shape]));
    await expect(saveTrainingCheckpoint(out, { globalStep: 3 }, b.lora, b.optimizer)).rejects.toThrow(
      `optimizer moment '${momentOf}.exp_avg_sq' holds Infinity at element 3 (step 3)`,
    );
    // Only the good checkpoint, and no temporary left behind.
    expect(readdirSync(out)).toEqual(['checkpoint-1']);
  });

  it('reads each adapter weight and moment once (on a device every read is a copy to the host)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'molrl-ckpt-'));
    const a = await trainedRun();
    const moments = Object.keys(a.optimizer.stateDict().state).length;
    const reads = vi.spyOn(Tensor.prototype, 'data');
    try {
      await saveTrainingCheckpoint(out, { globalStep: 1 }, a.lora, a.optimizer);
      expect(reads).toHaveBeenCalledTimes(a.lora.namedParameters().length + 2 * moments);
    } finally {
      reads.mockRestore();
    }
    // LoraHandle.save shows each weight to `inspect` as it writes it; a throw leaves no adapter file.
    const seen: string[] = [];
    await a.lora.save(join(out, 'adapter'), { inspect: (name, values) => void seen.push(`${name}:${values.length}`) });
    expect(seen.sort()).toEqual(
      a.lora
        .namedParameters()
        .map(([name, t]) => `${name}:${t.size}`)
        .sort(),
    );
    const refused = join(out, 'refused');
    await expect(
      a.lora.save(refused, {
        inspect: () => {
          throw new Error('not this one');
        },
      }),
    ).rejects.toThrow('not this one');
    expect(readdirSync(refused)).toEqual([]);
  });

  it('finds the latest complete checkpoint and prunes the oldest complete ones', async () => {
    const out = mkdtempSync(join(tmpdir(), 'molrl-ckpt-'));
    const a = await trainedRun();
    for (const step of [2, 10, 4]) await saveTrainingCheckpoint(out, { globalStep: step }, a.lora, a.optimizer);
    // A folder without trainer_state.json is never the one to resume from, nor one the limit counts or removes.
    mkdirSync(join(out, 'checkpoint-99'));
    expect(await latestCheckpoint(out)).toBe(checkpointDir(out, 10));
    expect((await listCheckpoints(out)).map((c) => [c.step, c.complete])).toEqual([
      [2, true],
      [4, true],
      [10, true],
      [99, false],
    ]);
    await pruneCheckpoints(out, 2);
    expect(readdirSync(out).sort()).toEqual(['checkpoint-10', 'checkpoint-4', 'checkpoint-99']);
    expect(await latestCheckpoint(join(out, 'missing'))).toBeNull();
    expect(await listCheckpoints(join(out, 'missing'))).toEqual([]);
  });

  it('never prunes the checkpoint just written, and drops those of an abandoned later run first', async () => {
    const out = mkdtempSync(join(tmpdir(), 'molrl-ckpt-'));
    const a = await trainedRun();
    // Steps 4 and 6 of a first run; resumed from 4, the second run writes 5.
    for (const step of [4, 6, 5]) await saveTrainingCheckpoint(out, { globalStep: step }, a.lora, a.optimizer);
    await pruneCheckpoints(out, 2, checkpointDir(out, 5));
    expect(readdirSync(out).sort()).toEqual(['checkpoint-4', 'checkpoint-5']);
    await pruneCheckpoints(out, 1, checkpointDir(out, 5));
    expect(readdirSync(out)).toEqual(['checkpoint-5']);
  });

  describe('refuses an optimizer file that is not the one saved with the state', () => {
    /** Rewrite the checkpoint's optimizer file: `edit` may change, drop or add tensors and the metadata. */
    async function rewriteOptimizer(
      dir: string,
      edit: (tensors: Map<string, { shape: number[]; data: Float32Array }>, metadata: Record<string, string>) => void,
    ): Promise<void> {
      const path = join(dir, OPTIMIZER_FILE);
      const file = await SafetensorsFile.open(path);
      const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
      for (const name of file.names())
        tensors.set(name, { shape: [...file.entry(name).shape], data: await file.readFloat32(name) });
      const metadata = { ...file.header.metadata };
      await file.close();
      edit(tensors, metadata);
      await writeSafetensors(
        path,
        [...tensors].map(([name, t]) => ({ name, dtype: 'F32' as const, shape: t.shape, data: () => t.data })),
        metadata,
      );
    }

    const cases: [string, Parameters<typeof rewriteOptimizer>[1], RegExp][] = [
      [
        "another step's",
        (_t, metadata) => (metadata.optimizer_step = '7'),
        /optimizer\.safetensors is from optimizer step 7, but .*trainer_state\.json is at step 1 \(globalStep - skippedSteps\): the two files come from different checkpoints/,
      ],
      [
        'one missing a parameter',
        (tensors) => {
          const name = [...tensors.keys()][0]!.replace(/\.exp_avg(_sq)?$/, '');
          tensors.delete(`${name}.exp_avg`);
          tensors.delete(`${name}.exp_avg_sq`);
        },
        /optimizer\.safetensors holds the moments of 7 parameters, but was written with 8: the file is incomplete/,
      ],
      [
        'a NaN moment',
        (tensors) => ([...tensors.values()][0]!.data[2] = NaN),
        /optimizer\.safetensors: '.*\.exp_avg' element 2 is NaN \(moments must be finite\): the file is damaged/,
      ],
      [
        'a negative squared moment',
        (tensors) => (tensors.get([...tensors.keys()].find((k) => k.endsWith('.exp_avg_sq'))!)!.data[0] = -1),
        /'.*\.exp_avg_sq' element 0 is -1 \(moments must be finite, squares >= 0\)/,
      ],
      [
        'a wrong-shaped moment',
        (tensors) => {
          for (const t of tensors.values()) t.shape = [t.data.length];
        },
        /optimizer\.safetensors: AdamW\.loadStateDict: moments of '.*' have shapes \[\d+\]\/\[\d+\]/,
      ],
    ];
    for (const [what, edit, error] of cases) {
      it(what, async () => {
        const out = mkdtempSync(join(tmpdir(), 'molrl-ckpt-'));
        const a = await trainedRun();
        const dir = await saveTrainingCheckpoint(out, { globalStep: 1 }, a.lora, a.optimizer);
        await loadTrainingCheckpoint(dir, a.lora, a.optimizer, []);
        await rewriteOptimizer(dir, edit);
        await expect(loadTrainingCheckpoint(dir, a.lora, a.optimizer, [])).rejects.toThrow(error);
      });
    }
  });

  it('names the file and the field of a bad trainer state', async () => {
    const out = mkdtempSync(join(tmpdir(), 'molrl-ckpt-'));
    const a = await trainedRun();
    const dir = await saveTrainingCheckpoint(out, { globalStep: 1, epoch: -1 } as State, a.lora, a.optimizer);
    await expect(loadTrainingCheckpoint<State>(dir, a.lora, a.optimizer, ['epoch'])).rejects.toThrow(
      `${join(dir, 'trainer_state.json')}: field 'epoch' must be an integer >= 0`,
    );
    await expect(loadTrainingCheckpoint<State>(out, a.lora, a.optimizer, [])).rejects.toThrow(
      /not a checkpoint folder/,
    );
  });

  it('removes the folders interrupted saves left, and only those', async () => {
    const out = mkdtempSync(join(tmpdir(), 'molrl-ckpt-'));
    const a = await trainedRun();
    await saveTrainingCheckpoint(out, { globalStep: 2 }, a.lora, a.optimizer);
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    for (const name of [`.checkpoint-4.tmp-${gone}-0`, `checkpoint-6.tmp-${gone}`]) {
      mkdirSync(join(out, name));
      writeFileSync(join(out, name, 'adapter_model.safetensors'), 'half');
    }
    expect((await removeIncompleteCheckpoints(out)).sort()).toEqual(
      [`.checkpoint-4.tmp-${gone}-0`, `checkpoint-6.tmp-${gone}`].sort(),
    );
    expect(readdirSync(out)).toEqual(['checkpoint-2']);
    expect(await latestCheckpoint(out)).toBe(checkpointDir(out, 2));
    // A live process's temporaries, in either form, are saves in progress: they stay.
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      const writing = [`.checkpoint-8.tmp-${live.pid}-0`, `checkpoint-10.tmp-${live.pid}`];
      for (const name of writing) mkdirSync(join(out, name));
      expect(await removeIncompleteCheckpoints(out)).toEqual([]);
      expect(readdirSync(out).sort()).toEqual(['checkpoint-2', ...writing].sort());
    } finally {
      live.kill();
    }
  });
});
