import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Qwen3ForCausalLM, SafetensorsFile, writeSafetensors } from '@molrl/model';
import { AdamW, mean, setBackend } from '@molrl/tensor';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  checkpointDir,
  listCheckpoints,
  loadTrainingCheckpoint,
  pruneCheckpoints,
  saveTrainingCheckpoint,
  TRAINER_STATE_FILE,
} from './checkpoint.js';
import { fromPeftConfig } from './config.js';
import { applyLora, loadLora } from './lora.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'model', 'fixtures');
const PEFT_LORA = join(FIXTURES, 'peft-lora');
const tmp = () => mkdtempSync(join(tmpdir(), 'molrl-lora-bad-'));
const peftConfig = () => JSON.parse(readFileSync(join(PEFT_LORA, 'adapter_config.json'), 'utf8')) as object;

/** The fixture adapter copied to a new folder, its config's fields replaced by `config`. */
function adapterFolder(config: Record<string, unknown> = {}): string {
  const dir = tmp();
  cpSync(PEFT_LORA, dir, { recursive: true });
  writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({ ...peftConfig(), ...config }));
  return dir;
}

/** Rewrite a weights file: `edit` gets each tensor's name, shape and values and returns them (or null to drop it). */
async function rewriteWeights(
  path: string,
  edit: (name: string, shape: number[], data: Float32Array) => [string, number[], Float32Array] | null,
): Promise<void> {
  const f = await SafetensorsFile.open(path);
  const tensors = [];
  for (const name of f.names()) {
    const out = edit(name, [...f.entry(name).shape], await f.readFloat32(name));
    if (out) tensors.push({ name: out[0], dtype: 'F32' as const, shape: out[1], data: out[2] });
  }
  await f.close();
  await writeSafetensors(path, tensors);
}

