import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkpoint,
  gradcheck,
  matmul,
  memory,
  mul,
  randn,
  setBackend,
  sum,
  tanh,
  tidy,
  type Tensor,
} from '../index.js';

beforeAll(async () => {
  await setBackend('cpu');
});

// A small two-layer function with a constant input (a mask) and a parameter.
const layer = (x: Tensor, w: Tensor, mask: Tensor) => mul(tanh(matmul(tanh(matmul(x, w)), w)), mask);

describe('checkpoint', () => {
  it('passes gradcheck for the input and the parameters it is given', async () => {
    const x = randn([3, 4], { seed: 1 });
    const w = randn([4, 4], { seed: 2, std: 0.5 });
    const mask = randn([3, 4], { seed: 3 });
    await gradcheck((xi, wi) => checkpoint((xx, m) => layer(xx, wi!, m!), xi!, [mask], [wi!]), [x, w]);
  });

  it('keeps only its inputs: the intermediates are made again in the backward', () => {
    const x = randn([64, 64], { seed: 4, requiresGrad: true });
    const w = randn([64, 64], { seed: 5, std: 0.1, requiresGrad: true });
    const mask = randn([64, 64], { seed: 6 });
    const held = (fn: () => Tensor) => {
      const before = memory().storages;
      const y = tidy(fn);
      const n = memory().storages - before;
      sum(y).backward();
      y.dispose();
      x.zeroGrad();
      w.zeroGrad();
      return n;
    };
    const plain = held(() => layer(x, w, mask));
    const recomputed = held(() => checkpoint((xx, m) => layer(xx, w, m!), x, [mask], [w]));
    // Plain: the output plus the saved activations (two tanh outputs, a matmul input); checkpointed: the output.
    expect(recomputed).toBe(1);
    expect(plain).toBeGreaterThan(recomputed);
  });
});
