/**
 * What an adapter costs a GPU's decode in launches: on webgpu, one decode
 * step with the adapter as the fused loraLinear op makes one dispatch more
 * per adapted layer than the base model (x A^T; the weight's GEMV adds the
 * low-rank term), where the composition makes four more. Skipped with the
 * reason where no WebGPU adapter exists.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Qwen3ForCausalLM } from '@molrl/model';
import { setBackend } from '@molrl/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { loadLora } from './lora.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'model', 'fixtures');

interface Dispatching {
  dispatch(d: unknown): void;
}

let webgpu: Dispatching | null = null;
let webgpuMissing: string | null = null;
try {
  webgpu = (await setBackend('webgpu')) as unknown as Dispatching;
} catch (error) {
  webgpuMissing = (error as Error).message;
  console.warn(`LoRA decode launches on webgpu skipped: ${webgpuMissing}`);
}
afterAll(async () => {
  await setBackend('cpu');
});

/** Dispatches of the third generated token's step (a decode step, the cache warm) and the tokens. */
async function decodeStepDispatches(model: Qwen3ForCausalLM): Promise<{ dispatches: number; tokens: number[] }> {
  const backend = webgpu!;
  const dispatch = backend.dispatch.bind(backend);
  let count = 0;
  backend.dispatch = (d) => {
    count++;
    dispatch(d);
  };
  const marks: number[] = [];
  try {
    const [tokens] = await model.generate([[3, 17, 42, 5]], {
      maxNewTokens: 4,
      temperature: 0,
      stopTokenIds: [],
      onStep: () => marks.push(count),
    });
    return { dispatches: marks[2]! - marks[1]!, tokens: tokens! };
  } finally {
    backend.dispatch = dispatch;
  }
}

describe('LoRA decode launches on webgpu', () => {
  it.skipIf(!!webgpuMissing)(
    'one dispatch per adapted layer and step over the base model, four with the composition; the same tokens',
    { timeout: 300_000 },
    async () => {
      const model = await Qwen3ForCausalLM.fromPretrained(join(FIXTURES, 'tiny-f32'));
      const handle = await loadLora(model, join(FIXTURES, 'peft-lora'));
      const adapted = handle.adapters.size;
      const fused = await decodeStepDispatches(model);
      const base = await handle.withDisabled(() => decodeStepDispatches(model));
      for (const adapter of handle.adapters.values()) adapter.forwardLinear = () => null;
      const composed = await decodeStepDispatches(model);
      expect(fused.dispatches - base.dispatches).toBe(adapted);
      expect(composed.dispatches - base.dispatches).toBe(4 * adapted);
      expect(fused.tokens).toEqual(composed.tokens);
      model.dispose();
    },
  );
});
