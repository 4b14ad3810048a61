import { beforeAll, describe, expect, it } from 'vitest';
import {
  AdamW,
  TransformerBlock,
  clipGradNorm,
  getBackend,
  gradNorm,
  kernelOp,
  memory,
  mul,
  parameter,
  randn,
  setBackend,
  sum,
  tensor,
  tidy,
} from './index.js';

beforeAll(async () => {
  await setBackend('cpu');
});

describe('a training step leaves nothing behind', () => {
  it('storages and tensor handles return to the same count after every step', async () => {
    const block = new TransformerBlock({ dim: 16, heads: 4, kvHeads: 2, mlpHidden: 24, seed: 1 });
    const opt = new AdamW(block, { lr: 1e-3 });
    const x = randn([2, 5, 16], { seed: 2 });
    const w = randn([2, 5, 16], { seed: 3 });
    const positions = tensor(
      Int32Array.from({ length: 10 }, (_, i) => i % 5),
      [2, 5],
    );
    const counts: [number, number][] = [];
    for (let step = 0; step < 3; step++) {
      const loss = tidy(() => sum(mul(block.forward(x, positions), w)));
      loss.backward();
      const norm = clipGradNorm(block, 1);
      opt.step();
      opt.zeroGrad();
      expect(Number.isFinite(await loss.item())).toBe(true);
      loss.dispose();
      norm.dispose();
      const m = memory();
      counts.push([m.storages, m.tensors]);
    }
    // Step 1 creates the AdamW moments; afterwards the counts hold still.
    expect(counts[1]).toEqual(counts[0]);
    expect(counts[2]).toEqual(counts[0]);
  });
});

describe('the gradient norm', () => {
  it('holds at most one gradient-sized temporary at a time (a LoRA step has hundreds of gradients)', async () => {
    const params = Array.from({ length: 8 }, (_, i) => {
      const p = parameter(randn([256, 256], { seed: 10 + i }));
      p.grad = randn([256, 256], { seed: 20 + i });
      return p;
    });
    const oneGradient = 256 * 256 * 4;
    for (const measure of [gradNorm, (ps: typeof params) => clipGradNorm(ps, 1)]) {
      const before = memory().bytesInUse;
      getBackend().resetPeak();
      const norm = measure(params);
      expect(Number.isFinite(await norm.item())).toBe(true);
      // Clipping replaces each gradient by its scaled copy, one at a time: at most one more at any moment.
      expect(memory().peakBytes - before).toBeLessThan(1.5 * oneGradient);
      norm.dispose();
    }
    for (const p of params) {
      p.grad!.dispose();
      p.dispose();
    }
  });
});

describe('saved tensors', () => {
  it('a matmul with a frozen weight does not keep its input alive', () => {
    const weight = tensor([1, 2, 3, 4], [2, 2]); // frozen
    const x = tensor([1, 1, 2, 2], [2, 2], { requiresGrad: true });
    const before = memory().storages;
    const h = tidy(() => x.mul(2)); // an activation that requires grad
    const y = tidy(() => h.matmul(weight, { transposeB: true }));
    h.dispose();
    // h's storage is released: y's node keeps only the weight (shared), mul saves nothing.
    expect(memory().storages).toBe(before + 1);
    y.dispose();
  });
});

describe('kernelOp', () => {
  it('runs a kernel by name and wraps its outputs', async () => {
    const [y] = kernelOp('scalarOp', [tensor([1, 2], [2])], { op: 'mul', scalar: 3 });
    expect(Array.from(await y!.data())).toEqual([3, 6]);
  });
});
