import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AdamW,
  GradientAccumulator,
  clipGradNorm,
  gradNorm,
  constantSchedule,
  cosineSchedule,
  linearSchedule,
  linearWarmup,
  mul,
  parameter,
  setBackend,
  sum,
  tensor,
  warmupCosine,
} from '../index.js';

const ref = JSON.parse(readFileSync(new URL('../../fixtures/adamw-reference.json', import.meta.url), 'utf8')) as {
  p0: number[];
  grads: number[][];
  lrs: number[];
  paramsAfter: number[][];
  expAvg: number[];
  expAvgSq: number[];
  clip: { norm: number; a: number[]; b: number[] };
};

beforeAll(async () => {
  await setBackend('cpu');
});

function expectClose(actual: ArrayLike<number>, expected: number[], tol: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThan(tol);
}

describe('AdamW', () => {
  it('matches torch.optim.AdamW with a warmup+cosine LambdaLR, step by step', async () => {
    const p = parameter(tensor(ref.p0, [2, 3]));
    const opt = new AdamW([['w', p]], { lr: warmupCosine(0.1, 2, 4), betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.1 });
    for (let s = 0; s < ref.grads.length; s++) {
      expect(opt.lr).toBeCloseTo(ref.lrs[s]!, 7);
      p.grad = tensor(ref.grads[s]!, [2, 3]).keep();
      opt.step();
      opt.zeroGrad();
      expectClose(await p.data(), ref.paramsAfter[s]!, 1e-5);
    }
    const state = opt.stateDict();
    expect(state.step).toBe(4);
    expectClose(await state.state.w!.m.data(), ref.expAvg, 1e-6);
    expectClose(await state.state.w!.v.data(), ref.expAvgSq, 1e-6);
  });
  it('state dict round trip resumes identically', async () => {
    const run = async (split: boolean) => {
      const p = parameter(tensor(ref.p0, [2, 3]));
      let opt = new AdamW([['w', p]], { lr: 0.05, weightDecay: 0.1 });
      for (let s = 0; s < 4; s++) {
        if (split && s === 2) {
          const saved = opt.stateDict();
          const next = new AdamW([['w', p]], { lr: 0.05, weightDecay: 0.1 });
          next.loadStateDict(saved);
          opt.dispose();
          opt = next;
        }
        p.grad = tensor(ref.grads[s]!, [2, 3]).keep();
        opt.step();
        opt.zeroGrad();
      }
      return Array.from(await p.data());
    };
    expect(await run(true)).toEqual(await run(false));
  });
  it('refuses options that would corrupt the parameters, naming the option', () => {
    const p = parameter(tensor([1, 2], [2]));
    expect(() => new AdamW([p], { lr: '1e-4' as unknown as number })).toThrow(/option 'lr' is "1e-4"/);
    expect(() => new AdamW([p], { lr: Number.NaN })).toThrow(/option 'lr'/);
    expect(() => new AdamW([p], { lr: -1 })).toThrow(/option 'lr'/);
    expect(() => new AdamW([p], { betas: [0.9, 1] })).toThrow(/option 'betas'/);
    expect(() => new AdamW([p], { eps: 0 })).toThrow(/option 'eps'/);
    expect(() => new AdamW([p], { weightDecay: Infinity })).toThrow(/option 'weightDecay'/);
    const scheduled = new AdamW([p], { lr: () => Number.NaN });
    expect(() => scheduled.lr).toThrow(/lr schedule returned NaN at step 0/);
    expect(new AdamW([p], { lr: 0, betas: [0, 0.5] }).lr).toBe(0);
  });

  it('loadStateDict names unexpected keys and shape mismatches', () => {
    const p = parameter(tensor([1, 2], [2]));
    const opt = new AdamW([['w', p]]);
    expect(() =>
      opt.loadStateDict({ step: 1, state: { x: { m: tensor([0, 0], [2]), v: tensor([0, 0], [2]) } } }),
    ).toThrow(/unexpected parameter keys: x/);
    expect(() => opt.loadStateDict({ step: 1, state: { w: { m: tensor([0], [1]), v: tensor([0], [1]) } } })).toThrow(
      /moments of 'w' have shapes \[1\]\/\[1\], parameter \[2\]/,
    );
  });
});

