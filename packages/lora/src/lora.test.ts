import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Qwen3ForCausalLM, SafetensorsFile } from '@molrl/model';
import { AdamW, mean, mul, randn, setBackend, tensor, type Tensor } from '@molrl/tensor';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { applyLora, loadLora, type LoraHandle } from './lora.js';

// The model package's PyTorch reference fixtures (fixtures/make_fixtures.py there).
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'model', 'fixtures');
const meta = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as {
  input_ids: number[][];
  lora: { variant: string; loss: number }[];
};
const tmp = () => mkdtempSync(join(tmpdir(), 'molrl-lora-'));
// The backend under test: cpu by default; MOLRL_TEST_BACKEND=gpujs|webgpu checks the same values on another backend.
const TEST_BACKEND = process.env.MOLRL_TEST_BACKEND ?? 'cpu';

async function expected(name: string): Promise<{ data: Float32Array; shape: number[] }> {
  const f = await SafetensorsFile.open(join(FIXTURES, 'expected.safetensors'));
  try {
    return { data: await f.readFloat32(name), shape: f.entry(name).shape };
  } finally {
    await f.close();
  }
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const logitsOf = async (model: Qwen3ForCausalLM) => (await model.forward(meta.input_ids)).logits.data();

describe('LoRA against PEFT and the PyTorch reference', () => {
  let model: Qwen3ForCausalLM;
  let base: Float32Array;
  beforeAll(async () => {
    await setBackend(TEST_BACKEND);
    base = (await expected('logits')).data;
  });
  beforeEach(async () => {
    model = await Qwen3ForCausalLM.fromPretrained(join(FIXTURES, 'tiny-f32'));
  });

  for (const variant of ['lora', 'rslora'] as const) {
    it(`${variant}: a PEFT adapter folder loads; logits, loss and every lora_A/lora_B gradient match within 1e-4`, async () => {
      const handle = await loadLora(model, join(FIXTURES, `peft-${variant}`));
      expect(handle.config).toMatchObject({ r: 4, alpha: 8, useRslora: variant === 'rslora' });
      expect(handle.adapters.size).toBe(14);
      const w = await expected(`${variant}_loss_weights`);
      const { logits } = await model.forward(meta.input_ids);
      expect(maxAbsDiff(await logits.data(), (await expected(`${variant}_logits`)).data)).toBeLessThan(1e-4);
      const loss = mean(mul(logits, tensor(w.data, w.shape)));
      const ref = meta.lora.find((l) => l.variant === variant)!.loss;
      expect(Math.abs((await loss.item()) - ref)).toBeLessThan(1e-3 * Math.max(1, Math.abs(ref)));
      loss.backward();
      let checked = 0;
      for (const [key, t] of handle.namedParameters()) {
        const g = await expected(`${variant}.${key.replace(/\.weight$/, '')}.grad`);
        expect(t.grad, key).not.toBeNull();
        expect(maxAbsDiff(await t.grad!.data(), g.data), key).toBeLessThan(1e-4);
        checked++;
      }
      expect(checked).toBe(28);
      // Only adapter parameters get gradients.
      for (const p of model.parameters()) expect(p.grad).toBeNull();
    });
  }

  it('each adapted layer runs as one loraLinear op (dropout too): the logits of the composition bit for bit, its gradients', async () => {
    const profiled = (await setBackend('cpu', { profile: true })) as unknown as {
      kernelProfile(): { kernel: string; calls: number }[];
      resetKernelProfile(): void;
    };
    try {
      // The PEFT adapter in eval mode, then a trained-looking adapter with dropout in training mode.
      for (const dropout of [0, 0.1]) {
        const m = await Qwen3ForCausalLM.fromPretrained(join(FIXTURES, 'tiny-f32'));
        const handle =
          dropout === 0
            ? await loadLora(m, join(FIXTURES, 'peft-lora'))
            : applyLora(m, { r: 4, alpha: 8, dropout, seed: 5 });
        if (dropout > 0) {
          for (const adapter of handle.adapters.values())
            adapter.loraB.assign(randn(adapter.loraB.shape, { seed: 3, std: 0.05 }));
          m.train();
        }
        const w = await expected('lora_loss_weights');
        const run = async () => {
          profiled.resetKernelProfile();
          m.module.dropoutSeed = 100; // the same masks in both runs
          const { logits } = await m.forward(meta.input_ids);
          const calls = new Map(profiled.kernelProfile().map((p) => [p.kernel, p.calls]));
          mean(mul(logits, tensor(w.data, w.shape))).backward();
          const grads = [];
          for (const t of handle.parameters()) {
            grads.push(await t.grad!.data());
            t.zeroGrad();
          }
          return { logits: await logits.data(), grads, calls };
        };
        const fused = await run();
        expect(fused.calls.get('loraLinear')).toBe(14);
        for (const adapter of handle.adapters.values()) adapter.forwardLinear = () => null;
        const composed = await run();
        expect(composed.calls.get('loraLinear')).toBeUndefined();
        expect(fused.logits).toEqual(composed.logits);
        // The input gradient of q, k and v (gate and up) adds up in another order: the same up to float32 rounding.
        fused.grads.forEach((g, i) =>
          expect(maxAbsDiff(g, composed.grads[i]!), `dropout ${dropout}, gradient ${i}`).toBeLessThan(1e-7),
        );
      }
    } finally {
      await setBackend(TEST_BACKEND);
    }
  });

  it('a fresh adapter changes nothing (B = 0) and A is Kaiming-uniform', async () => {
    const handle = applyLora(model, { r: 8, alpha: 16, targetModules: ['q_proj', 'v_proj'] });
    expect([...handle.adapters.keys()]).toEqual([
      'model.layers.0.self_attn.q_proj',
      'model.layers.0.self_attn.v_proj',
      'model.layers.1.self_attn.q_proj',
      'model.layers.1.self_attn.v_proj',
    ]);
    expect(maxAbsDiff(await logitsOf(model), base)).toBeLessThan(1e-4);
    const a = await handle.adapters.get('model.layers.0.self_attn.q_proj')!.loraA.data();
    const bound = 1 / Math.sqrt(64);
    expect(Math.max(...a.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...a.map(Math.abs))).toBeGreaterThan(bound * 0.8);
    expect(
      Math.max(...(await handle.adapters.get('model.layers.0.self_attn.q_proj')!.loraB.data()).map(Math.abs)),
    ).toBe(0);
  });

  it('disable() gives the base model without copying weights; enable() brings the adapter back', async () => {
    const handle = await loadLora(model, join(FIXTURES, 'peft-lora'));
    const adapted = (await expected('lora_logits')).data;
    handle.disable();
    expect(maxAbsDiff(await logitsOf(model), base)).toBeLessThan(1e-4);
    handle.enable();
    expect(maxAbsDiff(await logitsOf(model), adapted)).toBeLessThan(1e-4);
    const off = await handle.withDisabled(() => logitsOf(model));
    expect(maxAbsDiff(off, base)).toBeLessThan(1e-4);
    expect(handle.enabled).toBe(true);
  });

  it('merge() folds W + scaling B A (as PEFT), unmerge() restores the base weights', async () => {
    const handle = await loadLora(model, join(FIXTURES, 'peft-rslora'));
    const q = model.linearLayers().get('model.layers.0.self_attn.q_proj')!;
    const original = await q.weight.data();
    handle.merge();
    expect(maxAbsDiff(await q.weight.data(), (await expected('rslora_merged_q_proj_0')).data)).toBeLessThan(1e-5);
    expect(maxAbsDiff(await logitsOf(model), (await expected('rslora_logits')).data)).toBeLessThan(1e-4);
    handle.unmerge();
    expect(maxAbsDiff(await q.weight.data(), original)).toBeLessThan(1e-6);
    handle.merge();
    // New weights while merged would leave the old product in W: refused, and nothing changes.
    await expect(handle.loadWeights(join(FIXTURES, 'peft-rslora', 'adapter_model.safetensors'))).rejects.toThrow(
      /the adapter is merged into the base weights; unmerge\(\) first/,
    );
    expect(maxAbsDiff(await q.weight.data(), (await expected('rslora_merged_q_proj_0')).data)).toBeLessThan(1e-5);
    handle.disable(); // unmerges first, as PEFT
    expect(handle.merged).toBe(false);
    expect(maxAbsDiff(await logitsOf(model), base)).toBeLessThan(1e-4);
  });

  it('mergeAndUnload() leaves a plain model with the adapted logits, which savePretrained writes', async () => {
    const handle = await loadLora(model, join(FIXTURES, 'peft-lora'));
    const merged = handle.mergeAndUnload();
    expect([...merged.linearLayers().values()].every((l) => l.adapter === null)).toBe(true);
    const dir = tmp();
    await merged.savePretrained(dir);
    const reloaded = await Qwen3ForCausalLM.fromPretrained(dir);
    expect(maxAbsDiff(await logitsOf(reloaded), (await expected('lora_logits')).data)).toBeLessThan(1e-4);
  });

  it('save() writes PEFT keys and config; the folder loads back to the same adapter', async () => {
    const handle = await loadLora(model, join(FIXTURES, 'peft-lora'));
    const dir = tmp();
    await handle.save(dir);
    const cfg = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
    const ref = JSON.parse(readFileSync(join(FIXTURES, 'peft-lora', 'adapter_config.json'), 'utf8'));
    expect(Object.keys(cfg).sort()).toEqual(Object.keys(ref).sort());
    expect(cfg).toMatchObject({
      peft_type: 'LORA',
      task_type: 'CAUSAL_LM',
      r: 4,
      lora_alpha: 8,
      use_rslora: false,
      base_model_name_or_path: 'tiny-f32',
    });
    const saved = await SafetensorsFile.open(join(dir, 'adapter_model.safetensors'));
    const original = await SafetensorsFile.open(join(FIXTURES, 'peft-lora', 'adapter_model.safetensors'));
    expect(saved.names().sort()).toEqual(original.names().sort());
    expect(saved.names()).toContain('base_model.model.model.layers.1.mlp.down_proj.lora_B.weight');
    for (const n of original.names())
      expect(Array.from(await saved.readFloat32(n)), n).toEqual(Array.from(await original.readFloat32(n)));
    await saved.close();
    await original.close();
    const other = await Qwen3ForCausalLM.fromPretrained(join(FIXTURES, 'tiny-f32'));
    await loadLora(other, dir);
    expect(maxAbsDiff(await logitsOf(other), (await expected('lora_logits')).data)).toBeLessThan(1e-4);
  });

  it('reads a minimal PEFT config (PEFT defaults) and keys that still carry the adapter name', async () => {
    const dir = tmp();
    writeFileSync(
      join(dir, 'adapter_config.json'),
      JSON.stringify({
        peft_type: 'LORA',
        target_modules: 'model\\.layers\\.\\d+\\.(self_attn|mlp)\\.\\w+_proj',
        r: 4,
        lora_alpha: 8,
      }),
    );
    const src = await SafetensorsFile.open(join(FIXTURES, 'peft-lora', 'adapter_model.safetensors'));
    const { writeSafetensors } = await import('@molrl/model');
    await writeSafetensors(
      join(dir, 'adapter_model.safetensors'),
      await Promise.all(
        src.names().map(async (n) => ({
          name: n.replace('.weight', '.default.weight'),
          dtype: 'F32' as const,
          shape: src.entry(n).shape,
          data: await src.readFloat32(n),
        })),
      ),
    );
    await src.close();
    const handle = await loadLora(model, dir);
    expect(handle.adapters.size).toBe(14);
    expect(maxAbsDiff(await logitsOf(model), (await expected('lora_logits')).data)).toBeLessThan(1e-4);
  });

  it('names what is wrong in a bad adapter folder', async () => {
    const dir = tmp();
    cpSync(join(FIXTURES, 'peft-lora'), dir, { recursive: true });
    const cfg = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
    writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({ ...cfg, use_dora: true }));
    await expect(loadLora(model, dir)).rejects.toThrow(/adapter_config.json: field "use_dora" is true/);
    writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({ ...cfg, r: 8 }));
    await expect(loadLora(model, dir)).rejects.toThrow(
      /lora_A.weight' has shape \[4, \d+\] \(\[r, in_features\]: rank 4\), but .*adapter_config.json has "r": 8/,
    );
    expect([...model.linearLayers().values()].every((l) => l.adapter === null)).toBe(true);
    writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({ ...cfg, target_modules: ['q_proj'] }));
    await expect(loadLora(model, dir)).rejects.toThrow(
      /'base_model.model.model.layers.0.mlp.down_proj.lora_A.weight' adapts model.layers.0.mlp.down_proj, which .*adapter_config.json does not select \("target_modules": \["q_proj"\]\)/,
    );
    expect(() => applyLora(model, { r: 4, alpha: 8, targetModules: ['nope'] })).toThrow(/match no linear layer/);
    writeFileSync(
      join(dir, 'adapter_config.json'),
      JSON.stringify({ peft_type: 'LORA', target_modules: ['q_proj'], r: 4, lora_alpha: 8, bias: 'all' }),
    );
    await expect(loadLora(model, dir)).rejects.toThrow(/field "bias" is "all"/);
    expect(() => applyLora(model, { r: 0, alpha: 8 })).toThrow(/r must be a positive integer/);
    writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({ ...cfg, target_modules: '.*(q_proj' }));
    await expect(loadLora(model, dir)).rejects.toThrow(
      /field "target_modules": targetModules ".\*\(q_proj" is not a valid regular expression/,
    );
    // Options PEFT reads as true (a non-empty string) or as selecting nothing are not taken for off or all.
    writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({ ...cfg, use_dora: 'true' }));
    await expect(loadLora(model, dir)).rejects.toThrow(/field "use_dora" must be true or false, got "true"/);
    writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({ ...cfg, fan_in_fan_out: 1 }));
    await expect(loadLora(model, dir)).rejects.toThrow(/field "fan_in_fan_out" must be true or false, got 1/);
    writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({ ...cfg, layers_to_transform: [] }));
    await expect(loadLora(model, dir)).rejects.toThrow(/field "layers_to_transform" is \[\]: it selects no layer/);
  });

  it("reads PEFT's Python regular expressions (\\A, \\Z) and 'all-linear' in any case", () => {
    const layers = (targetModules: string) => {
      const handle = applyLora(model, { r: 4, alpha: 8, targetModules });
      const names = handle.namedParameters().map(([n]) => n);
      handle.remove();
      return new Set(
        names.map((n) =>
          n
            .replace(/\.lora_[AB]\.weight$/, '')
            .split('.')
            .at(-1),
        ),
      );
    };
    expect(layers('\\A.*\\.(q_proj|v_proj)\\Z')).toEqual(new Set(['q_proj', 'v_proj']));
    // An escaped backslash before A stays a backslash and a letter: this pattern matches no path.
    expect(() => applyLora(model, { r: 4, alpha: 8, targetModules: '\\\\A.*q_proj' })).toThrow(/match no linear layer/);
    expect(layers('ALL-LINEAR')).toEqual(layers('all-linear'));
  });

  it.each([
    ['no options', undefined, /applyLora: options: expected an object with r and alpha/],
    ['a string rank', { r: '8', alpha: 16 }, /applyLora: options: r must be a positive integer, got string "8"/],
    [
      'a string alpha',
      { r: 8, alpha: '16' },
      /alpha must be a finite number > 0 \(the update is scaled by alpha \/ r\), got string "16"/,
    ],
    ['a string dropout', { r: 8, alpha: 16, dropout: '0.1' }, /dropout must be a number in \[0, 1\), got string "0.1"/],
    ['a NaN alpha', { r: 8, alpha: Number.NaN }, /alpha must be a finite number > 0 .*, got number NaN/],
    [
      'an invalid target regex',
      { r: 8, alpha: 16, targetModules: '.*(q_proj' },
      /targetModules ".\*\(q_proj" is not a valid regular expression \(/,
    ],
    ['an empty target list', { r: 8, alpha: 16, targetModules: [] }, /targetModules must be a non-empty list/],
    [
      'a number in the target list',
      { r: 8, alpha: 16, targetModules: ['q_proj', 3] },
      /targetModules\[1\] must be a non-empty string, got number 3/,
    ],
    ['a string useRslora', { r: 8, alpha: 16, useRslora: 'yes' }, /useRslora must be a boolean/],
    ['a fractional seed', { r: 8, alpha: 16, seed: 0.5 }, /seed must be a safe integer/],
    [
      'a misspelt field',
      { r: 8, alpha: 16, dropuot: 0.1 },
      "applyLora: options: unknown option 'dropuot' (did you mean 'dropout'?); known: r, alpha, dropout, targetModules, useRslora, seed, excludeModules, initLoraWeights, baseModelName",
    ],
    ["PEFT's spelling", { r: 8, lora_alpha: 16, alpha: 16 }, /unknown option 'lora_alpha'; known: r, alpha, /],
  ])('applyLora refuses %s, naming the option', (_name, options, message) => {
    expect(() => applyLora(model, options as never)).toThrow(message);
    expect([...model.linearLayers().values()].every((l) => l.adapter === null)).toBe(true);
  });

  it('names adapter_config.json when what it asks for does not fit the model', async () => {
    const dir = tmp();
    cpSync(join(FIXTURES, 'peft-lora'), dir, { recursive: true });
    const configPath = join(dir, 'adapter_config.json');
    const json = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(configPath, JSON.stringify({ ...json, target_modules: ['qq_proj'] }));
    await expect(loadLora(model, dir)).rejects.toThrow(
      `${configPath}: applyLora: target_modules ["qq_proj"] match no linear layer`,
    );
    expect([...model.linearLayers().values()].every((l) => l.adapter === null)).toBe(true);
  });

  it('refuses adapter weights that are integers or not finite, naming them', async () => {
    const { SafetensorsFile: File } = await import('@molrl/model');
    const { writeSafetensors } = await import('@molrl/model');
    const source = await File.open(join(FIXTURES, 'peft-lora', 'adapter_model.safetensors'));
    const names = source.names();
    const victim = names[0]!;
    const rewrite = async (edit: (name: string, dtype: string, bytes: Uint8Array) => [string, Uint8Array]) => {
      const dir = tmp();
      cpSync(join(FIXTURES, 'peft-lora'), dir, { recursive: true });
      const tensors = [];
      for (const name of names) {
        const e = source.entry(name);
        const [dtype, data] = edit(name, e.dtype, await source.readBytes(name));
        tensors.push({ name, dtype: dtype as 'F32', shape: e.shape, data });
      }
      await writeSafetensors(join(dir, 'adapter_model.safetensors'), tensors);
      return dir;
    };
    const asInt = await rewrite((n, d, b) => [n === victim ? 'I32' : d, b]);
    await expect(loadLora(model, asInt)).rejects.toThrow(
      new RegExp(`'${victim.replace(/\./g, '\\.')}' is I32; an adapter weight is floating point`),
    );
    const withNaN = await rewrite((n, d, b) => {
      if (n !== victim) return [d, b];
      const v = new Float32Array(b.slice().buffer);
      v[2] = Number.NaN;
      return [d, new Uint8Array(v.buffer)];
    });
    await expect(loadLora(model, withNaN)).rejects.toThrow(/holds NaN at element 2; adapter weights must be finite/);
    expect([...model.linearLayers().values()].every((l) => l.adapter === null)).toBe(true);
    const handle = await loadLora(model, withNaN, { allowNonFinite: true });
    expect(handle.adapters.size).toBe(14);
    await source.close();
  });

  it('applyLora refuses what is not a model', () => {
    expect(() => applyLora({} as never, { r: 8, alpha: 16 })).toThrow(
      /applyLora: model must be a @molrl\/model Qwen3ForCausalLM/,
    );
  });
});