describe('@molrl/lora refuses bad input, naming it', () => {
  let model: Qwen3ForCausalLM;
  const noAdapters = () => [...model.linearLayers().values()].every((l) => l.adapter === null);
  beforeAll(async () => {
    await setBackend('cpu');
  });
  beforeEach(async () => {
    model = await Qwen3ForCausalLM.fromPretrained(join(FIXTURES, 'tiny-f32'));
  });

  it('applyLora: an unknown option is named with the one it most likely meant', () => {
    expect(() => applyLora(model, { r: 8, alpha: 16, dropuot: 0.1 } as never)).toThrow(
      "applyLora: options: unknown option 'dropuot' (did you mean 'dropout'?); known: r, alpha, dropout, targetModules, useRslora, seed, excludeModules, initLoraWeights, baseModelName",
    );
    expect(() => applyLora(model, { r: 8, alpha: 16, base_model_name: 'x' } as never)).toThrow(
      /unknown option 'base_model_name' \(did you mean 'baseModelName'\?\)/,
    );
    expect(noAdapters()).toBe(true);
  });

  it('loadLora and loadWeights: a misspelt or mistyped option is refused before anything is loaded', async () => {
    await expect(loadLora(model, PEFT_LORA, { allowNonfinite: true } as never)).rejects.toThrow(
      "loadLora: unknown option 'allowNonfinite' (did you mean 'allowNonFinite'?); known: allowNonFinite",
    );
    // A string is not a boolean: "false" would have loaded NaN weights.
    await expect(loadLora(model, PEFT_LORA, { allowNonFinite: 'false' } as never)).rejects.toThrow(
      'loadLora: options.allowNonFinite must be true or false, got string "false"',
    );
    await expect(loadLora(model, PEFT_LORA, null as never)).rejects.toThrow(
      'loadLora: options must be an object, got null',
    );
    expect(noAdapters()).toBe(true);
    const handle = applyLora(model, { r: 4, alpha: 8 });
    const path = join(PEFT_LORA, 'adapter_model.safetensors');
    await expect(handle.loadWeights(path, { allow_non_finite: true } as never)).rejects.toThrow(
      "LoraHandle.loadWeights: unknown option 'allow_non_finite' (did you mean 'allowNonFinite'?)",
    );
    await expect(handle.loadWeights(undefined as never)).rejects.toThrow(
      'LoraHandle.loadWeights: path must be a non-empty path string, got undefined',
    );
  });

  it('save: a misspelt option, an inspect that is not a function or a missing folder is refused; nothing is written', async () => {
    const handle = applyLora(model, { r: 4, alpha: 8 });
    const dir = join(tmp(), 'adapter');
    await expect(handle.save(dir, { inpsect: () => {} } as never)).rejects.toThrow(
      "LoraHandle.save: unknown option 'inpsect' (did you mean 'inspect'?); known: inspect",
    );
    await expect(handle.save(dir, { inspect: true } as never)).rejects.toThrow(
      'LoraHandle.save: options.inspect must be a function (name, values) => void, got boolean true',
    );
    await expect(handle.save(undefined as never)).rejects.toThrow(
      'LoraHandle.save: dir must be a non-empty path string, got undefined',
    );
    expect(existsSync(dir)).toBe(false);
  });

  it("loadLora: weights of another rank than the config's r name both files, before any layer is adapted", async () => {
    const dir = adapterFolder({ r: 8 });
    await expect(loadLora(model, dir)).rejects.toThrow(
      `${join(dir, 'adapter_model.safetensors')}: 'base_model.model.model.layers.0.mlp.down_proj.lora_A.weight' has shape [4, 128] ([r, in_features]: rank 4), but ${join(dir, 'adapter_config.json')} has "r": 8; the weights and the config are not from one adapter`,
    );
    expect(noAdapters()).toBe(true);
    // lora_B carries the rank in its second dimension.
    const onlyB = adapterFolder();
    await rewriteWeights(join(onlyB, 'adapter_model.safetensors'), (name, shape, data) =>
      name.endsWith('q_proj.lora_B.weight') ? [name, [shape[0]! * 2, shape[1]! / 2], data] : [name, shape, data],
    );
    await expect(loadLora(model, onlyB)).rejects.toThrow(
      /q_proj\.lora_B\.weight' has shape \[\d+, 2\] \(\[out_features, r\]: rank 2\), but .* has "r": 4/,
    );
    expect(noAdapters()).toBe(true);
  });

  it('loadLora: weights on layers the config does not select, or excludes, name the layer and the field', async () => {
    const dir = adapterFolder({ target_modules: ['q_proj', 'v_proj'] });
    await expect(loadLora(model, dir)).rejects.toThrow(
      `'base_model.model.model.layers.0.mlp.down_proj.lora_A.weight' adapts model.layers.0.mlp.down_proj, which ${join(dir, 'adapter_config.json')} does not select ("target_modules": ["q_proj","v_proj"]); the weights and the config are not from one adapter`,
    );
    const excluded = adapterFolder({ exclude_modules: ['model.layers.1.self_attn.k_proj'] });
    await expect(loadLora(model, excluded)).rejects.toThrow(
      /'base_model\.model\.model\.layers\.1\.self_attn\.k_proj\.lora_A\.weight' adapts model\.layers\.1\.self_attn\.k_proj, which .* leaves out \("exclude_modules": \["model\.layers\.1\.self_attn\.k_proj"\]\)/,
    );
    expect(noAdapters()).toBe(true);
  });

  it('adapter_config.json: a base_model_name_or_path that is not a string is refused, naming the field', async () => {
    expect(() => fromPeftConfig({ peft_type: 'LORA', base_model_name_or_path: 7 }, 'x/adapter_config.json')).toThrow(
      'x/adapter_config.json: field "base_model_name_or_path" must be a string or null, got 7',
    );
    expect(fromPeftConfig({ peft_type: 'LORA', base_model_name_or_path: null }).r).toBe(8);
    const dir = adapterFolder({ base_model_name_or_path: { name: 'tiny' } });
    await expect(loadLora(model, dir)).rejects.toThrow(/field "base_model_name_or_path" must be a string or null/);
  });

  it('loadWeights: a wrong-shaped tensor anywhere in the file leaves every weight as it was', async () => {
    const handle = applyLora(model, { r: 4, alpha: 8 });
    const before = await Promise.all(handle.parameters().map((t) => t.data()));
    const dir = adapterFolder();
    const path = join(dir, 'adapter_model.safetensors');
    const file = await SafetensorsFile.open(path);
    const names = file.names();
    await file.close();
    const last = names
      .filter((n) => n.endsWith('lora_A.weight'))
      .sort()
      .at(-1)!;
    await rewriteWeights(path, (name, shape, data) =>
      name === last ? [name, [shape[1]!, shape[0]!], data] : [name, shape, data],
    );
    await expect(handle.loadWeights(path)).rejects.toThrow(/has shape \[\d+, 4\], the adapter needs \[4, \d+\]/);
    const after = await Promise.all(handle.parameters().map((t) => t.data()));
    expect(after).toEqual(before);
  });
});

