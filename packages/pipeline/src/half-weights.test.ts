/**
 * A model whose weights are stored as bfloat16 gives, on webgpu, the logits of
 * the float32 model within the rounding bfloat16 storage causes on the cpu
 * backend: the half weights are widened correctly wherever webgpu widens them
 * (on upload or inside its kernels), and nothing else is lost on the way.
 * Skipped with the reason where no WebGPU adapter exists.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Qwen3ForCausalLM } from '@molrl/model';
import { useBackend } from './backend.js';
import { DEFAULT_MODEL_DIR } from './config.js';

const PROMPTS = [
  [1, 17, 300, 42, 7, 1999, 64, 5, 12, 800, 33, 2],
  [9, 4, 77, 1500, 23, 600, 81, 2040, 3, 3, 150, 11],
];

async function logitsOn(backend: string, dtype: 'float32' | 'bfloat16'): Promise<Float32Array> {
  await useBackend(backend);
  const model = await Qwen3ForCausalLM.fromPretrained(DEFAULT_MODEL_DIR, { dtype });
  const { logits } = await model.forward(PROMPTS);
  const data = Float32Array.from(await logits.data());
  logits.dispose();
  for (const p of model.parameters()) p.dispose();
  return data;
}

const maxAbsDiff = (a: Float32Array, b: Float32Array): number =>
  a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

let webgpuMissing: string | null = null;
try {
  await useBackend('webgpu');
} catch (error) {
  webgpuMissing = (error as Error).message;
  console.warn(`bfloat16 weights on webgpu skipped: ${webgpuMissing}`);
}
afterAll(async () => {
  await useBackend('cpu');
});

describe('bfloat16-stored weights on webgpu', () => {
  it.skipIf(!!webgpuMissing)(
    "give the float32 logits within the cpu backend's bfloat16 rounding",
    { timeout: 300_000 },
    async () => {
      const reference = await logitsOn('cpu', 'float32');
      const cpuHalf = await logitsOn('cpu', 'bfloat16');
      const webgpuHalf = await logitsOn('webgpu', 'bfloat16');
      const scale = reference.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      const rounding = maxAbsDiff(cpuHalf, reference);
      if (process.env.MOLRL_TEST_VERBOSE)
        console.log(
          `max |logit| ${scale}; bf16 - f32 on cpu ${rounding}, on webgpu ${maxAbsDiff(webgpuHalf, reference)}; webgpu - cpu (bf16) ${maxAbsDiff(webgpuHalf, cpuHalf)}`,
        );
      // bfloat16 storage moves the logits (8 bits of mantissa), but not beyond recognition.
      expect(rounding).toBeGreaterThan(1e-4 * scale);
      expect(rounding).toBeLessThan(0.1 * scale);
      // webgpu's error against float32 is the cpu's rounding, up to float32 noise of the compute.
      expect(maxAbsDiff(webgpuHalf, reference)).toBeLessThanOrEqual(rounding * 1.05 + 1e-4 * scale);
      // And it is the same bfloat16 model: the two backends agree far closer than the rounding.
      expect(maxAbsDiff(webgpuHalf, cpuHalf)).toBeLessThan(Math.max(0.05 * rounding, 1e-4 * scale));
    },
  );
});
