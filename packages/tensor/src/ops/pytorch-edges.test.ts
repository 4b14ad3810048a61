/**
 * Values and gradients at the edges where PyTorch's are defined by masks:
 * pow at 0, maximum/minimum on ties and NaN, relu at NaN, a masked
 * crossEntropy over infinite losses, and the inputs PyTorch refuses (ragged
 * nested arrays, max/min over an empty axis). Expected values are torch 1.13's.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CPU_KERNELS } from '@molrl/gpu-backend/cpu';
import { registerKernels, unregisterKernel } from '@molrl/gpu-backend';
import {
  crossEntropy,
  div,
  max,
  maximum,
  min,
  minimum,
  mul,
  pow,
  rand,
  randn,
  relu,
  setBackend,
  sum,
  tensor,
  zeros,
  type Tensor,
} from '../index.js';
import { values } from './ops.test-util.js';

beforeAll(async () => {
  await setBackend('cpu');
});

/** Host values with -0 read as 0. */
const data = async (t: Tensor | null) => Array.from(await t!.data(), (v) => (v === 0 ? 0 : v));

/** y.backward() with the upstream gradient [1, 1.25, 1.5, ...] (each element's share visible in its gradient). */
function backwardRamp(y: Tensor): void {
  y.backward(
    tensor(
      Array.from({ length: y.size }, (_, i) => 1 + 0.25 * i),
      y.shape,
    ),
  );
}

function leaf(v: number[] | number[][]): Tensor {
  return tensor(v, undefined, { requiresGrad: true });
}

function expectClose(actual: number[], expected: number[], digits = 5): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => {
    if (Number.isFinite(e)) expect(actual[i]).toBeCloseTo(e, digits);
    else expect(actual[i]).toBe(e);
  });
}

describe('pow gradients at a zero base or exponent (PyTorch masks)', () => {
  it('tensor ** tensor: 0^0 has no gradient, 0^b (b >= 0) none to b', async () => {
    const a = leaf([0, 0, 0]);
    const b = leaf([0, 2, 1]);
    const y = pow(a, b);
    expect(await data(y)).toEqual([1, 0, 0]);
    backwardRamp(y);
    expect(await data(a.grad)).toEqual([0, 0, 1.5]);
    expect(await data(b.grad)).toEqual([0, 0, 0]);
  });

  it("tensor ** tensor at a zero base with other exponents keeps PyTorch's infinities", async () => {
    const a = leaf([0, 0, 2, 0]);
    const b = leaf([-1, 0.5, 3, -0.5]);
    backwardRamp(pow(a, b));
    expectClose(await data(a.grad), [-Infinity, Infinity, 18, -Infinity]);
    expectClose(await data(b.grad), [-Infinity, 0, 8.317766189575195, -Infinity]);
  });

  it('tensor ** tensor with a broadcast base sums the masked gradient back', async () => {
    const a = leaf([[0], [2]]);
    const b = leaf([0, 1, 3]);
    backwardRamp(pow(a, b));
    expectClose(await data(a.grad), [1.25, 29]);
    expectClose(await data(b.grad), [1.2130075693130493, 2.7725887298583984, 12.476649284362793]);
  });

  it('x ** 0 has gradient 0, at x = 0 too', async () => {
    const x = leaf([0, 1, -2]);
    backwardRamp(pow(x, 0));
    expect(await data(x.grad)).toEqual([0, 0, 0]);
  });

  it('0 ** x has gradient 0 where x >= 0', async () => {
    const x = leaf([0, 1, 2, -1]);
    const y = pow(0, x);
    expect(await data(y)).toEqual([1, 0, 0, Infinity]);
    backwardRamp(y);
    expect(await data(x.grad)).toEqual([0, 0, 0, -Infinity]);
  });
});

