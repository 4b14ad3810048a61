/**
 * What fromPretrained refuses: a header whose dtype contradicts the model (a
 * float weight declared I32 would load as its integer bit patterns), and
 * weights that are not finite.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
const TINY = join(FIXTURES, 'tiny-f32');

/** A copy of tiny-f32 whose config.json has `edit` applied; the folder and the config's path. */
function editedConfig(edit: (config: Record<string, unknown>) => void): { dir: string; configPath: string } {
  const dir = tmp();
  cpSync(TINY, dir, { recursive: true });
  const configPath = join(dir, 'config.json');
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  edit(config);
  writeFileSync(configPath, JSON.stringify(config));
  return { dir, configPath };
}

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

  it('refuses unknown options, naming the function and the key and suggesting the meant name', async () => {
    const known =
      /; known: revision, hubUrl, .*localFilesOnly, extraFiles, progress, backend, dtype, onProgress, allowNonFinite$/;
    for (const [key, meant] of [
      ['localFileOnly', 'localFilesOnly'],
      ['local_files_only', 'localFilesOnly'],
      ['token', 'accessToken'],
      ['torch_dtype', 'dtype'],
      ['revison', 'revision'],
    ]) {
      const load = Qwen3ForCausalLM.fromPretrained(TINY, { [key]: true } as never);
      await expect(load).rejects.toThrow(
        `Qwen3ForCausalLM.fromPretrained: unknown option '${key}' (did you mean '${meant}'?); known: `,
      );
      await expect(Qwen3ForCausalLM.fromPretrained(TINY, { [key]: true } as never)).rejects.toThrow(known);
    }
    await expect(Qwen3ForCausalLM.fromPretrained(TINY, { frobnicate: 1 } as never)).rejects.toThrow(
      /^Qwen3ForCausalLM\.fromPretrained: unknown option 'frobnicate'; known: /,
    );
    // A flag given as a string would count as set whatever it says.
    await expect(Qwen3ForCausalLM.fromPretrained(TINY, { localFilesOnly: 'false' as never })).rejects.toThrow(
      'Qwen3ForCausalLM.fromPretrained: options.localFilesOnly must be a boolean, got "false"',
    );
    await expect(Qwen3ForCausalLM.fromPretrained(TINY, { onProgress: 'yes' as never })).rejects.toThrow(
      'Qwen3ForCausalLM.fromPretrained: options.onProgress must be a function, got "yes"',
    );
    await expect(Qwen3ForCausalLM.fromPretrained(TINY, { dtype: 'bf16' as never })).rejects.toThrow(
      `options.dtype must be 'auto', 'float32', 'bfloat16' or 'float16', got "bf16" (did you mean 'bfloat16'?)`,
    );
  });

  it('reads a local folder as it is with localFilesOnly, never the network, as transformers does', async () => {
    const fetch = () => Promise.reject(new Error('no request may be made'));
    const m = await Qwen3ForCausalLM.fromPretrained(TINY, { localFilesOnly: true, fetch });
    expect(m.config.vocab_size).toBe(128);
    // A mistyped folder is not looked up in the Hub cache as if it were a repo id.
    await expect(Qwen3ForCausalLM.fromPretrained(join(TINY, 'nope'), { localFilesOnly: true })).rejects.toThrow(
      `'${join(TINY, 'nope')}' is neither an existing directory nor a Hub repo id (owner/name)`,
    );
  });

  it('refuses config.json token ids outside the vocabulary and dtypes it cannot load, naming the file and the field', async () => {
    const cases: [(c: Record<string, unknown>) => void, string][] = [
      [(c) => (c.eos_token_id = 500), 'field "eos_token_id" must be a token id in [0, 128) (vocab_size), got 500'],
      [(c) => (c.eos_token_id = [2, 128]), 'field "eos_token_id[1]" must be a token id in [0, 128)'],
      [(c) => (c.bos_token_id = -1), 'field "bos_token_id" must be a token id in [0, 128)'],
      [(c) => (c.pad_token_id = 999), 'field "pad_token_id" must be a token id in [0, 128)'],
      [(c) => (c.torch_dtype = 'float8_e4m3fn'), 'field "torch_dtype" is "float8_e4m3fn"; weights of that dtype'],
      [(c) => (c.quantization_config = { quant_method: 'fp8' }), 'field "quantization_config" is present'],
    ];
    for (const [edit, message] of cases) {
      const { dir, configPath } = editedConfig(edit);
      await expect(Qwen3ForCausalLM.fromPretrained(dir, { dtype: 'auto' })).rejects.toThrow(
        `${configPath}: ${message}`,
      );
      rmSync(dir, { recursive: true });
    }
  });

  it('names the float8 tensor and its dtype when a checkpoint holds one', async () => {
    const dir = await editedCheckpoint((t) => ({
      ...t,
      dtype: 'F8_E4M3',
      data: t.data.subarray(0, t.data.length / 4),
    }));
    await expect(Qwen3ForCausalLM.fromPretrained(dir)).rejects.toThrow(
      `${dir}: tensor '${VICTIM}' is F8_E4M3 (8-bit float) in the checkpoint, which is not loaded here; a Qwen3 weight must be F32, F16, BF16, F64`,
    );
  });

  it('names config.json and the missing field when a default it took does not fit the checkpoint', async () => {
    const cases: [string[], string][] = [
      [['hidden_size'], `has no "hidden_size" field: transformers' default hidden_size=4096 was used)`],
      [['vocab_size'], `has no "vocab_size" field: transformers' default vocab_size=151936 was used)`],
      [['num_hidden_layers'], `has no "num_hidden_layers" field: transformers' default num_hidden_layers=32 was used)`],
      [['tie_word_embeddings'], `has no "tie_word_embeddings" field: transformers' default tie_word_embeddings=false`],
      [
        ['head_dim', 'intermediate_size'],
        `has no "intermediate_size", "head_dim" fields: transformers' defaults intermediate_size=22016, head_dim=128 were used)`,
      ],
    ];
    for (const [fields, message] of cases) {
      const { dir, configPath } = editedConfig((c) => fields.forEach((f) => delete c[f]));
      await expect(Qwen3ForCausalLM.fromPretrained(dir)).rejects.toThrow(`(${configPath} ${message}`);
      rmSync(dir, { recursive: true });
    }
    // A field that is there says nothing of defaults.
    const { dir } = editedConfig((c) => (c.intermediate_size = 96));
    await expect(Qwen3ForCausalLM.fromPretrained(dir)).rejects.toThrow(/config\.json implies \[96, 64\]$/);
  });

  it('savePretrained refuses an unsupported dtype and unknown options before writing anything', async () => {
    const m = await Qwen3ForCausalLM.fromPretrained(TINY);
    const dir = join(tmp(), 'out');
    for (const [dtype, hint] of [
      ['float8', ' (8-bit floats are not supported: the weights are stored in 16 or 32 bits)'],
      ['fp8', ' (8-bit floats are not supported: the weights are stored in 16 or 32 bits)'],
      ['bf16', " (did you mean 'bfloat16'?)"],
      ['bfloat', " (did you mean 'bfloat16'?)"],
      ['int8', ''],
    ])
      await expect(m.savePretrained(dir, { dtype: dtype as never })).rejects.toThrow(
        `Qwen3ForCausalLM.savePretrained: options.dtype must be 'float32', 'bfloat16' or 'float16', got "${dtype}"${hint}`,
      );
    await expect(m.savePretrained(dir, { dtyp: 'float16' } as never)).rejects.toThrow(
      "Qwen3ForCausalLM.savePretrained: unknown option 'dtyp' (did you mean 'dtype'?); known: dtype, maxShardBytes",
    );
    await expect(m.savePretrained(dir, { max_shard_size: 1000 } as never)).rejects.toThrow(
      "unknown option 'max_shard_size' (did you mean 'maxShardBytes'?)",
    );
    await expect(m.savePretrained(dir, { maxShardBytes: 0 })).rejects.toThrow(
      'Qwen3ForCausalLM.savePretrained: options.maxShardBytes must be a positive integer (bytes), got 0',
    );
    expect(existsSync(dir)).toBe(false);
    m.dispose();
  });
});
