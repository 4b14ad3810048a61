/**
 * A model whose weights are stored as bfloat16 gives, on webgpu, the logits of
 * the float32 model within the rounding bfloat16 storage causes on the cpu
 * backend: the half weights are widened correctly wherever webgpu widens them
 * (on upload or inside its kernels), and nothing else is lost on the way.
 * Skipped with the reason where no WebGPU adapter exists.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Qwen3ForCausalLM, randomWeights } from '@molrl/model';
import { add, mul, type Tensor } from '@molrl/tensor';
import { useBackend } from './backend.js';
import { DEFAULT_MODEL_DIR } from './config.js';

// Ids spread over the vocabulary, as fractions of its size, so they stay valid when the default model changes.
const SPREAD = [
  [0.0005, 0.009, 0.16, 0.023, 0.004, 0.99, 0.035, 0.003, 0.006, 0.43, 0.018, 0.001],
  [0.005, 0.002, 0.041, 0.8, 0.012, 0.32, 0.044, 0.97, 0.0015, 0.0015, 0.08, 0.006],
];
const VOCAB = (JSON.parse(readFileSync(join(DEFAULT_MODEL_DIR, 'config.json'), 'utf8')) as { vocab_size: number })
  .vocab_size;
const PROMPTS = SPREAD.map((row) => row.map((f) => Math.floor(f * VOCAB)));

/**
 * The embedded model nudged off the bfloat16 grid, saved as float32: its committed
 * weights are bfloat16 already, so loading them as float32 would round nothing.
 */
async function offGridModel(): Promise<string> {
  await useBackend('cpu');
  const model = await Qwen3ForCausalLM.fromPretrained(DEFAULT_MODEL_DIR, { dtype: 'float32' });
  const noise = randomWeights(model.config, { seed: 7 });
  const nudged = new Map<string, Tensor>();
  for (const [name, w] of model.namedParameters()) {
    // A relative nudge of about bfloat16's resolution (2^-8) moves every weight off its grid.
    nudged.set(name, add(w, mul(w, mul(noise.get(name)!, 0.004 / model.config.initializer_range))).keep());
  }
  const dir = mkdtempSync(join(tmpdir(), 'molrl-half-weights-'));
  await Qwen3ForCausalLM.fromWeights(model.config, nudged).savePretrained(dir, { dtype: 'float32' });
  for (const t of [...nudged.values(), ...noise.values(), ...model.parameters()]) t.dispose();
  return dir;
}

let modelDir = '';

async function logitsOn(backend: string, dtype: 'float32' | 'bfloat16'): Promise<Float32Array> {
  await useBackend(backend);
  const model = await Qwen3ForCausalLM.fromPretrained(modelDir, { dtype });
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
  if (modelDir) rmSync(modelDir, { recursive: true, force: true });
  await useBackend('cpu');
});

describe('bfloat16-stored weights on webgpu', () => {
  it.skipIf(!!webgpuMissing)(
    "give the float32 logits within the cpu backend's bfloat16 rounding",
    { timeout: 300_000 },
    async () => {
      modelDir = await offGridModel();
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
