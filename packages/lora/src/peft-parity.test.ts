/**
 * Where PEFT's LoRA and this one could part ways: adapter_config.json fields, target matching,
 * initialisation options, dropout placement, merging into bfloat16 weights, and the errors for
 * adapters this implementation cannot honour.
 */
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Qwen3ForCausalLM, SafetensorsFile, writeSafetensors } from '@molrl/model';
import { randn, setBackend } from '@molrl/tensor';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { fromPeftConfig, toPeftConfig } from './config.js';
import { applyLora, loadLora } from './lora.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const MODEL_FIXTURES = join(HERE, '..', '..', 'model', 'fixtures');
const PEFT_LORA = join(MODEL_FIXTURES, 'peft-lora');
const inputIds = (JSON.parse(readFileSync(join(MODEL_FIXTURES, 'expected.json'), 'utf8')) as { input_ids: number[][] })
  .input_ids;
const peftConfig = JSON.parse(readFileSync(join(PEFT_LORA, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
const tmp = () => mkdtempSync(join(tmpdir(), 'molrl-lora-parity-'));
const noAdapters = (m: Qwen3ForCausalLM) => [...m.linearLayers().values()].every((l) => l.adapter === null);

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('adapter_config.json as PEFT reads it', () => {
  it('requires peft_type, as PeftConfig.from_pretrained does', () => {
    const { peft_type: _omitted, ...rest } = peftConfig;
    expect(() => fromPeftConfig(rest, 'x/adapter_config.json')).toThrow(
      /x\/adapter_config.json: field "peft_type" is missing/,
    );
  });

  it("takes PEFT's Qwen3 default target modules (q_proj, v_proj) when target_modules is absent or null", () => {
    expect(fromPeftConfig({ peft_type: 'LORA' }).targetModules).toEqual(['q_proj', 'v_proj']);
    expect(fromPeftConfig({ peft_type: 'LORA', target_modules: null }).targetModules).toEqual(['q_proj', 'v_proj']);
  });

  it.each([
    ['lora_bias', true, /field "lora_bias" is true; a bias on lora_B is not supported/],
    ['use_qalora', true, /field "use_qalora" is true; QALoRA/],
    ['target_parameters', ['mlp.experts.down_proj'], /field "target_parameters" .* not supported/],
    ['trainable_token_indices', [1, 2], /field "trainable_token_indices" .* not supported/],
    ['alora_invocation_tokens', [5, 6], /field "alora_invocation_tokens" .*\(aLoRA\) is not supported/],
    ['use_rslora', 'true', /field "use_rslora" must be true or false, got "true"/],
    ['lora_alpha', 0, /field "lora_alpha" must be a finite number > 0, got 0/],
    [
      'init_lora_weights',
      'pissa_niter_4',
      /field "init_lora_weights" is "pissa_niter_4": .*convert it to a plain LoRA/,
    ],
    ['init_lora_weights', 'olora', /field "init_lora_weights" is "olora": .*base weights/],
    ['init_lora_weights', 'loftq', /field "init_lora_weights" is "loftq"/],
    ['init_lora_weights', 'kaiming', /field "init_lora_weights" is "kaiming"; not an initialisation/],
    ['exclude_modules', [3], /field "exclude_modules" must be a string or a non-empty list of strings/],
  ])('refuses %s = %j, naming the field and the file', (name, value, message) => {
    expect(() => fromPeftConfig({ ...peftConfig, [name]: value }, 'dir/adapter_config.json')).toThrow(message);
    expect(() => fromPeftConfig({ ...peftConfig, [name]: value }, 'dir/adapter_config.json')).toThrow(
      /^dir\/adapter_config.json: /,
    );
  });

  it('ignores fields PEFT does not know with a warning naming them, and every field PEFT writes without one', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      // Fields of newer PEFT files that leave the computation alone: no warning.
      fromPeftConfig({ ...peftConfig, peft_version: '0.17.1', eva_config: null, runtime_config: {} });
      fromPeftConfig(toPeftConfig({ r: 4, alpha: 8, excludeModules: ['lm_head'] }, 'base'));
      expect(warn).not.toHaveBeenCalled();
      const config = fromPeftConfig({ ...peftConfig, use_xlora: true, lora_scale: 2 }, 'dir/adapter_config.json');
      expect(config).toEqual(fromPeftConfig(peftConfig));
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0]![0]).toMatch(
        /^dir\/adapter_config.json: unknown fields "use_xlora", "lora_scale" ignored: not a PEFT LoraConfig field/,
      );
      expect(warn.mock.calls[0]![1]).toEqual({ code: 'MOLRL_PEFT_UNKNOWN_FIELDS' });
    } finally {
      warn.mockRestore();
    }
  });

  it('accepts initialisations that only decide the first A and B, and exclude_modules', () => {
    for (const init of ['gaussian', 'eva', 'orthogonal', false])
      expect(() => fromPeftConfig({ ...peftConfig, init_lora_weights: init })).not.toThrow();
    expect(fromPeftConfig({ ...peftConfig, init_lora_weights: 'gaussian' }).initLoraWeights).toBe('gaussian');
    expect(fromPeftConfig({ ...peftConfig, exclude_modules: ['layers.1.mlp.down_proj'] }).excludeModules).toEqual([
      'layers.1.mlp.down_proj',
    ]);
    // PEFT writes exclude_modules: null when unused.
    expect(fromPeftConfig({ ...peftConfig, exclude_modules: null }).excludeModules).toBeUndefined();
  });

  it('writes init_lora_weights and exclude_modules as given; the default config is unchanged', () => {
    const plain = toPeftConfig({ r: 4, alpha: 8 }, null);
    expect(plain).not.toHaveProperty('exclude_modules');
    expect(plain.init_lora_weights).toBe(true);
    const json = toPeftConfig({ r: 4, alpha: 8, initLoraWeights: 'gaussian', excludeModules: ['v', 'a'] }, null);
    expect(json).toMatchObject({ init_lora_weights: 'gaussian', exclude_modules: ['a', 'v'] });
  });
});