describe('clipGradNorm', () => {
  it('matches torch.nn.utils.clip_grad_norm_', async () => {
    const a = parameter(tensor([3, 4], [2]));
    const b = parameter(tensor([12], [1, 1]));
    a.grad = tensor([3, 4], [2]).keep();
    b.grad = tensor([12], [1, 1]).keep();
    const norm = clipGradNorm([a, b], 6.5);
    expect(await norm.item()).toBeCloseTo(ref.clip.norm, 4);
    expectClose(await a.grad!.data(), ref.clip.a, 1e-5);
    expectClose(await b.grad!.data(), ref.clip.b, 1e-5);
  });
  it('gradNorm is the same norm without touching the gradients, and is not finite when a gradient is not', async () => {
    const a = parameter(tensor([3, 4], [2]));
    const b = parameter(tensor([12], [1, 1]));
    a.grad = tensor([3, 4], [2]).keep();
    b.grad = tensor([12], [1, 1]).keep();
    expect(await gradNorm([a, b]).item()).toBeCloseTo(13, 5);
    expect(Array.from(await a.grad!.data())).toEqual([3, 4]);
    expect(await gradNorm([parameter(tensor([1], [1]))]).item()).toBe(0);
    b.grad = tensor([Number.NaN], [1, 1]).keep();
    expect(Number.isNaN(await gradNorm([a, b]).item())).toBe(true);
  });
  it('counts half-precision gradients in float32 and keeps their dtype (torch.nn.utils.clip_grad_norm_)', async () => {
    // torch 1.13: a bfloat16 grad [3, 4] beside a float32 [[300.5]], max norm 6.5.
    const a = parameter(tensor([3, 4], [2], { dtype: 'bfloat16' }));
    const b = parameter(tensor([300], [1, 1]));
    a.grad = tensor([3, 4], [2], { dtype: 'bfloat16' }).keep();
    b.grad = tensor([300.5], [1, 1]).keep();
    expect(await clipGradNorm([a, b], 6.5).item()).toBeCloseTo(300.5415954589844, 3);
    expect(a.grad!.dtype).toBe('bfloat16');
    expect(Array.from(await a.grad!.data())).toEqual([0.06494140625, 0.08642578125]);
    expectClose(await b.grad!.data(), [6.499100208282471], 1e-5);
    // float16 squares overflow at 256: [300, 400] has norm 500, not Infinity.
    const h = parameter(tensor([1, 1], [2], { dtype: 'float16' }));
    h.grad = tensor([300, 400], [2], { dtype: 'float16' }).keep();
    expect(await gradNorm([h]).item()).toBe(500);
  });
  it('leaves gradients below the threshold unchanged', async () => {
    const a = parameter(tensor([1, 1], [2]));
    a.grad = tensor([0.3, 0.4], [2]).keep();
    expect(await clipGradNorm([a], 1).item()).toBeCloseTo(0.5, 5);
    expectClose(await a.grad!.data(), [0.3, 0.4], 1e-6);
  });
});

describe('schedules', () => {
  it('follow the transformers formulas', () => {
    expect(constantSchedule(0.3)(100)).toBe(0.3);
    const w = linearWarmup(1, 4);
    expect([0, 1, 2, 4, 10].map(w)).toEqual([0, 0.25, 0.5, 1, 1]);
    const l = linearSchedule(1, 2, 6);
    expect([0, 1, 2, 4, 6, 8].map(l)).toEqual([0, 0.5, 1, 0.5, 0, 0]);
    const c = cosineSchedule(1, 10, { minLr: 0.1 });
    expect(c(0)).toBeCloseTo(1);
    expect(c(5)).toBeCloseTo(0.55);
    expect(c(10)).toBeCloseTo(0.1);
    const wc = warmupCosine(2, 2, 4);
    expect([0, 1, 2, 3, 4].map(wc).map((v) => +v.toFixed(6))).toEqual([0, 1, 2, 1, 0]);
  });
});

describe('GradientAccumulator', () => {
  it('micro-batch losses are scaled by 1/k and one step is taken per k', async () => {
    const xs = [1, 2, 3, 4];
    // d/dw of (w x)^2 / 4 summed over the first three micro-batches.
    const w = parameter(tensor([0.5], [1]));
    const opt = new AdamW([w], { lr: 0 });
    const acc = new GradientAccumulator(opt, { microBatches: 4 });
    let stepped = 0;
    let seenGrad = 0;
    for (const [i, x] of xs.entries()) {
      const loss = sum(mul(mul(w, x), mul(w, x)));
      if (acc.backward(loss)) stepped++;
      if (i === 2) {
        expect(acc.pending).toBe(3);
        seenGrad = await w.grad!.item();
      }
    }
    expect(stepped).toBe(1);
    expect(opt.stepCount).toBe(1);
    expect(w.grad).toBeNull();
    const expected = xs.slice(0, 3).reduce((s, x) => s + (2 * 0.5 * x * x) / 4, 0);
    expect(seenGrad).toBeCloseTo(expected, 5);
  });
});
