import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { setBackend, tensor, type Tensor } from '@molrl/tensor';
import {
  grpoLoss,
  grpoLossAsync,
  type GrpoLossInput,
  type GrpoLossType,
  type ImportanceSamplingLevel,
} from './loss.js';

interface LossCase {
  name: string;
  lossType: GrpoLossType;
  beta: number;
  epsilonLow: number;
  epsilonHigh: number;
  shape: [number, number];
  logps: number[];
  oldLogps: number[] | null;
  refLogps: number[];
  advantages: number[];
  mask: number[][];
  maxCompletionLength: number | null;
  numItemsInBatch: number | null;
  importanceSamplingLevel: ImportanceSamplingLevel;
  delta: number | null;
  loss: number;
  grad: number[];
  metrics: Record<string, number>;
}

const fixtures = JSON.parse(readFileSync(new URL('../fixtures/loss-cases.json', import.meta.url), 'utf8')) as {
  cases: LossCase[];
};

function inputs(c: LossCase): { input: GrpoLossInput; logps: Tensor } {
  const logps = tensor(Float32Array.from(c.logps), c.shape, { requiresGrad: true });
  const input: GrpoLossInput = {
    logps,
    oldLogps: c.oldLogps ? tensor(Float32Array.from(c.oldLogps), c.shape) : undefined,
    refLogps: tensor(Float32Array.from(c.refLogps), c.shape),
    advantages: c.advantages,
    mask: c.mask,
    lossType: c.lossType,
    epsilonLow: c.epsilonLow,
    epsilonHigh: c.epsilonHigh,
    beta: c.beta,
    maxCompletionLength: c.maxCompletionLength ?? undefined,
    numItemsInBatch: c.numItemsInBatch ?? undefined,
    importanceSamplingLevel: c.importanceSamplingLevel,
    delta: c.delta ?? undefined,
  };
  return { input, logps };
}

beforeAll(async () => {
  await setBackend('cpu');
});

describe('grpoLoss against TRL formulas (PyTorch fixtures)', () => {
  it('covers every loss type with and without beta and with both clip sides active', () => {
    const types = new Set(fixtures.cases.map((c) => c.lossType));
    expect([...types].sort()).toEqual(['bnpo', 'dapo', 'dr_grpo', 'grpo']);
    expect(
      fixtures.cases.some((c) => c.metrics['clip_ratio/low_mean']! > 0 && c.metrics['clip_ratio/high_mean']! > 0),
    ).toBe(true);
    expect(fixtures.cases.some((c) => c.mask.some((row) => row.every((v) => v === 0)))).toBe(true);
  });

  for (const c of fixtures.cases) {
    it(c.name, async () => {
      const { input, logps } = inputs(c);
      const { loss, metrics } = grpoLoss(input);
      expect(loss.shape).toEqual([]);
      expect(await loss.item()).toBeCloseTo(c.loss, 5);
      loss.backward();
      const grad = await logps.grad!.data();
      const maxErr = Math.max(...c.grad.map((g, i) => Math.abs(g - grad[i]!)));
      expect(maxErr).toBeLessThan(1e-5);
      expect(metrics.kl).toBeCloseTo(c.metrics.kl!, 5);
      expect(metrics['clip_ratio/low_mean']).toBeCloseTo(c.metrics['clip_ratio/low_mean']!, 6);
      expect(metrics['clip_ratio/high_mean']).toBeCloseTo(c.metrics['clip_ratio/high_mean']!, 6);
      expect(metrics['clip_ratio/region_mean']).toBeCloseTo(c.metrics['clip_ratio/region_mean']!, 6);
      expect(metrics.clipRatioRegion).toBe(metrics['clip_ratio/region_mean']);
      expect(metrics.tokens).toBe(c.mask.flat().reduce((a, b) => a + b, 0));
    });
  }

  it('grpoLossAsync gives the same loss and metrics', async () => {
    const c = fixtures.cases[2]!;
    const a = grpoLoss(inputs(c).input);
    const b = await grpoLossAsync(inputs(c).input);
    expect(await b.loss.item()).toBe(await a.loss.item());
    expect(b.metrics).toEqual(a.metrics);
  });

  it('takes the mask as a tensor and advantages as a tensor', async () => {
    const c = fixtures.cases[5]!;
    const { input } = inputs(c);
    const fromTensors = grpoLoss({ ...input, mask: tensor(c.mask), advantages: tensor(c.advantages) });
    expect(await fromTensors.loss.item()).toBeCloseTo(c.loss, 5);
  });
});

describe('grpoLoss input errors', () => {
  const base = (): GrpoLossInput => ({
    logps: tensor([
      [-1, -2],
      [-0.5, -0.1],
    ]),
    advantages: [1, -1],
    mask: [
      [1, 1],
      [1, 0],
    ],
    lossType: 'grpo',
  });
  it('names the field that is wrong', () => {
    expect(() => grpoLoss({ ...base(), lossType: 'ppo' as GrpoLossType })).toThrow(
      /lossType must be one of grpo, bnpo, dr_grpo, dapo/,
    );
    expect(() => grpoLoss({ ...base(), advantages: [1] })).toThrow(/advantages has 1 values, expected 2/);
    expect(() => grpoLoss({ ...base(), mask: [[1, 1]] })).toThrow(
      /mask must be a tensor or nested arrays of shape \[2, 2\]/,
    );
    expect(() =>
      grpoLoss({
        ...base(),
        mask: [
          [1, 1],
          [1, 2],
        ],
      }),
    ).toThrow(/mask\[1\]\[1\] is 2/);
    expect(() => grpoLoss({ ...base(), oldLogps: tensor([[1, 2, 3]]) })).toThrow(
      /oldLogps has shape \[1, 3\], expected \[2, 2\]/,
    );
    expect(() => grpoLoss({ ...base(), beta: 0.1 })).toThrow(/beta > 0 needs refLogps/);
    expect(() => grpoLoss({ ...base(), epsilonLow: -1 })).toThrow(/epsilonLow must be a finite number >= 0/);
  });
  it('defaults epsilonHigh to epsilonLow and leaves kl out without refLogps', () => {
    const { metrics } = grpoLoss({
      ...base(),
      oldLogps: tensor([
        [-1.5, -2],
        [-0.5, -0.1],
      ]),
      epsilonLow: 0.1,
    });
    expect(metrics.kl).toBeUndefined();
    // exp(0.5) = 1.65 > 1.1 with a positive advantage: 1 of 3 tokens high-clipped.
    expect(metrics['clip_ratio/high_mean']).toBeCloseTo(1 / 3, 6);
  });
});
