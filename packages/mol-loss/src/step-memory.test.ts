import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyLora } from '@molrl/lora';
import { QWEN3_0_6B, QWEN3_8B, Qwen3ForCausalLM, qwen3Config, randomWeights } from '@molrl/model';
import { getBackend, setBackend } from '@molrl/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { molStepMemory, type MemoryModelShape } from './step-memory.js';
import { MolTrainer } from './trainer/trainer.js';
import type { TrainingRow } from './trainer/batch.js';

beforeAll(async () => {
  await setBackend('cpu');
});

const GB = 1e9;

describe('molStepMemory', () => {
  it('counts the weights of Qwen3-0.6B and Qwen3-8B at their published sizes', () => {
    // 0.596B and 8.19B parameters (the model cards), two bytes each in bfloat16.
    const small = molStepMemory(QWEN3_0_6B, { tokens: 1024 });
    expect(small.weights / 2 / 1e9).toBeCloseTo(0.596, 2);
    const large = molStepMemory(QWEN3_8B, { tokens: 1024 });
    expect(large.weights / 2 / 1e9).toBeCloseTo(8.19, 1);
    expect(molStepMemory(QWEN3_0_6B, { tokens: 1024, weightDtype: 'float32' }).weights).toBe(2 * small.weights);
  });

  it('counts the adapter as float32 parameters, gradients and two AdamW moments', () => {
    // Rank 8 on q only of a 1-layer model: 8 * (in + out) parameters.
    const shape = { ...QWEN3_0_6B, num_hidden_layers: 1 };
    const m = molStepMemory(shape, { tokens: 16, rank: 8, targets: ['q'] });
    expect(m.adapter).toBe(4 * 8 * (1024 + 2048) * 4);
  });

  it('grows with the tokens in every part that holds activations', () => {
    const a = molStepMemory(QWEN3_0_6B, { tokens: 1024 });
    const b = molStepMemory(QWEN3_0_6B, { tokens: 2048 });
    expect(b.checkpoints).toBe(2 * a.checkpoints);
    expect(b.forward).toBeGreaterThan(a.forward);
    expect(b.backward).toBeGreaterThan(a.backward);
    expect(b.peak).toBeGreaterThan(a.peak);
    expect(b.weights).toBe(a.weights);
  });

  it('fits a Qwen3-0.6B LoRA step in 8 GB up to 16384 tokens and a Qwen3-8B one in 80 GB up to 32768', () => {
    expect(molStepMemory(QWEN3_0_6B, { tokens: 16384 }).peak).toBeLessThan(8 * GB);
    expect(molStepMemory(QWEN3_0_6B, { tokens: 32768 }).peak).toBeGreaterThan(8 * GB);
    expect(molStepMemory(QWEN3_8B, { tokens: 32768 }).peak).toBeLessThan(80 * GB);
    expect(molStepMemory(QWEN3_8B, { tokens: 65536 }).peak).toBeGreaterThan(80 * GB);
    // float32 weights (32.8 GB, 16.4 more) leave 8B far less room, less the float32
    // copies a half-precision weight gets per use (the embedding's 2.5 GB, a block's).
    expect(molStepMemory(QWEN3_8B, { tokens: 16384, weightDtype: 'float32' }).peak).toBeGreaterThan(
      molStepMemory(QWEN3_8B, { tokens: 16384 }).peak + 12 * GB,
    );
  });

  it('names the argument it refuses', () => {
    expect(() => molStepMemory(QWEN3_0_6B, { tokens: 0 })).toThrow(/tokens must be a positive integer, got 0/);
    expect(() => molStepMemory({ ...QWEN3_0_6B, hidden_size: 1.5 }, { tokens: 8 })).toThrow(/hidden_size/);
    expect(() => molStepMemory(QWEN3_0_6B, { tokens: 8, targets: ['qkv' as never] })).toThrow(/unknown target 'qkv'/);
    expect(() => molStepMemory(QWEN3_0_6B, { tokens: 8, dropout: 1 })).toThrow(/dropout must be in \[0, 1\)/);
    expect(() => molStepMemory(QWEN3_0_6B, { tokens: 8, weightDtype: 'int8' as never })).toThrow(/weightDtype/);
  });

  // The model against a real step: the peak of the second step of MolTrainer (the
  // first warms caches) on a small Qwen3 with bfloat16 weights, checkpointing and a
  // rank-8 adapter, measured by the backend's own peakBytes. webgpu runs where an
  // adapter exists (lavapipe on a CPU machine); without one the case is skipped.
  const ACTIVATION_BOUND = {
    name: 'activation-bound',
    H: 96,
    F: 320,
    L: 2,
    T: 256,
    V: 500,
    r: 8,
    heads: 4,
    kv: 2,
    d: 32,
  };
  it.for([
    { ...ACTIVATION_BOUND, backend: 'cpu' },
    // Dropout on the adapter's input: the composition instead of one loraLinear op per layer.
    { ...ACTIVATION_BOUND, name: 'activation-bound, dropout 0.05,', dropout: 0.05, backend: 'cpu' },
    { name: 'vocabulary-bound', H: 64, F: 256, L: 2, T: 128, V: 20000, r: 8, heads: 4, kv: 4, d: 16, backend: 'cpu' },
    { ...ACTIVATION_BOUND, T: 64, backend: 'webgpu' },
  ])('predicts the measured peak of a $name LoRA step on $backend within 10%', async (s, ctx) => {
    try {
      await setBackend(s.backend);
    } catch (e) {
      if (s.backend === 'webgpu' && /no WebGPU adapter/.test((e as Error).message)) ctx.skip();
      throw e;
    }
    const shape: MemoryModelShape = {
      vocab_size: s.V,
      hidden_size: s.H,
      intermediate_size: s.F,
      num_hidden_layers: s.L,
      num_attention_heads: s.heads,
      num_key_value_heads: s.kv,
      head_dim: s.d,
      tie_word_embeddings: true,
    };
    const backend = getBackend();
    const outputDir = mkdtempSync(join(tmpdir(), 'step-memory-'));
    try {
      const before = backend.memory().bytesInUse;
      const config = qwen3Config({ ...shape });
      const model = Qwen3ForCausalLM.fromWeights(config, randomWeights(config, { seed: 1, dtype: 'bfloat16' }));
      const dropout = 'dropout' in s ? s.dropout : 0;
      const lora = applyLora(model, { r: s.r, alpha: 2 * s.r, dropout });
      model.gradientCheckpointingEnable();
      model.train();
      const third = Math.floor(s.T / 3);
      const row: TrainingRow = {
        ids: Array.from({ length: s.T }, (_, i) => (i * 7919) % s.V),
        labels: [
          ...Array<'prompt'>(third).fill('prompt'),
          ...Array<'decision'>(third).fill('decision'),
          ...Array<'feedback'>(s.T - 2 * third).fill('feedback'),
        ],
      };
      const trainer = new MolTrainer({
        model,
        lora,
        train: [row],
        config: { outputDir, maxSteps: 4, microBatchSize: 1, globalBatchSize: 1, progress: 'silent', saveSteps: 1000 },
      });
      await trainer.trainer.step();
      backend.resetPeak();
      await trainer.trainer.step();
      const measured = backend.memory().peakBytes - before;
      const predicted = molStepMemory(shape, {
        tokens: s.T,
        rank: s.r,
        dropout,
        // Shifted targets: every labelled token but the prompt and the last.
        lossTokens: s.T - third - 1,
        decisionTokens: third,
      }).peak;
      expect(predicted / measured).toBeGreaterThan(0.9);
      expect(predicted / measured).toBeLessThan(1.1);
    } finally {
      rmSync(outputDir, { recursive: true, force: true });
      await setBackend('cpu');
    }
  });
});
