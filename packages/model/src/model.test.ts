import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHubServer } from '@molrl/hub-test-server';
import { getBackend, setBackend, sum, mul, tensor } from '@molrl/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectedMeta, expectedTensor, FIXTURES, maxAbsDiff } from './fixtures.test-util.js';
import { Qwen3ForCausalLM } from './model.js';
import { f16ToF32, f32ToF16 } from './safetensors/dtypes.js';

const meta = expectedMeta();
// The backend under test: cpu by default; MOLRL_TEST_BACKEND=gpujs|webgpu checks the same values on another backend.
const TEST_BACKEND = process.env.MOLRL_TEST_BACKEND ?? 'cpu';
const tmp = () => mkdtempSync(join(tmpdir(), 'molrl-model-'));

/** Rows [b][t] of a [B, T, V] array restricted to some positions. */
function pick(data: Float32Array, shape: number[], keep: (b: number, t: number) => boolean): number[] {
  const [bs, ts, v] = shape;
  const out: number[] = [];
  for (let b = 0; b < bs; b++)
    for (let t = 0; t < ts; t++) if (keep(b, t)) out.push(...data.subarray((b * ts + t) * v, (b * ts + t + 1) * v));
  return out;
}

describe('Qwen3ForCausalLM against the PyTorch reference', () => {
  let model: Qwen3ForCausalLM;
  beforeAll(async () => {
    await setBackend(TEST_BACKEND);
    model = await Qwen3ForCausalLM.fromPretrained(join(FIXTURES, 'tiny-f32'));
  });

  it('logits match within 1e-4 in f32', async () => {
    const { logits } = await model.forward(meta.input_ids);
    const exp = await expectedTensor('logits');
    expect(logits.shape).toEqual(exp.shape);
    expect(maxAbsDiff(await logits.data(), exp.data)).toBeLessThan(1e-4);
    logits.dispose();
  });

  it('packed sequences: positions restart and attention stays within each segment', async () => {
    const { logits } = await model.forward(meta.packed.input_ids, { positionIds: meta.packed.position_ids });
    const exp = await expectedTensor('packed_logits');
    expect(maxAbsDiff(await logits.data(), exp.data)).toBeLessThan(1e-4);
    const explicit = await model.forward(meta.packed.input_ids, {
      positionIds: meta.packed.position_ids,
      segmentIds: meta.packed.segment_ids,
    });
    expect(maxAbsDiff(await explicit.logits.data(), exp.data)).toBeLessThan(1e-4);
  });

  it('left padding with an attention mask matches on the real tokens', async () => {
    const { input_ids, attention_mask } = meta.padded;
    const { logits } = await model.forward(input_ids, { attentionMask: attention_mask });
    const exp = await expectedTensor('padded_logits');
    const real = (b: number, t: number) => attention_mask[b][t] === 1;
    expect(
      maxAbsDiff(pick(await logits.data(), [...logits.shape], real), pick(exp.data, exp.shape, real)),
    ).toBeLessThan(1e-4);
  });

  it('greedy generation reproduces the reference tokens, batched with different prompt lengths', async () => {
    const prompts = meta.greedy.map((g) => g.prompt);
    const out = await model.generate(prompts, { maxNewTokens: 12, temperature: 0, stopTokenIds: [] });
    expect(out).toEqual(meta.greedy.map((g) => g.new_tokens));
    const alone = await model.generate([prompts[1]], { maxNewTokens: 12, temperature: 0, stopTokenIds: [] });
    expect(alone[0]).toEqual(meta.greedy[1].new_tokens);
  });

  it('stops a row at its stop token (included) and keeps the others going', async () => {
    const ref = meta.greedy[0].new_tokens;
    const stopAt = ref[3];
    const first = ref.indexOf(stopAt);
    const out = await model.generate([meta.greedy[0].prompt, meta.greedy[1].prompt], {
      maxNewTokens: 12,
      temperature: 0,
      stopTokenIds: [stopAt],
    });
    expect(out[0]).toEqual(ref.slice(0, first + 1));
    const other = meta.greedy[1].new_tokens;
    const cut = other.indexOf(stopAt);
    expect(out[1]).toEqual(cut >= 0 ? other.slice(0, cut + 1) : other);
  });

  it('rows leaving the batch at different steps give the same tokens as each row alone', async () => {
    const prompts = meta.greedy.map((g) => g.prompt);
    // Stop on the 3rd token of row 1 and the 6th of row 2: rows finish at different steps.
    const stopTokenIds = [meta.greedy[1].new_tokens[2], meta.greedy[2].new_tokens[5]];
    const opts = { maxNewTokens: 12, temperature: 0, stopTokenIds };
    const batched = await model.generate(prompts, opts);
    for (let i = 0; i < prompts.length; i++) expect(batched[i]).toEqual((await model.generate([prompts[i]], opts))[0]);
    expect(new Set(batched.map((r) => r.length)).size).toBeGreaterThan(1);
    // Sampling: each row draws from its own stream (seed and row index), so a seed reproduces the batch.
    const sampled = await model.generate(prompts, { ...opts, temperature: 1, seed: 3 });
    expect(sampled).toEqual(await model.generate(prompts, { ...opts, temperature: 1, seed: 3 }));
  });

  it('an abort signal stops generation at the next token and frees the KV cache', async () => {
    const prompts = meta.greedy.map((g) => g.prompt);
    const before = getBackend().memory().storages;
    const controller = new AbortController();
    let steps = 0;
    const stopped = model.generate(prompts, {
      maxNewTokens: 12,
      temperature: 0,
      stopTokenIds: [],
      signal: controller.signal,
      onStep: (step) => {
        steps = step;
        if (step === 2) controller.abort(new Error('interrupted'));
      },
    });
    await expect(stopped).rejects.toThrow('interrupted');
    expect(steps).toBe(2);
    expect(getBackend().memory().storages).toBe(before);
    await expect(model.generate(prompts, { maxNewTokens: 3, signal: controller.signal })).rejects.toThrow(
      'interrupted',
    );
    // With a signal that never fires, the tokens are the same as without one.
    const opts = { maxNewTokens: 6, temperature: 0, stopTokenIds: [] };
    expect(await model.generate(prompts, { ...opts, signal: new AbortController().signal })).toEqual(
      await model.generate(prompts, opts),
    );
  });

  it('sampling with a seed is reproducible and the seed matters', async () => {
    const opts = {
      maxNewTokens: 10,
      temperature: 1.5,
      topP: 0.95,
      topK: 50,
      minP: 0.01,
      presencePenalty: 0.5,
      repetitionPenalty: 1.1,
      stopTokenIds: [],
    };
    const prompts = [[3, 4, 5], [9]];
    const a = await model.generate(prompts, { ...opts, seed: 11 });
    const b = await model.generate(prompts, { ...opts, seed: 11 });
    const c = await model.generate(prompts, { ...opts, seed: 12 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a.every((r) => r.length === 10)).toBe(true);
  });

  it('forwardHidden and lmHeadWeight give the logits (for chunked losses)', async () => {
    const { hidden } = await model.forwardHidden(meta.input_ids);
    expect(hidden.shape).toEqual([2, 9, 64]);
    const logits = hidden.matmul(model.lmHeadWeight, { transposeB: true });
    expect(maxAbsDiff(await logits.data(), (await expectedTensor('logits')).data)).toBeLessThan(1e-4);
  });

  it('refuses ids outside the vocabulary, non-integer ids, ragged and empty rows at the entry point, by index', async () => {
    const cases: [unknown, string][] = [
      [[[1, 200]], 'inputIds[0][1] is 200, outside the vocabulary [0, 128)'],
      [
        [
          [1, 2],
          [3, 128],
        ],
        'inputIds[1][1] is 128, outside the vocabulary [0, 128)',
      ],
      [[[-1, 2]], 'inputIds[0][0] is -1, outside the vocabulary [0, 128)'],
      [[[1, 1.5]], 'inputIds[0][1] is 1.5, not an integer token id in the vocabulary [0, 128)'],
      [[[Number.NaN]], 'inputIds[0][0] is NaN, not an integer token id in the vocabulary [0, 128)'],
      [[['1']], 'inputIds[0][0] is "1", not an integer token id in the vocabulary [0, 128)'],
      [[[1, 2], [3]], 'inputIds[1] has 1 token(s), inputIds[0] has 2 (rows must be equally long'],
      [[[]], 'inputIds[0] is empty (a row needs at least one token)'],
      [[[1], []], 'inputIds[1] is empty'],
      [[7], 'inputIds[0] must be an array of token ids, got 7'],
      [5, 'inputIds must be rows of token ids (number[][]), got 5'],
    ];
    for (const [ids, message] of cases) {
      await expect(model.forward(ids as number[][])).rejects.toThrow(`forward: ${message}`);
      await expect(model.forwardHidden(ids as number[][])).rejects.toThrow(`forwardHidden: ${message}`);
      expect(() => model.hiddenSync(ids as number[][])).toThrow(`hiddenSync: ${message}`);
    }
    // The checks run before any tensor is made: nothing is left allocated by a refused call.
    const before = getBackend().memory().bytesInUse;
    await expect(model.forward([[1, 999]])).rejects.toThrow(/outside the vocabulary/);
    expect(getBackend().memory().bytesInUse).toBe(before);
    // An empty batch stays an empty result, as generate gives one.
    const { logits } = await model.forward([]);
    expect(logits.shape).toEqual([0, 0, 128]);
    logits.dispose();
  });
});

describe('checkpoint variants', () => {
  beforeAll(() => setBackend(TEST_BACKEND));

  it('loads bf16 weights (stored as bf16 or widened to f32) with the reference logits', async () => {
    const exp = await expectedTensor('bf16_logits');
    for (const dtype of ['float32', 'bfloat16', 'auto'] as const) {
      const m = await Qwen3ForCausalLM.fromPretrained(join(FIXTURES, 'tiny-bf16'), { dtype });
      expect(m.lmHeadWeight.dtype).toBe(dtype === 'float32' ? 'float32' : 'bfloat16');
      const { logits } = await m.forward(meta.input_ids);
      expect(maxAbsDiff(await logits.data(), exp.data)).toBeLessThan(1e-4);
      m.dispose();
    }
  });

  it('bf16 storage generates the same greedy tokens as the same weights widened to f32', async () => {
    const m16 = await Qwen3ForCausalLM.fromPretrained(join(FIXTURES, 'tiny-bf16'), { dtype: 'bfloat16' });
    const m32 = await Qwen3ForCausalLM.fromPretrained(join(FIXTURES, 'tiny-bf16'), { dtype: 'float32' });
    const prompts = meta.greedy.map((g) => g.prompt);
    const opts = { maxNewTokens: 8, temperature: 0, stopTokenIds: [] };
    expect(await m16.generate(prompts, opts)).toEqual(await m32.generate(prompts, opts));
    m16.dispose();
    m32.dispose();
  });

  it('loads a sharded checkpoint and an untied LM head', async () => {
    const sharded = await Qwen3ForCausalLM.fromPretrained(join(FIXTURES, 'tiny-sharded'));
    expect(
      maxAbsDiff(await (await sharded.forward(meta.input_ids)).logits.data(), (await expectedTensor('logits')).data),
    ).toBeLessThan(1e-4);
    const untied = await Qwen3ForCausalLM.fromPretrained(join(FIXTURES, 'tiny-untied'));
    expect(untied.lmHeadWeight).not.toBe(untied.module.embedTokens);
    expect(
      maxAbsDiff(
        await (await untied.forward(meta.input_ids)).logits.data(),
        (await expectedTensor('untied_logits')).data,
      ),
    ).toBeLessThan(1e-4);
  });

  it('savePretrained round-trips with transformers names (single file, sharded, bf16)', async () => {
    const m = await Qwen3ForCausalLM.fromPretrained(join(FIXTURES, 'tiny-f32'));
    const exp = (await expectedTensor('logits')).data;
    const dir = tmp();
    expect(await m.savePretrained(dir)).toEqual(['config.json', 'model.safetensors']);
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(cfg).toMatchObject({
      model_type: 'qwen3',
      architectures: ['Qwen3ForCausalLM'],
      tie_word_embeddings: true,
      torch_dtype: 'float32',
    });
    const back = await Qwen3ForCausalLM.fromPretrained(dir);
    for (const [name, t] of m.namedParameters()) {
      expect(Array.from(await back.namedParameters().get(name)!.data()), name).toEqual(Array.from(await t.data()));
    }
    expect(maxAbsDiff(await (await back.forward(meta.input_ids)).logits.data(), exp)).toBeLessThan(1e-4);
    const shardDir = tmp();
    const files = await m.savePretrained(shardDir, { maxShardBytes: 100_000 });
    expect(files).toContain('model.safetensors.index.json');
    const fromShards = await Qwen3ForCausalLM.fromPretrained(shardDir);
    expect(maxAbsDiff(await (await fromShards.forward(meta.input_ids)).logits.data(), exp)).toBeLessThan(1e-4);
    const bfDir = tmp();
    await m.savePretrained(bfDir, { dtype: 'bfloat16' });
    expect(
      readFileSync(join(bfDir, 'model.safetensors')).equals(
        readFileSync(join(FIXTURES, 'tiny-bf16', 'model.safetensors')),
      ),
    ).toBe(true); // byte-identical to the file PyTorch wrote
    const f16Dir = tmp();
    await m.savePretrained(f16Dir, { dtype: 'float16' });
    const f16 = await Qwen3ForCausalLM.fromPretrained(f16Dir, { dtype: 'auto' });
    const q = 'model.layers.1.self_attn.q_proj.weight';
    expect(f16.namedParameters().get(q)!.dtype).toBe('float16');
    const rounded = f16ToF32(f32ToF16(await m.namedParameters().get(q)!.data()));
    expect(Array.from(await f16.namedParameters().get(q)!.data())).toEqual(Array.from(rounded));
    const bf = await Qwen3ForCausalLM.fromPretrained(bfDir);
    expect(
      maxAbsDiff(await (await bf.forward(meta.input_ids)).logits.data(), (await expectedTensor('bf16_logits')).data),
    ).toBeLessThan(1e-4);
  });

  it('loads a sharded checkpoint from a Hub repo (local server speaking the Hub API) into the cache', async () => {
    const files: Record<string, Uint8Array> = {};
    for (const f of readdirSync(join(FIXTURES, 'tiny-sharded')))
      files[f] = readFileSync(join(FIXTURES, 'tiny-sharded', f));
    const hub = await startHubServer({ 'molrl/tiny-qwen3': { files } });
    try {
      const cacheDir = tmp();
      const m = await Qwen3ForCausalLM.fromPretrained('molrl/tiny-qwen3', {
        hubUrl: hub.url,
        cacheDir,
        revision: 'main',
      });
      expect(
        maxAbsDiff(await (await m.forward(meta.input_ids)).logits.data(), (await expectedTensor('logits')).data),
      ).toBeLessThan(1e-4);
      expect(
        hub.requests.filter((r) => r.method === 'GET' && r.url.includes('.safetensors')).length,
      ).toBeGreaterThanOrEqual(2);
      await expect(Qwen3ForCausalLM.fromPretrained('molrl/other', { hubUrl: hub.url, cacheDir })).rejects.toThrow(
        /molrl\/other@main: the repo does not exist on the Hub \(404\)/,
      );
    } finally {
      await hub.close();
    }
  });

  it('names missing tensors, wrong shapes and unsupported config fields', async () => {
    const { cpSync, writeFileSync, rmSync } = await import('node:fs');
    const { writeSafetensors } = await import('./safetensors/writer.js');
    const dir = tmp();
    cpSync(join(FIXTURES, 'tiny-f32'), dir, { recursive: true });
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...cfg, rope_scaling: { rope_type: 'yarn', factor: 4 } }));
    await expect(Qwen3ForCausalLM.fromPretrained(dir)).rejects.toThrow(/config.json: field "rope_scaling" type "yarn"/);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...cfg, intermediate_size: 96 }));
    await expect(Qwen3ForCausalLM.fromPretrained(dir)).rejects.toThrow(
      /tensor 'model.layers.0.mlp.gate_proj.weight' has shape \[128, 64\], config.json implies \[96, 64\]/,
    );
    writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
    rmSync(join(dir, 'model.safetensors'));
    await writeSafetensors(join(dir, 'model.safetensors'), [
      { name: 'model.norm.weight', dtype: 'F32', shape: [64], data: new Float32Array(64) },
    ]);
    await expect(Qwen3ForCausalLM.fromPretrained(dir)).rejects.toThrow(
      /checkpoint lacks \d+ tensor\(s\): model.embed_tokens.weight/,
    );
  });
});