describe('applyLora and loadLora against PEFT rules', () => {
  let model: Qwen3ForCausalLM;
  beforeAll(() => setBackend(process.env.MOLRL_TEST_BACKEND ?? 'cpu'));
  beforeEach(async () => {
    model = await Qwen3ForCausalLM.fromPretrained(join(MODEL_FIXTURES, 'tiny-f32'));
  });

  it.each([
    ['alpha 0', { r: 4, alpha: 0 }, /alpha must be a finite number > 0 .*, got number 0/],
    ['a negative alpha', { r: 4, alpha: -8 }, /alpha must be a finite number > 0 .*, got number -8/],
    [
      'lm_head in the targets',
      { r: 4, alpha: 8, targetModules: ['q_proj', 'lm_head'] },
      /matches lm_head, which is not a decoder linear layer/,
    ],
    [
      'embed_tokens in the targets',
      { r: 4, alpha: 8, targetModules: ['q_proj', 'embed_tokens'] },
      /matches model.embed_tokens/,
    ],
    [
      'a regex matching norms',
      { r: 4, alpha: 8, targetModules: 'model\\.layers\\.\\d+\\.self_attn\\..*' },
      /matches model.layers.0.self_attn.q_norm/,
    ],
    [
      "PEFT's mlp container name",
      { r: 4, alpha: 8, targetModules: ['q_proj', 'mlp'] },
      /matches model\.layers\.0\.mlp, a container module .*; name its linear layers instead \(gate_proj, up_proj, down_proj\)/,
    ],
    [
      'a regex matching the self_attn container',
      { r: 4, alpha: 8, targetModules: 'model\\.layers\\.\\d+\\.self_attn(\\.[qkvo]_proj)?' },
      /matches model\.layers\.0\.self_attn, a container module .*\(q_proj, k_proj, v_proj, o_proj\)/,
    ],
    [
      'a bad initLoraWeights',
      { r: 4, alpha: 8, initLoraWeights: 'pissa' },
      /initLoraWeights must be true, false or "gaussian", got string "pissa"/,
    ],
    [
      'an excludeModules that is not a regex',
      { r: 4, alpha: 8, excludeModules: '(' },
      /excludeModules "\(" is not a valid regular expression/,
    ],
    [
      'excluding everything targeted',
      { r: 4, alpha: 8, targetModules: ['q_proj'], excludeModules: '.*' },
      /every layer target_modules \["q_proj"\] matches is excluded by excludeModules ".\*"/,
    ],
  ])('refuses %s, attaching nothing', (_name, options, message) => {
    expect(() => applyLora(model, options as never)).toThrow(message);
    expect(noAdapters(model)).toBe(true);
  });

  it("matches targets as PEFT: a list by name or '.'-suffix, a string as a regex over the whole path", () => {
    const one = applyLora(model, { r: 4, alpha: 8, targetModules: ['layers.1.self_attn.q_proj'] });
    expect([...one.adapters.keys()]).toEqual(['model.layers.1.self_attn.q_proj']);
    one.remove();
    // re.fullmatch: the error names the layers and the pattern (or list) that would have matched.
    expect(() => applyLora(model, { r: 4, alpha: 8, targetModules: 'q_proj' })).toThrow(
      'applyLora: target_modules "q_proj" match no linear layer (e.g. model.layers.0.self_attn.q_proj); ' +
        'the layers are named q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj; ' +
        "a string is a regular expression the whole module path must match (PEFT's re.fullmatch): " +
        '".*\\\\.q_proj", or the list ["q_proj"]',
    );
    expect(() => applyLora(model, { r: 4, alpha: 8, targetModules: ['q_prj'] })).toThrow(
      /match no linear layer .*; the layers are named q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj$/,
    );
    const suggested = applyLora(model, { r: 4, alpha: 8, targetModules: '.*\\.q_proj' });
    expect([...suggested.adapters.keys()]).toEqual([
      'model.layers.0.self_attn.q_proj',
      'model.layers.1.self_attn.q_proj',
    ]);
    suggested.remove();
    expect(() => applyLora(model, { r: 4, alpha: 8, targetModules: ['proj'] })).toThrow(/match no linear layer/); // not "q_proj"
  });

  it('excludeModules leaves matching layers out (list by suffix, or a regex), saves exclude_modules and loads back', async () => {
    const h = applyLora(model, { r: 4, alpha: 8, excludeModules: ['layers.1.mlp.down_proj', 'o_proj'] });
    expect(h.adapters.size).toBe(14 - 3);
    expect(h.adapters.has('model.layers.1.mlp.down_proj')).toBe(false);
    expect(h.adapters.has('model.layers.0.mlp.down_proj')).toBe(true);
    for (const a of h.adapters.values()) a.loraB.assign(randn(a.loraB.shape, { seed: 9, std: 0.05 }));
    const dir = tmp();
    await h.save(dir);
    expect(JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8')).exclude_modules).toEqual([
      'layers.1.mlp.down_proj',
      'o_proj',
    ]);
    const logits = await (await model.forward(inputIds)).logits.data();
    const other = await Qwen3ForCausalLM.fromPretrained(join(MODEL_FIXTURES, 'tiny-f32'));
    const loaded = await loadLora(other, dir);
    expect([...loaded.adapters.keys()]).toEqual([...h.adapters.keys()]);
    expect(maxAbsDiff(await (await other.forward(inputIds)).logits.data(), logits)).toBe(0);
    const byRegex = applyLora(await Qwen3ForCausalLM.fromPretrained(join(MODEL_FIXTURES, 'tiny-f32')), {
      r: 4,
      alpha: 8,
      excludeModules: 'model\\.layers\\.0\\..*',
    });
    expect(byRegex.adapters.size).toBe(7);
  });

  it('an adapter already on a targeted layer is refused before any other layer is touched', () => {
    applyLora(model, { r: 4, alpha: 8, targetModules: ['down_proj'] });
    expect(() => applyLora(model, { r: 4, alpha: 8 })).toThrow(/model.layers.0.mlp.down_proj already has an adapter/);
    const adapted = [...model.linearLayers()].filter(([, l]) => l.adapter !== null).map(([p]) => p);
    expect(adapted).toEqual(['model.layers.0.mlp.down_proj', 'model.layers.1.mlp.down_proj']);
  });

  it("initLoraWeights: 'gaussian' draws A with std 1 / r and B = 0; false draws B Kaiming-uniform too (PEFT's reset_lora_parameters)", async () => {
    const r = 8;
    const gaussian = applyLora(model, { r, alpha: 16, targetModules: ['gate_proj'], initLoraWeights: 'gaussian' });
    for (const a of gaussian.adapters.values()) {
      const A = await a.loraA.data(); // [8, 64]: 512 draws
      const mean = A.reduce((s, v) => s + v, 0) / A.length;
      const std = Math.sqrt(A.reduce((s, v) => s + (v - mean) ** 2, 0) / A.length);
      expect(std).toBeGreaterThan((1 / r) * 0.9);
      expect(std).toBeLessThan((1 / r) * 1.1);
      expect(Math.max(...(await a.loraB.data()).map(Math.abs))).toBe(0);
    }
    gaussian.remove();
    const random = applyLora(model, { r, alpha: 16, targetModules: ['gate_proj'], initLoraWeights: false });
    for (const a of random.adapters.values()) {
      const B = (await a.loraB.data()).map(Math.abs);
      expect(Math.max(...B)).toBeLessThanOrEqual(1 / Math.sqrt(r)); // nn.Linear(r, out): bound 1 / sqrt(fan_in = r)
      expect(Math.max(...B)).toBeGreaterThan((1 / Math.sqrt(r)) * 0.8);
      expect(Math.max(...(await a.loraA.data()).map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(64));
    }
    const dir = tmp();
    await random.save(dir);
    expect(JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8')).init_lora_weights).toBe(false);
  });

  it('dropout acts on the input of the A branch only: with B = 0, training logits are the base logits', async () => {
    const base = await (await model.forward(inputIds)).logits.data();
    const h = applyLora(model, { r: 4, alpha: 8, dropout: 0.5, seed: 1 });
    model.train();
    expect(maxAbsDiff(await (await model.forward(inputIds)).logits.data(), base)).toBe(0);
    // With B != 0 the dropped adapter input shows: training and evaluation logits differ.
    for (const a of h.adapters.values()) a.loraB.assign(randn(a.loraB.shape, { seed: 4, std: 0.05 }));
    const train = await (await model.forward(inputIds)).logits.data();
    const evaluated = await (await model.eval().forward(inputIds)).logits.data();
    expect(maxAbsDiff(train, evaluated)).toBeGreaterThan(1e-3);
  });

  it('merge() while the adapters are disabled is refused (the model stays the base model); mergeAndUnload() still merges', async () => {
    const base = await (await model.forward(inputIds)).logits.data();
    const h = await loadLora(model, PEFT_LORA);
    const adapted = await (await model.forward(inputIds)).logits.data();
    h.disable();
    expect(() => h.merge()).toThrow(/merge\(\): the adapters are disabled; enable\(\) them first/);
    expect(h.merged).toBe(false);
    expect(maxAbsDiff(await (await model.forward(inputIds)).logits.data(), base)).toBeLessThan(1e-6);
    const plain = h.mergeAndUnload();
    expect(maxAbsDiff(await (await plain.forward(inputIds)).logits.data(), adapted)).toBeLessThan(1e-4);
  });

  it('refuses a weights file holding one adapter weight twice (with and without the adapter name)', async () => {
    const dir = tmp();
    cpSync(PEFT_LORA, dir, { recursive: true });
    const src = await SafetensorsFile.open(join(PEFT_LORA, 'adapter_model.safetensors'));
    const names = src.names();
    const tensors = await Promise.all(
      names.map(async (n) => ({
        name: n,
        dtype: 'F32' as const,
        shape: src.entry(n).shape,
        data: await src.readFloat32(n),
      })),
    );
    const twin = names.find((n) => n.endsWith('layers.0.self_attn.q_proj.lora_A.weight'))!;
    tensors.push({ ...tensors[names.indexOf(twin)]!, name: twin.replace('.weight', '.default.weight') });
    await src.close();
    await writeSafetensors(join(dir, 'adapter_model.safetensors'), tensors);
    await expect(loadLora(model, dir)).rejects.toThrow(
      /adapter_model.safetensors: '.*q_proj\.lora_A(\.default)?\.weight' and '.*q_proj\.lora_A(\.default)?\.weight' are the same adapter weight/,
    );
    expect(noAdapters(model)).toBe(true);
  });
});

describe('merging into bfloat16 base weights', () => {
  beforeAll(() => setBackend(process.env.MOLRL_TEST_BACKEND ?? 'cpu'));

  // fixtures/merge-bf16/make_merge_bf16.py: PEFT's Linear.merge / unmerge in PyTorch on the same weights.
  it("merge() gives PEFT's bfloat16 bits; unmerge() rounds once (PEFT rounds the delta to bf16 first)", async () => {
    const model = await Qwen3ForCausalLM.fromPretrained(join(MODEL_FIXTURES, 'tiny-bf16'), { dtype: 'bfloat16' });
    const h = await loadLora(model, PEFT_LORA);
    const ref = await SafetensorsFile.open(join(HERE, '..', 'fixtures', 'merge-bf16', 'expected.safetensors'));
    const paths = ['model.layers.0.self_attn.q_proj', 'model.layers.1.mlp.down_proj'];
    const weight = (p: string) => model.linearLayers().get(p)!.weight;
    const original = new Map<string, Float32Array>();
    for (const p of paths) {
      expect(weight(p).dtype).toBe('bfloat16');
      original.set(p, await weight(p).data());
    }
    h.merge();
    for (const p of paths) {
      expect(weight(p).dtype, p).toBe('bfloat16');
      expect(Array.from(await weight(p).data()), p).toEqual(Array.from(await ref.readFloat32(`${p}.merged`)));
    }
    h.unmerge();
    for (const p of paths) {
      const ours = await weight(p).data();
      expect(Array.from(ours), p).toEqual(Array.from(await ref.readFloat32(`${p}.exact_unmerged`)));
      // Neither restores every bit: the merged weight was rounded to bfloat16.
      const peft = await ref.readFloat32(`${p}.unmerged`);
      const wrong = (w: Float32Array) => w.filter((v, i) => v !== original.get(p)![i]).length;
      expect(wrong(ours), p).toBeLessThanOrEqual(wrong(peft));
    }
    await ref.close();
  });
});
