import { describe, expect, it } from 'vitest';
import { qwen3Config } from './config.js';
import { QWEN3_0_6B, QWEN3_8B } from './presets.js';
import { weightBytes } from './weights.js';

describe('Qwen3 presets', () => {
  it('make the published parameter counts (0.6B with the tied embedding, 8.2B)', () => {
    // weightBytes in float32 / 4 = parameters (norms included).
    const params = (c: ReturnType<typeof qwen3Config>) => weightBytes(c, 'float32') / 4;
    expect(params(qwen3Config(QWEN3_0_6B))).toBe(596_049_920);
    expect(params(qwen3Config(QWEN3_8B))).toBe(8_190_735_360);
  });

  it('are valid configs and can be narrowed', () => {
    const slice = qwen3Config({ ...QWEN3_0_6B, num_hidden_layers: 2 });
    expect(slice.num_hidden_layers).toBe(2);
    expect(slice.hidden_size).toBe(1024);
  });
});