describe('training forward', () => {
  beforeAll(() => setBackend(TEST_BACKEND));

  // Measured by the backend's own accounting; the cpu backend releases storage at once (a device backend may pool or defer it).
  it.skipIf(TEST_BACKEND !== 'cpu')('gradient checkpointing lowers the peak memory of forward + backward', async () => {
    const m = (await Qwen3ForCausalLM.fromPretrained(join(FIXTURES, 'tiny-f32'))).requiresGrad(true);
    const ids = [
      Array.from({ length: 256 }, (_, i) => (i * 37) % 128),
      Array.from({ length: 256 }, (_, i) => (i * 11) % 128),
    ];
    const peak = async () => {
      const backend = getBackend();
      await backend.sync();
      backend.resetPeak();
      const base = backend.memory().bytesInUse;
      const { hidden } = await m.forwardHidden(ids);
      const loss = sum(hidden);
      hidden.dispose();
      loss.backward();
      loss.dispose();
      const p = backend.memory().peakBytes - base;
      for (const t of m.parameters()) t.zeroGrad();
      return p;
    };
    const plain = await peak();
    m.gradientCheckpointingEnable();
    const recomputed = await peak();
    expect(recomputed).toBeLessThan(plain * 0.8);
    m.dispose();
  });

  it('gradient checkpointing gives the same gradients as the plain backward', async () => {
    const m = (await Qwen3ForCausalLM.fromPretrained(join(FIXTURES, 'tiny-f32'))).requiresGrad(true);
    const w = await expectedTensor('lora_loss_weights');
    const grads = async () => {
      const { logits } = await m.forward(meta.input_ids);
      const loss = sum(mul(logits, tensor(w.data, w.shape)));
      loss.backward();
      const g = await Promise.all(
        [
          'model.layers.0.self_attn.q_proj.weight',
          'model.layers.1.mlp.down_proj.weight',
          'model.embed_tokens.weight',
        ].map(async (n) => {
          const p = m.namedParameters().get(n)!;
          const d = await p.grad!.data();
          p.zeroGrad();
          return d;
        }),
      );
      for (const p of m.parameters()) p.zeroGrad();
      return g;
    };
    const plain = await grads();
    m.gradientCheckpointingEnable();
    const recomputed = await grads();
    for (let i = 0; i < plain.length; i++) expect(maxAbsDiff(plain[i], recomputed[i])).toBeLessThan(1e-5);
    expect(Math.max(...plain[0].map(Math.abs))).toBeGreaterThan(0);
  });
});