describe('training only the adapter', () => {
  beforeAll(() => setBackend(TEST_BACKEND));

  it('AdamW on handle.parameters() lowers the loss; base weights never change; dropout masks repeat under checkpointing', async () => {
    const model = await Qwen3ForCausalLM.fromPretrained(join(FIXTURES, 'tiny-f32'));
    const handle: LoraHandle = applyLora(model, { r: 4, alpha: 8, dropout: 0.1, seed: 3 });
    const q = model.linearLayers().get('model.layers.0.self_attn.q_proj')!;
    const before = await q.weight.data();
    const opt = new AdamW(handle.parameters(), { lr: 1e-2, weightDecay: 0 });
    model.train();
    const targets = tensor(new Int32Array(meta.input_ids.flat().map((t) => (t + 1) % 128)), [2, 9]);
    const { crossEntropy } = await import('@molrl/tensor');
    const losses: number[] = [];
    for (let step = 0; step < 8; step++) {
      const { logits } = await model.forward(meta.input_ids);
      const loss = crossEntropy(logits, targets);
      losses.push(await loss.item());
      loss.backward();
      opt.step();
      for (const p of handle.parameters()) p.zeroGrad();
    }
    expect(losses[7]).toBeLessThan(losses[0]);
    expect(Array.from(await q.weight.data())).toEqual(Array.from(before));

    // Same dropout seed with and without recomputation: identical gradients.
    const gradsAt = async (seed: number) => {
      model.module.dropoutSeed = seed;
      const { logits } = await model.forward(meta.input_ids);
      crossEntropy(logits, targets).backward();
      const g: Tensor = handle.parameters()[0].grad!;
      const out = await g.data();
      for (const p of handle.parameters()) p.zeroGrad();
      return out;
    };
    const plain = await gradsAt(100);
    model.gradientCheckpointingEnable();
    const recomputed = await gradsAt(100);
    expect(maxAbsDiff(plain, recomputed)).toBeLessThan(1e-6);
    const otherMask = await gradsAt(101);
    expect(maxAbsDiff(plain, otherMask)).toBeGreaterThan(0);
  });
});
