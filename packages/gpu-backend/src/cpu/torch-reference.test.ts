import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { float32ToBfloat16Bits, float32ToFloat16Bits } from '../dtype-convert.js';
import { expectClose, runCpu, sharedCpu } from './cpu.test-util.js';

// Produced by scripts/torch-reference.py (PyTorch 1.13, transformers' formulas).
const ref = JSON.parse(readFileSync(new URL('./fixtures/torch-reference.json', import.meta.url), 'utf8'));

describe('cpu kernels against PyTorch', () => {
  it('converts to float16 and bfloat16 bit-exactly like torch .to()', () => {
    const { values, float16Bits, bfloat16Bits } = ref.convert;
    expect(values.map(float32ToFloat16Bits)).toEqual(float16Bits);
    expect(values.map(float32ToBfloat16Bits)).toEqual(bfloat16Bits);
  });

  it('applies rope like transformers apply_rotary_pos_emb, long positions included', async () => {
    for (const c of ref.rope) {
      const [b, , t] = c.shape;
      const [y] = await runCpu(
        'rope',
        [
          { data: c.x, shape: c.shape },
          { data: c.positions, shape: [b, t], dtype: 'int32' },
        ],
        { theta: c.theta },
      );
      expectClose(y.data, c.y, 1e-6, 1e-5);
      const [back] = await runCpu(
        'rope',
        [
          { data: y.data, shape: c.shape },
          { data: c.positions, shape: [b, t], dtype: 'int32' },
        ],
        { theta: c.theta, inverse: true },
      );
      expectClose(back.data, c.x, 1e-5, 1e-5);
    }
  });

  it('computes RMSNorm and its gradients like Qwen3RMSNorm under autograd', async () => {
    const r = ref.rmsNorm;
    const [y] = await runCpu(
      'rmsNorm',
      [
        { data: r.x, shape: r.shape },
        { data: r.weight, shape: [16] },
      ],
      { eps: r.eps },
    );
    expectClose(y.data, r.y, 1e-6, 1e-5);
    const [dx, dw] = await runCpu(
      'rmsNormGrad',
      [
        { data: r.dy, shape: r.shape },
        { data: r.x, shape: r.shape },
        { data: r.weight, shape: [16] },
      ],
      { eps: r.eps },
    );
    expectClose(dx.data, r.dx, 1e-5, 1e-4);
    expectClose(dw.data, r.dweight, 1e-5, 1e-4);
  });

  it('takes AdamW steps like torch.optim.AdamW', async () => {
    const a = ref.adamw;
    const cpu = await sharedCpu();
    const n = a.param0.length;
    const info = (data: number[] | Float32Array) => ({
      storage: cpu.upload(Float32Array.from(data), 'float32'),
      shape: [n],
      dtype: 'float32' as const,
    });
    const p = info(a.param0);
    const m = info(new Float32Array(n));
    const v = info(new Float32Array(n));
    for (let s = 0; s < a.steps.length; s++) {
      const g = info(a.steps[s].grad);
      const outs = cpu.run('adamw', [p, g, m, v], {
        lr: a.lr,
        beta1: a.beta1,
        beta2: a.beta2,
        eps: a.eps,
        weightDecay: a.weightDecay,
        step: s + 1,
      });
      expect(outs).toEqual([]);
      expectClose(cpu.readSync(m.storage), a.steps[s].m, 1e-7, 1e-5);
      expectClose(cpu.readSync(v.storage), a.steps[s].v, 1e-8, 1e-5);
      expectClose(cpu.readSync(p.storage), a.steps[s].param, 1e-6, 1e-5);
      cpu.release(g.storage);
    }
  });
});

describe('adamw against a scalar re-implementation of torch.optim.AdamW.step', () => {
  it('matches for several steps, with and without weight decay', async () => {
    for (const weightDecay of [0, 0.1]) {
      const hp = { lr: 3e-3, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay };
      let p = [0.5, -1.5, 2, 0];
      let m = [0, 0, 0, 0];
      let v = [0, 0, 0, 0];
      const grads = [
        [0.1, -0.2, 0.3, 0],
        [1, 1, -1, 0.5],
        [-0.3, 0.2, 0.1, -2],
      ];
      const cpu = await sharedCpu();
      const up = (x: number[]) => ({
        storage: cpu.upload(Float32Array.from(x), 'float32'),
        shape: [4],
        dtype: 'float32' as const,
      });
      const [P, M, V] = [up(p), up(m), up(v)];
      grads.forEach((g, s) => {
        const step = s + 1;
        // torch/optim/adamw.py _single_tensor_adamw, written out per element.
        p = p.map((x) => x * (1 - hp.lr * hp.weightDecay));
        m = m.map((x, i) => x * hp.beta1 + g[i] * (1 - hp.beta1));
        v = v.map((x, i) => x * hp.beta2 + g[i] * g[i] * (1 - hp.beta2));
        const stepSize = hp.lr / (1 - hp.beta1 ** step);
        const bc2Sqrt = Math.sqrt(1 - hp.beta2 ** step);
        p = p.map((x, i) => x - (stepSize * m[i]) / (Math.sqrt(v[i]) / bc2Sqrt + hp.eps));
        cpu.run('adamw', [P, up(g), M, V], { ...hp, step });
      });
      expectClose(cpu.readSync(P.storage), p, 1e-6, 1e-5);
      expectClose(cpu.readSync(M.storage), m, 1e-7, 1e-5);
      expectClose(cpu.readSync(V.storage), v, 1e-7, 1e-5);
    }
  });
});
