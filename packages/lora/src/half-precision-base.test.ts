import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Qwen3ForCausalLM } from '@molrl/model';
import { AdamW, mean, mul, randn, setBackend } from '@molrl/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadLora } from './lora.js';

// The model package's fixtures: tiny-bf16 holds weights exact in bfloat16, so its float32 load has the same values.
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'model', 'fixtures');
const inputIds = (JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as { input_ids: number[][] })
  .input_ids;

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let scale = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    m = Math.max(m, Math.abs(a[i] - b[i]));
  }
  return m / Math.max(scale, 1e-12);
}

/** A LoRA step on the fixture model stored as `dtype`: loss, adapter gradients, then the updated adapter. */
async function loraStep(dtype: 'bfloat16' | 'float32') {
  const model = await Qwen3ForCausalLM.fromPretrained(join(FIXTURES, 'tiny-bf16'), { dtype });
  const handle = await loadLora(model, join(FIXTURES, 'peft-lora'));
  const { logits } = await model.forward(inputIds);
  const weights = randn(logits.shape, { seed: 3 });
  const loss = mean(mul(logits, weights));
  loss.backward();
  const grads = new Map<string, Float32Array>();
  for (const [key, t] of handle.namedParameters()) grads.set(key, await t.grad!.data());
  const frozen = model.parameters().every((p) => p.grad === null);
  const storedAs = model.lmHeadWeight.dtype;
  const opt = new AdamW(
    [...handle.namedParameters()].map(([, t]) => t),
    { lr: 1e-2 },
  );
  opt.step();
  const updated = new Map<string, Float32Array>();
  for (const [key, t] of handle.namedParameters()) updated.set(key, await t.data());
  const value = await loss.item();
  weights.dispose();
  model.dispose();
  return { value, grads, updated, frozen, storedAs };
}

describe('LoRA on a frozen half-precision base', () => {
  beforeAll(async () => {
    await setBackend(process.env.MOLRL_TEST_BACKEND ?? 'cpu');
  });

  it('trains from bfloat16 weights read as stored as it does from the same weights in float32', async () => {
    const half = await loraStep('bfloat16');
    const full = await loraStep('float32');
    expect(half.storedAs).toBe('bfloat16');
    expect(full.storedAs).toBe('float32');
    expect(half.frozen).toBe(true);
    expect(Math.abs(half.value - full.value)).toBeLessThan(1e-5 * Math.max(1, Math.abs(full.value)));
    expect(half.grads.size).toBe(28);
    for (const [key, g] of full.grads) {
      expect(maxRelDiff(half.grads.get(key)!, g), key).toBeLessThan(1e-4);
      expect(maxRelDiff(half.updated.get(key)!, full.updated.get(key)!), key).toBeLessThan(1e-4);
    }
  });
});