describe('maximum / minimum gradients on ties and NaN (as torch.maximum / torch.minimum)', () => {
  it('a tie splits the gradient in halves', async () => {
    for (const [op, ga, gb] of [
      [maximum, [0.5, 1.25, 0], [0.5, 0, 1.5]],
      [minimum, [0.5, 0, 1.5], [0.5, 1.25, 0]],
    ] as const) {
      const a = leaf([1, 2, 3]);
      const b = leaf([1, 1, 4]);
      backwardRamp(op(a, b));
      expect(await data(a.grad)).toEqual(ga);
      expect(await data(b.grad)).toEqual(gb);
    }
  });

  it('NaN on either side sends the gradient to both', async () => {
    for (const op of [maximum, minimum]) {
      const a = leaf([NaN, 1, NaN]);
      const b = leaf([1, NaN, NaN]);
      backwardRamp(op(a, b));
      expect(await data(a.grad)).toEqual([1, 1.25, 1.5]);
      expect(await data(b.grad)).toEqual([1, 1.25, 1.5]);
    }
  });

  it('a broadcast operand gets its share of ties summed back', async () => {
    for (const [op, ga, gb] of [
      [maximum, [0, 0.625, 1.5, 0, 1, 2.25], [4.375]],
      [minimum, [1, 0.625, 0, 1.75, 1, 0], [5.375]],
    ] as const) {
      const a = leaf([
        [1, 2, 3],
        [0, 2, 5],
      ]);
      const b = leaf([2]);
      backwardRamp(op(a, b));
      expect(await data(a.grad)).toEqual(ga);
      expect(b.grad!.shape).toEqual([1]);
      expect(await data(b.grad)).toEqual(gb);
    }
  });
});

describe('relu gradient', () => {
  it('passes at NaN (as PyTorch), is 0 at 0 and -0', async () => {
    const x = leaf([NaN, 0, -0, 1, -1]);
    backwardRamp(relu(x));
    expect(await data(x.grad)).toEqual([1, 0, 0, 1.75, 0]);
  });
});

describe('crossEntropy with a mask', () => {
  afterEach(() => {
    registerKernels(
      CPU_KERNELS.filter(
        (k) => k.contract.name === 'softmaxCrossEntropy' || k.contract.name === 'softmaxCrossEntropyGrad',
      ),
      { replace: true },
    );
  });

  // Row 1's target logit is -inf (its loss is +inf); torch: cross_entropy with that row's target = ignore_index.
  const LOGITS = [
    [1, 2, 3, 4],
    [0, -Infinity, 1, 2],
    [0.5, -1, 2, 0],
  ];
  const targets = () => tensor(Int32Array.from([3, 1, 0]), [3]);
  const GRAD_MEAN = [
    0.016029303893446922, 0.043572165071964264, 0.11844140291213989, -0.17804285883903503, 0, 0, 0, 0,
    -0.42077764868736267, 0.01767689734697342, 0.3550499379634857, 0.04805079102516174,
  ];

  for (const path of ['fused', 'fallback'] as const) {
    it(`${path}: a masked row's infinite loss adds exactly 0 to the value and the gradient`, async () => {
      if (path === 'fallback') unregisterKernel('softmaxCrossEntropy', 'cpu');
      const mask = tensor([1, 0, 1]);
      for (const reduction of ['mean', 'sum'] as const) {
        const logits = leaf(LOGITS);
        const loss = crossEntropy(logits, targets(), { mask, reduction });
        loss.backward();
        const k = reduction === 'sum' ? 2 : 1;
        expect(await loss.item()).toBeCloseTo(1.1412696838378906 * k, 5);
        expectClose(
          await data(logits.grad),
          GRAD_MEAN.map((g) => g * k),
        );
      }
      const none = crossEntropy(leaf(LOGITS), targets(), { mask, reduction: 'none' });
      expectClose(await data(none), [0.4401896893978119, 0, 1.842349648475647]);
    });

    it(`${path}: an all-zero mask gives a NaN mean and a zero gradient (as ignore_index everywhere)`, async () => {
      if (path === 'fallback') unregisterKernel('softmaxCrossEntropy', 'cpu');
      const logits = leaf(LOGITS);
      const loss = crossEntropy(logits, targets(), { mask: zeros([3]) });
      loss.backward();
      expect(await loss.item()).toBeNaN();
      expect(await data(logits.grad)).toEqual(new Array(12).fill(0));
    });
  }

  it('with finite losses, value and gradient are bit for bit sum(nll * mask) / sum(mask)', async () => {
    const V = 11;
    const t = () =>
      tensor(
        Int32Array.from({ length: 6 }, (_, i) => (i * 5) % V),
        [2, 3],
      );
    const mask = tensor([1, 0, 0.5, 1, 1, 0], [2, 3]);
    const a = tensor(values(6 * V, 7, -4, 4), [2, 3, V], { requiresGrad: true });
    const b = tensor(values(6 * V, 7, -4, 4), [2, 3, V], { requiresGrad: true });
    const la = crossEntropy(a, t(), { mask });
    const lb = div(sum(mul(crossEntropy(b, t(), { reduction: 'none' }), mask)), sum(mask));
    la.backward();
    lb.backward();
    expect(Array.from(await la.data())).toEqual(Array.from(await lb.data()));
    expect(Array.from(await a.grad!.data())).toEqual(Array.from(await b.grad!.data()));
  });
});