describe('training checkpoints refuse bad counters and limits', () => {
  beforeAll(async () => {
    await setBackend('cpu');
  });

  async function run() {
    const model = await Qwen3ForCausalLM.fromPretrained(join(FIXTURES, 'tiny-f32'));
    const lora = applyLora(model, { r: 4, alpha: 8, targetModules: ['q_proj'] });
    const optimizer = new AdamW(lora.namedParameters(), { lr: 1e-2 });
    mean((await model.forward([[1, 2, 3]])).logits).backward();
    optimizer.step();
    return { lora, optimizer };
  }

  it('saveTrainingCheckpoint: a globalStep or skippedSteps that no checkpoint could have is refused, nothing written', async () => {
    const { lora, optimizer } = await run();
    const out = tmp();
    const save = (state: object) => saveTrainingCheckpoint(out, state as never, lora, optimizer);
    // NaN once wrote checkpoint-NaN, which listCheckpoints and resume never find.
    await expect(save({ globalStep: Number.NaN })).rejects.toThrow(
      "saveTrainingCheckpoint: field 'globalStep' must be an integer >= 0, got number NaN; nothing was written",
    );
    await expect(save({ globalStep: 1.5 })).rejects.toThrow(/'globalStep' must be an integer >= 0, got number 1.5/);
    await expect(save({ globalStep: '3' })).rejects.toThrow(/'globalStep' must be an integer >= 0, got string "3"/);
    await expect(save({ globalStep: 2, skippedSteps: 3 })).rejects.toThrow(
      "saveTrainingCheckpoint: field 'skippedSteps' (3) exceeds globalStep (2); nothing was written",
    );
    await expect(save({ globalStep: 2, skippedSteps: -1 })).rejects.toThrow(/'skippedSteps' must be an integer >= 0/);
    await expect(saveTrainingCheckpoint(42 as never, { globalStep: 1 }, lora, optimizer)).rejects.toThrow(
      'saveTrainingCheckpoint: outputDir must be a non-empty path string, got number 42',
    );
    expect(readdirSync(out)).toEqual([]);
    expect(() => checkpointDir(out, -1)).toThrow('checkpointDir: step must be an integer >= 0, got number -1');
  });

  it('loadTrainingCheckpoint: a trainer state that is not an object, or whose skippedSteps is damaged, names the file and field', async () => {
    const { lora, optimizer } = await run();
    const dir = await saveTrainingCheckpoint(tmp(), { globalStep: 2, skippedSteps: 1 }, lora, optimizer);
    const statePath = join(dir, TRAINER_STATE_FILE);
    const load = async (state: unknown) => {
      writeFileSync(statePath, JSON.stringify(state));
      return loadTrainingCheckpoint(dir, lora, optimizer, []);
    };
    await expect(load(null)).rejects.toThrow(
      `loadCheckpoint: ${statePath}: the trainer state must be an object with globalStep, got null`,
    );
    await expect(load([2])).rejects.toThrow(/the trainer state must be an object with globalStep, got an array/);
    // A damaged skippedSteps was taken for 0 and the optimizer file then blamed.
    await expect(load({ globalStep: 2, skippedSteps: '1' })).rejects.toThrow(
      `loadCheckpoint: ${statePath}: field 'skippedSteps' must be an integer >= 0, got string "1"`,
    );
    await expect(load({ globalStep: 2, skippedSteps: 5 })).rejects.toThrow(
      `loadCheckpoint: ${statePath}: field 'skippedSteps' (5) exceeds globalStep (2)`,
    );
    await expect(load({ globalStep: 2, skippedSteps: 1 })).resolves.toEqual({ globalStep: 2, skippedSteps: 1 });
  });

  it('pruneCheckpoints: a limit that is not an integer >= 0 is refused and nothing is deleted', async () => {
    const { lora, optimizer } = await run();
    const out = tmp();
    for (const step of [1, 2, 3]) await saveTrainingCheckpoint(out, { globalStep: step }, lora, optimizer);
    const keep = checkpointDir(out, 3);
    // NaN and fractions sliced from 0: every checkpoint but `keep` was deleted.
    for (const limit of [Number.NaN, 1.5, -1, Number.POSITIVE_INFINITY, '2'])
      await expect(pruneCheckpoints(out, limit as never, keep)).rejects.toThrow(
        /^pruneCheckpoints: limit must be an integer >= 0 \(0 keeps all\), got .*; nothing was deleted$/,
      );
    await expect(pruneCheckpoints(out, 1, 3 as never)).rejects.toThrow(
      'pruneCheckpoints: keep must be a checkpoint folder path, got number 3',
    );
    expect((await listCheckpoints(out)).map((c) => c.step)).toEqual([1, 2, 3]);
    await pruneCheckpoints(out, 0, keep);
    expect((await listCheckpoints(out)).map((c) => c.step)).toEqual([1, 2, 3]);
  });
});
