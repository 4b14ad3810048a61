import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Qwen3ForCausalLM } from '@molrl/model';
import { AdamW, mean, setBackend } from '@molrl/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkpointDir,
  latestCheckpoint,
  loadTrainingCheckpoint,
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

async function trainedRun() {
  const model = await Qwen3ForCausalLM.fromPretrained(join(FIXTURES, 'tiny-f32'));
  const lora = applyLora(model, { r: 4, alpha: 8, targetModules: ['q_proj', 'v_proj'] });
  const optimizer = new AdamW(lora.namedParameters(), { lr: 1e-2 });
  // One real step so the adapter's B and the AdamW moments are non-zero.
  const { logits } = await model.forward([[1, 2, 3, 4]]);
  mean(logits).backward();
  optimizer.step();
  return { model, lora, optimizer };
}

describe('training checkpoints', () => {
  beforeAll(async () => {
    await setBackend('cpu');
  });

  it('round-trips the adapter, the AdamW moments and the trainer state', async () => {
    const out = mkdtempSync(join(tmpdir(), 'molrl-ckpt-'));
    const a = await trainedRun();
    const dir = await saveTrainingCheckpoint(out, { globalStep: 3, epoch: 1, note: 'x' } as State, a.lora, a.optimizer);
    expect(dir).toBe(checkpointDir(out, 3));
    expect(readdirSync(dir).sort()).toEqual([
      'adapter_config.json',
      'adapter_model.safetensors',
      'optimizer.safetensors',
      'trainer_state.json',
    ]);

    const b = await trainedRun();
    for (const [, t] of b.lora.namedParameters()) t.assign(t.mul(0));
    const state = await loadTrainingCheckpoint<State>(dir, b.lora, b.optimizer, ['epoch']);
    expect(state).toMatchObject({ globalStep: 3, epoch: 1, note: 'x' });
    const pa = new Map(a.lora.namedParameters());
    for (const [name, t] of b.lora.namedParameters())
      expect(Array.from(await t.data())).toEqual(Array.from(await pa.get(name)!.data()));
    const ma = a.optimizer.stateDict().state;
    const mb = b.optimizer.stateDict();
    expect(mb.step).toBe(3);
    for (const [name, { m, v }] of Object.entries(mb.state)) {
      expect(Array.from(await m.data())).toEqual(Array.from(await ma[name]!.m.data()));
      expect(Array.from(await v.data())).toEqual(Array.from(await ma[name]!.v.data()));
    }
  });

  it('finds the latest complete checkpoint and prunes the oldest', async () => {
    const out = mkdtempSync(join(tmpdir(), 'molrl-ckpt-'));
    const a = await trainedRun();
    for (const step of [2, 10, 4]) await saveTrainingCheckpoint(out, { globalStep: step }, a.lora, a.optimizer);
    // A half-written folder (no trainer_state.json) is never the one to resume from.
    writeFileSync(join(out, 'checkpoint-99'), '');
    expect(await latestCheckpoint(out)).toBe(checkpointDir(out, 10));
    await pruneCheckpoints(out, 2);
    expect(existsSync(checkpointDir(out, 2))).toBe(false);
    expect(existsSync(checkpointDir(out, 4))).toBe(false);
    expect(existsSync(checkpointDir(out, 10))).toBe(true);
    expect(await latestCheckpoint(join(out, 'missing'))).toBeNull();
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
  });
});
