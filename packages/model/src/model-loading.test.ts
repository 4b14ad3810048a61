/**
 * What fromPretrained refuses: a header whose dtype contradicts the model (a
 * float weight declared I32 would load as its integer bit patterns), and
 * weights that are not finite.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setBackend } from '@molrl/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from './fixtures.test-util.js';
import { resolveModelDir } from './hub.js';
import { Qwen3ForCausalLM } from './model.js';
import { SafetensorsFile } from './safetensors/reader.js';
import { writeSafetensors, type TensorToWrite } from './safetensors/writer.js';

const TEST_BACKEND = process.env.MOLRL_TEST_BACKEND ?? 'cpu';
const tmp = () => mkdtempSync(join(tmpdir(), 'molrl-load-'));
const VICTIM = 'model.layers.0.self_attn.q_proj.weight';

/** A copy of tiny-f32 whose checkpoint has `edit` applied to the VICTIM tensor. */
async function editedCheckpoint(edit: (t: TensorToWrite & { data: Uint8Array }) => TensorToWrite): Promise<string> {
  const dir = tmp();
  cpSync(join(FIXTURES, 'tiny-f32'), dir, { recursive: true });
  const source = await SafetensorsFile.open(join(FIXTURES, 'tiny-f32', 'model.safetensors'));
  const tensors: TensorToWrite[] = [];
  for (const name of source.names()) {
    const e = source.entry(name);
    const t = { name, dtype: e.dtype, shape: e.shape, data: await source.readBytes(name) };
    tensors.push(name === VICTIM ? edit(t) : t);
  }
  await source.close();
  rmSync(join(dir, 'model.safetensors'));
  await writeSafetensors(join(dir, 'model.safetensors'), tensors);
  return dir;
}

describe('loading checks', () => {
  beforeAll(() => setBackend(TEST_BACKEND));

  it('refuses a float weight declared I32 (it would load as integers)', async () => {
    const dir = await editedCheckpoint((t) => ({ ...t, dtype: 'I32' }));
    await expect(Qwen3ForCausalLM.fromPretrained(dir)).rejects.toThrow(
      new RegExp(`tensor '${VICTIM.replace(/\./g, '\\.')}' is I32 in the checkpoint; a Qwen3 weight is floating point`),
    );
  });

  it('refuses NaN and infinite weights with the tensor named, unless allowed', async () => {
    for (const bad of [Number.NaN, Infinity]) {
      const dir = await editedCheckpoint((t) => {
        const values = new Float32Array(t.data.slice().buffer);
        values[5] = bad;
        return { ...t, data: new Uint8Array(values.buffer) };
      });
      await expect(Qwen3ForCausalLM.fromPretrained(dir)).rejects.toThrow(
        new RegExp(`tensor '${VICTIM.replace(/\./g, '\\.')}' holds ${bad} at element 5; weights must be finite`),
      );
      const m = await Qwen3ForCausalLM.fromPretrained(dir, { allowNonFinite: true });
      const w = await m.namedParameters().get(VICTIM)!.data();
      expect(w[5]).toBe(bad);
    }
  });

  it('refuses a weight past float16 range when storing as float16', async () => {
    const dir = await editedCheckpoint((t) => {
      const values = new Float32Array(t.data.slice().buffer);
      values[0] = 70000;
      return { ...t, data: new Uint8Array(values.buffer) };
    });
    await expect(Qwen3ForCausalLM.fromPretrained(dir, { dtype: 'float16' })).rejects.toThrow(
      /holds 70000 at element 0, past float16's range/,
    );
    await expect(Qwen3ForCausalLM.fromPretrained(dir, { dtype: 'bfloat16' })).resolves.toBeDefined();
  });

  it('checks its arguments', async () => {
    await expect(resolveModelDir(7 as never)).rejects.toThrow(
      /resolveModelDir: expected a model folder or a Hub repo id/,
    );
    await expect(Qwen3ForCausalLM.fromPretrained(42 as never)).rejects.toThrow(
      /fromPretrained: expected a model folder or a Hub repo id, got number/,
    );
    await expect(
      Qwen3ForCausalLM.fromPretrained(join(FIXTURES, 'tiny-f32'), { dtype: 'f16' as never }),
    ).rejects.toThrow(/options\.dtype must be 'auto', 'float32', 'bfloat16' or 'float16', got "f16"/);
  });

  it("stops on generation_config.json's eos_token_id too, and saves it back", async () => {
    const dir = tmp();
    cpSync(join(FIXTURES, 'tiny-f32'), dir, { recursive: true });
    expect((await Qwen3ForCausalLM.fromPretrained(dir)).stopTokenIds).toEqual([2]);
    // Qwen3's shape: config.json names one end token, generation_config.json two.
    writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ eos_token_id: [2, 5], do_sample: true }));
    const m = await Qwen3ForCausalLM.fromPretrained(dir);
    expect(m.stopTokenIds).toEqual([2, 5]);
    const saved = tmp();
    expect(await m.savePretrained(saved)).toContain('generation_config.json');
    expect((await Qwen3ForCausalLM.fromPretrained(saved)).stopTokenIds).toEqual([2, 5]);
    writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ eos_token_id: [2, 128] }));
    await expect(Qwen3ForCausalLM.fromPretrained(dir)).rejects.toThrow(
      `${join(dir, 'generation_config.json')}: eos_token_id[1] must be a token id in [0, 128), got 128`,
    );
    rmSync(dir, { recursive: true });
    rmSync(saved, { recursive: true });
  });

  it('still loads the reference checkpoint', async () => {
    const m = await Qwen3ForCausalLM.fromPretrained(join(FIXTURES, 'tiny-f32'));
    expect(m.config.hidden_size).toBe(
      JSON.parse(readFileSync(join(FIXTURES, 'tiny-f32', 'config.json'), 'utf8')).hidden_size,
    );
  });
});
