import { setBackend, type Tensor } from '@molrl/tensor';
import { describe, expect, it } from 'vitest';
import { qwen3Config } from './config.js';
import { randomWeights, weightBytes } from './weights.js';
import { webgpuMissing } from './webgpu.test-util.js';

const config = qwen3Config({
  vocab_size: 96,
  hidden_size: 32,
  intermediate_size: 48,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 8,
  tie_word_embeddings: false,
});

async function values(weights: Map<string, Tensor>): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (const [name, t] of weights) out.set(name, Array.from(await t.data()));
  return out;
}

function dispose(weights: Map<string, Tensor>): void {
  for (const t of weights.values()) t.dispose();
}

describe('randomWeights', () => {
  it('has every checkpoint tensor, in the asked dtype, norms at 1', async () => {
    await setBackend('cpu');
    const w = randomWeights(config, { seed: 3, dtype: 'bfloat16' });
    let bytes = 0;
    for (const t of w.values()) {
      expect(t.dtype).toBe('bfloat16');
      bytes += 2 * t.size;
    }
    expect(bytes).toBe(weightBytes(config, 'bfloat16'));
    expect(new Set(await w.get('model.norm.weight')!.data())).toEqual(new Set([1]));
    dispose(w);
  });

  for (const backend of ['cpu', 'webgpu'] as const) {
    it.skipIf(backend === 'webgpu' && webgpuMissing !== null)(
      `draws a 16-bit weight in pieces of rows with the values drawn whole (${backend})${backend === 'webgpu' && webgpuMissing ? ` (skipped: ${webgpuMissing})` : ''}`,
      async () => {
        const b = await setBackend(backend);
        try {
          for (const dtype of ['bfloat16', 'float16'] as const) {
            const whole = randomWeights(config, { seed: 3, dtype });
            // 200 elements: every weight here but the norms is drawn in pieces of 4 rows.
            const pieces = randomWeights(config, { seed: 3, dtype, pieceElements: 200 });
            const [a, p] = [await values(whole), await values(pieces)];
            for (const [name, v] of a) expect(p.get(name), `${dtype} ${name}`).toEqual(v);
            const other = await values(randomWeights(config, { seed: 4, dtype, pieceElements: 200 }));
            expect(other.get('lm_head.weight')).not.toEqual(a.get('lm_head.weight'));
            dispose(whole);
            dispose(pieces);
          }
        } finally {
          await b.dispose();
        }
      },
    );
  }

  it('rejects a piece size that is not a positive integer', () => {
    expect(() => randomWeights(config, { dtype: 'bfloat16', pieceElements: 0 })).toThrow(
      /pieceElements must be a positive integer, got 0/,
    );
  });
});
