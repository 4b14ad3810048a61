import { Linear, memory, setBackend, TransformerBlock } from '@molrl/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { qwen3Config } from './config.js';
import { Qwen3Module } from './qwen3.js';
import { expectedWeightShapes, randomWeights } from './weights.js';

beforeAll(async () => {
  await setBackend('cpu');
});

const config = (tied: boolean) =>
  qwen3Config({
    vocab_size: 32,
    hidden_size: 16,
    intermediate_size: 24,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    head_dim: 6, // apart from hidden / heads, as in the released Qwen3 sizes
    tie_word_embeddings: tied,
  });

describe('Qwen3Module, built from @molrl/tensor modules', () => {
  it("names every weight as transformers does, from the module tree, in the checkpoint table's order", () => {
    for (const tied of [true, false]) {
      const c = config(tied);
      const m = new Qwen3Module(c, randomWeights(c));
      const named = m.namedParameters().map(([n, t]) => [n, [...t.shape]]);
      expect(named).toEqual([...expectedWeightShapes(c)]);
      for (const [name, t] of m.namedParameters()) expect(t.name).toBe(name);
      // A tied head is the embedding's own parameter, named once.
      expect(m.lmHead.weight === m.embedTokens).toBe(tied);
      expect(named.some(([n]) => n === 'lm_head.weight')).toBe(!tied);
      m.dispose();
    }
  });

  it("has tensor's decoder block and Linear: the layers LoRA targets carry their module paths", () => {
    const c = config(true);
    const m = new Qwen3Module(c, randomWeights(c));
    expect(m.layers.every((l) => l instanceof TransformerBlock)).toBe(true);
    const linears = m.linearLayers();
    expect([...linears.keys()].slice(0, 7)).toEqual(
      ['q_proj', 'k_proj', 'v_proj', 'o_proj']
        .map((p) => `model.layers.0.self_attn.${p}`)
        .concat(['gate_proj', 'up_proj', 'down_proj'].map((p) => `model.layers.0.mlp.${p}`)),
    );
    expect(linears.size).toBe(14);
    for (const [path, lin] of linears) {
      expect(lin).toBeInstanceOf(Linear);
      expect(lin.name).toBe(path);
    }
    expect(m.lmHead.name).toBe('lm_head');
    m.gradientCheckpointing = true;
    expect(m.layers.every((l) => l.gradientCheckpointing)).toBe(true);
    m.dispose();
  });

  it('names a missing or misshapen weight and takes nothing over when one is wrong', () => {
    const c = config(true);
    const weights = randomWeights(c);
    const live = memory().tensors;
    const q = 'model.layers.1.self_attn.q_proj.weight';
    const good = weights.get(q)!;
    weights.delete(q);
    expect(() => new Qwen3Module(c, weights)).toThrow(`Qwen3: weight '${q}' is missing`);
    weights.set(q, weights.get('model.layers.1.self_attn.o_proj.weight')!);
    expect(() => new Qwen3Module(c, weights)).toThrow(`Qwen3: weight '${q}' is [16, 24], the config implies [24, 16]`);
    expect(memory().tensors).toBe(live);
    expect([...weights.values()].every((t) => !t.isDisposed)).toBe(true);
    weights.set(q, good);
    new Qwen3Module(c, weights).dispose();
  });
});