describe('tensor() from nested arrays', () => {
  it('refuses a ragged array, naming the first bad element', () => {
    expect(() => tensor([[1], [2, 3], []])).toThrow('tensor: ragged nested array: [1] has length 2, [0] has length 1');
    expect(() => tensor([[[1, 2]], [[3]]])).toThrow(
      'tensor: ragged nested array: [1][0] has length 1, [0][0] has length 2',
    );
    expect(() => tensor([[1, 2], 3])).toThrow(
      'tensor: ragged nested array: [1] is a number, [0] is an array of length 2',
    );
    expect(() => tensor([1, [2]])).toThrow('tensor: ragged nested array: [1] is an array, [0] is a number');
    expect(() => tensor([[], [1]])).toThrow('tensor: ragged nested array: [1] has length 1, [0] has length 0');
  });

  it('refuses values that are not numbers (torch.tensor refuses them too), and misspelt options', () => {
    expect(() => tensor([1, '0.5', 2] as never)).toThrow('tensor: the value at flat index 1 is "0.5", not a number');
    expect(() =>
      tensor([
        [1, 2],
        [null, 4],
      ] as never),
    ).toThrow('tensor: the value at flat index 2 is null, not a number');
    expect(() => tensor([true] as never, [1], { dtype: 'int32' })).toThrow(
      'tensor: the value at flat index 0 is true, not a number',
    );
    // A misspelt requiresGrad would leave a parameter without gradients.
    expect(() => tensor([1, 2], [2], { requires_grad: true } as never)).toThrow(
      "tensor: unknown option 'requires_grad' (did you mean 'requiresGrad'?); known: dtype, requiresGrad",
    );
    expect(() => zeros([2], { requiresGrad: 'yes' } as never)).toThrow(
      'zeros: options.requiresGrad must be a boolean, got yes',
    );
    expect(() => randn([2], { stddev: 2 } as never)).toThrow(
      "randn: unknown option 'stddev'; known: dtype, requiresGrad, seed, offset, mean, std",
    );
    expect(() => rand([2], { Low: 1 } as never)).toThrow("rand: unknown option 'Low' (did you mean 'low'?)");
  });

  it('takes regular arrays, empty ones included', async () => {
    expect(tensor([[], []]).shape).toEqual([2, 0]);
    expect(tensor([]).shape).toEqual([0]);
    const t = tensor([[[1, 2]], [[3, 4]]]);
    expect(t.shape).toEqual([2, 1, 2]);
    expect(await data(t)).toEqual([1, 2, 3, 4]);
  });
});

describe('max / min over an empty axis', () => {
  it('throw (as torch.amax / torch.amin), whatever the output size', () => {
    expect(() => max(zeros([2, 0]), 1)).toThrow('max: axis 1 of [2, 0] is empty: no maximum to find');
    expect(() => min(zeros([2, 0]), -1)).toThrow('min: axis 1 of [2, 0] is empty: no minimum to find');
    expect(() => max(zeros([0, 0]), 1)).toThrow('max: axis 1 of [0, 0] is empty');
    expect(() => max(zeros([0]))).toThrow('max: axis 0 of [0] is empty');
    expect(() => min(zeros([3, 0]))).toThrow('min: axis 1 of [3, 0] is empty');
  });

  it('reduce a non-empty axis of an empty tensor to an empty result', () => {
    expect(max(zeros([0, 3]), 1).shape).toEqual([0]);
    expect(min(zeros([2, 0]), 0, { keepDims: true }).shape).toEqual([1, 0]);
  });
});
