/** Every differentiable op against central finite differences (float32 forward, float64 differences). */
import { beforeAll, describe, it } from 'vitest';
import {
  abs,
  add,
  attention,
  clamp,
  broadcastTo,
  cast,
  clone,
  concat,
  crossEntropy,
  div,
  dropout,
  exp,
  gather,
  gradcheck,
  log,
  logSoftmax,
  logSumExp,
  loraLinear,
  matmul,
  max,
  maximum,
  mean,
  min,
  minimum,
  mul,
  neg,
  pow,
  reciprocal,
  relu,
  reshape,
  rmsNorm,
  addRmsNorm,
  rmsNormRope,
  rope,
  rsqrt,
  setBackend,
  sigmoid,
  silu,
  gelu,
  slice,
  softmax,
  split,
  sqrt,
  square,
  squeeze,
  stack,
  sub,
  sum,
  swiglu,
  takeAlongAxis,
  tanh,
  tensor,
  transpose,
  unsqueeze,
  where,
  type Tensor,
} from '../index.js';
import { values } from './ops.test-util.js';

function t(shape: number[], seed: number, lo = -1, hi = 1): Tensor {
  return tensor(
    values(
      shape.reduce((a, b) => a * b, 1),
      seed,
      lo,
      hi,
    ),
    shape,
  );
}

function ints(data: number[], shape: number[]): Tensor {
  return tensor(Int32Array.from(data), shape);
}

beforeAll(async () => {
  await setBackend('cpu');
});

describe('elementwise gradients', () => {
  const bin = { add, sub, mul, div } as const;
  for (const [name, fn] of Object.entries(bin)) {
    it(`${name} with broadcasting`, async () => {
      const b = name === 'div' ? t([1, 3], 2, 0.5, 2) : t([1, 3], 2);
      await gradcheck((x, y) => fn(x!, y!), [t([2, 3], 1), b], { name });
      await gradcheck((x, y) => fn(x!, y!), [t([3], 3, 0.5, 2), t([2, 1, 3], 4, 0.5, 2)], { name });
    });
    it(`${name} with a scalar operand, both sides`, async () => {
      await gradcheck((x) => fn(x!, 1.5), [t([2, 3], 5, 0.5, 2)], { name });
      await gradcheck((x) => fn(1.5, x!), [t([2, 3], 6, 0.5, 2)], { name });
    });
  }
  it('mul and div with only one operand requiring grad (only what is needed is saved)', async () => {
    for (const wrt of [[0], [1]]) {
      await gradcheck((x, y) => mul(x!, y!), [t([2, 3], 17), t([3], 18)], { wrt });
      await gradcheck((x, y) => div(x!, y!), [t([2, 3], 19), t([3], 21, 0.5, 2)], { wrt });
    }
  });
  it('pow (tensor exponent and scalar exponents)', async () => {
    await gradcheck((x, y) => pow(x!, y!), [t([2, 3], 7, 0.5, 2), t([2, 3], 8, -1, 2)]);
    await gradcheck((x) => pow(x!, 3), [t([4], 9, -1, 1)]);
    await gradcheck((x) => pow(2, x!), [t([4], 10)]);
  });
  it('clamp', async () => {
    await gradcheck((x) => clamp(x!, -0.5, 0.5), [tensor([-0.9, -0.3, 0.1, 0.45, 0.8], [5])]);
    await gradcheck((x) => x!.clamp(undefined, 0.2), [tensor([-0.9, 0.1, 0.8], [3])]);
  });
  it('maximum and minimum (tensor and scalar)', async () => {
    await gradcheck((x, y) => maximum(x!, y!), [t([2, 4], 11), t([4], 12)]);
    await gradcheck((x, y) => minimum(x!, y!), [t([2, 4], 13), t([4], 14)]);
    await gradcheck((x) => maximum(x!, 0.1), [t([6], 15)]);
    await gradcheck((x) => minimum(x!, 0.1), [t([6], 16)]);
  });
  const unary: [string, (x: Tensor) => Tensor, number, number][] = [
    ['neg', neg, -1, 1],
    ['abs', abs, 0.2, 1],
    ['exp', exp, -1, 1],
    ['log', log, 0.5, 2],
    ['sqrt', sqrt, 0.5, 2],
    ['rsqrt', rsqrt, 0.5, 2],
    ['square', square, -1, 1],
    ['reciprocal', reciprocal, 0.5, 2],
    ['silu', silu, -2, 2],
    ['gelu', gelu, -3, 3],
    ['sigmoid', sigmoid, -2, 2],
    ['tanh', tanh, -2, 2],
    ['relu', relu, 0.1, 1],
  ];
  for (const [name, fn, lo, hi] of unary) {
    it(name, async () => {
      await gradcheck((x) => fn(x!), [t([2, 3], 20, lo, hi)], { name });
    });
  }
  it('relu on both sides of 0', async () => {
    await gradcheck((x) => relu(x!), [tensor([-0.5, -0.2, 0.3, 0.7], [4])]);
  });
  it('abs on both sides of 0', async () => {
    await gradcheck((x) => abs(x!), [tensor([-0.9, -0.3, 0.2, 0.7], [4])]);
  });
});

describe('matmul gradients', () => {
  for (const transposeA of [false, true]) {
    for (const transposeB of [false, true]) {
      it(`transposeA=${transposeA} transposeB=${transposeB}`, async () => {
        const a = transposeA ? t([4, 3], 30) : t([3, 4], 30);
        const b = transposeB ? t([5, 4], 31) : t([4, 5], 31);
        await gradcheck((x, y) => matmul(x!, y!, { transposeA, transposeB }), [a, b]);
      });
    }
  }
  it('with only one operand requiring grad, every transpose', async () => {
    for (const wrt of [[0], [1]]) {
      for (const transposeB of [false, true]) {
        const b = transposeB ? t([5, 4], 37) : t([4, 5], 37);
        await gradcheck((x, y) => matmul(x!, y!, { transposeB }), [t([3, 4], 36), b], { wrt });
      }
    }
  });
  it('batched with a broadcast batch dim', async () => {
    await gradcheck((x, y) => matmul(x!, y!), [t([2, 3, 4], 32), t([4, 2], 33)]);
    await gradcheck((x, y) => matmul(x!, y!, { transposeB: true }), [t([2, 1, 3, 4], 34), t([3, 2, 4], 35)]);
  });
  it('the input gradient through a bfloat16/float16 weight read as stored (a frozen half-precision base)', async () => {
    for (const dtype of ['bfloat16', 'float16'] as const) {
      for (const transposeB of [true, false]) {
        // The weight is a constant of the function: only x is perturbed, the weight stays in half precision.
        const w = transposeB ? t([5, 4], 38).cast(dtype) : t([4, 5], 38).cast(dtype);
        await gradcheck((x) => matmul(x!, w, { transposeB }), [t([2, 3, 4], 39)], { name: `${dtype} b` });
        w.dispose();
      }
    }
  });
});

describe('dropout gradients', () => {
  it('through a fixed mask (the seed decides it)', async () => {
    await gradcheck((x) => dropout(x!, 0.3, 11), [t([4, 9], 152)]);
  });
});

describe('loraLinear gradients', () => {
  it('x, the weight, loraA and loraB together, and each alone', async () => {
    const inputs = () => [t([3, 5], 140), t([4, 5], 141), t([2, 5], 142), t([4, 2], 143)];
    await gradcheck((x, w, a, b) => loraLinear(x!, w!, a!, b!, 1.5), inputs());
    for (const wrt of [[0], [1], [2], [3]])
      await gradcheck((x, w, a, b) => loraLinear(x!, w!, a!, b!, 0.5), inputs(), { wrt, name: `wrt ${wrt[0]}` });
  });
  it('with dropout on the adapter input (a fixed mask: the seed decides it)', async () => {
    const inputs = [t([4, 6], 148), t([3, 6], 149), t([2, 6], 150), t([3, 2], 151)];
    await gradcheck((x, w, a, b) => loraLinear(x!, w!, a!, b!, 1.5, { dropout: 0.4, seed: 9 }), inputs);
  });
  it('through a bfloat16/float16 weight read as stored (a frozen half-precision base)', async () => {
    for (const dtype of ['bfloat16', 'float16'] as const) {
      const w = t([6, 4], 144).cast(dtype);
      await gradcheck((x, a, b) => loraLinear(x!, w, a!, b!, 2), [t([2, 4], 145), t([3, 4], 146), t([6, 3], 147)], {
        name: `${dtype} weight`,
      });
      w.dispose();
    }
  });
});

describe('reduction gradients', () => {
  it('sum and mean over axes, with and without keepDims', async () => {
    await gradcheck((x) => sum(x!), [t([2, 3], 40)]);
    await gradcheck((x) => sum(x!, [0, 2], { keepDims: true }), [t([2, 3, 2], 41)]);
    await gradcheck((x) => mean(x!, 1), [t([2, 3, 2], 42)]);
    await gradcheck((x) => mean(x!, -1, { keepDims: true }), [t([3, 4], 43)]);
  });
  it('max and min', async () => {
    await gradcheck((x) => max(x!, 1), [t([3, 4], 44)]);
    await gradcheck((x) => min(x!, [0]), [t([3, 4], 45)]);
    await gradcheck((x) => max(x!), [t([5], 46)]);
  });
  it('logSumExp', async () => {
    await gradcheck((x) => logSumExp(x!, -1), [t([3, 5], 47, -2, 2)]);
    await gradcheck((x) => logSumExp(x!, 0, { keepDims: true }), [t([3, 5], 48, -2, 2)]);
  });
  it('softmax and logSoftmax on inner and outer axes', async () => {
    await gradcheck((x) => softmax(x!, -1), [t([2, 5], 49, -2, 2)]);
    await gradcheck((x) => softmax(x!, 0), [t([3, 2], 50, -2, 2)]);
    await gradcheck((x) => logSoftmax(x!, -1), [t([2, 5], 51, -2, 2)]);
    await gradcheck((x) => logSoftmax(x!, 1), [t([2, 3, 2], 52, -2, 2)]);
  });
});

describe('layout gradients', () => {
  it('reshape, squeeze, unsqueeze', async () => {
    await gradcheck((x) => mul(reshape(x!, [3, -1]), 2), [t([2, 3], 60)]);
    await gradcheck((x) => exp(squeeze(unsqueeze(x!, 1), 1)), [t([2, 3], 61)]);
  });
  it('transpose', async () => {
    await gradcheck((x) => transpose(x!, [2, 0, 1]), [t([2, 3, 4], 62)]);
    await gradcheck((x) => transpose(x!), [t([2, 3], 63)]);
    await gradcheck((x) => x!.swapAxes(0, -1), [t([2, 3, 2], 59)]);
    // Moving only size-1 axes makes a view; its gradient is a view back.
    await gradcheck((x) => mul(transpose(x!, [0, 2, 1, 3]), x!.reshape([2, 3, 1, 2])), [t([2, 1, 3, 2], 58)]);
  });
  it('slice', async () => {
    await gradcheck((x) => slice(x!, [1, 0], [2, -1]), [t([4, 3], 64)]);
  });
  it('concat, stack, split', async () => {
    await gradcheck((x, y) => concat([x!, y!], 1), [t([2, 2], 65), t([2, 3], 66)]);
    await gradcheck((x, y) => stack([x!, y!], 0), [t([2, 2], 67), t([2, 2], 68)]);
    await gradcheck((x) => mul(split(x!, [1, 3], 1)[1]!, split(x!, [3, 1], 1)[0]!), [t([2, 4], 69)]);
  });
  it('broadcastTo', async () => {
    await gradcheck((x) => broadcastTo(x!, [3, 2, 4]), [t([2, 1], 70)]);
  });
  it('clone and cast round trip', async () => {
    await gradcheck((x) => clone(x!), [t([3], 71)]);
    await gradcheck((x) => cast(cast(x!, 'bfloat16'), 'float32'), [tensor([0.5, 1, -2, 4], [4])], { eps: 0.125 }); // steps exact in bfloat16: the straight-through gradient is exact
  });
});

describe('indexing gradients', () => {
  it('gather (embedding) with repeated indices', async () => {
    const idx = ints([0, 2, 2, 1, 0], [5]);
    await gradcheck((w, i) => gather(w!, i!), [t([3, 4], 80), idx]);
    await gradcheck((w, i) => gather(w!, i!), [t([3, 2], 81), ints([1, 0, 2, 2], [2, 2])]);
  });
  it('takeAlongAxis', async () => {
    await gradcheck((x, i) => takeAlongAxis(x!, i!), [t([2, 3, 5], 82), ints([0, 4, 4, 1, 2, 3], [2, 3])]);
  });
  it('where (tensor and scalar branches)', async () => {
    const cond = tensor([1, 0, 0, 1, 1, 0], [2, 3]);
    await gradcheck((c, a, b) => where(c!, a!, b!), [cond, t([2, 3], 83), t([1, 3], 84)], { wrt: [1, 2] });
    await gradcheck((c, a) => where(c!, a!, 0), [cond, t([2, 3], 85)], { wrt: [1] });
  });
  it('crossEntropy per position and summed', async () => {
    const targets = ints([4, 0, 2, 1, 4, 3], [3, 2]);
    await gradcheck((x, y) => crossEntropy(x!, y!, { reduction: 'none' }), [t([3, 2, 5], 87, -3, 3), targets], {
      wrt: [0],
    });
    await gradcheck((x, y) => crossEntropy(x!, y!, { reduction: 'sum' }), [t([3, 2, 5], 88, -3, 3), targets], {
      wrt: [0],
    });
  });
  it('crossEntropy with a mask', async () => {
    const targets = ints([1, 0, 3, 2], [2, 2]);
    const mask = tensor([1, 0, 1, 1], [2, 2]);
    await gradcheck((x, y, m) => crossEntropy(x!, y!, { mask: m! }), [t([2, 2, 4], 86, -2, 2), targets, mask], {
      wrt: [0],
    });
  });
});

describe('transformer op gradients', () => {
  it('swiglu (gate and up, and each alone)', async () => {
    await gradcheck((g, u) => swiglu(g!, u!), [t([2, 3, 5], 105, -4, 4), t([2, 3, 5], 106)]);
    for (const wrt of [[0], [1]]) {
      await gradcheck((g, u) => swiglu(g!, u!), [t([7], 107, -4, 4), t([7], 108)], { wrt });
    }
  });
  it('rmsNorm (x and weight)', async () => {
    await gradcheck((x, w) => rmsNorm(x!, w!, 1e-5), [t([2, 3, 6], 90), t([6], 91, 0.5, 1.5)]);
  });
  it('rmsNormRope (x and weight)', async () => {
    const pos = ints([0, 1, 2, 7, 3, 40], [2, 3]);
    await gradcheck(
      (x, w, p) => rmsNormRope(x!, w!, p!, { eps: 1e-5, theta: 10000 }),
      [t([2, 3, 2, 6], 109), t([6], 110, 0.5, 1.5), pos],
    );
  });
  it('addRmsNorm (x, update and weight; the sum and the normed sum both used, or one)', async () => {
    const inputs = () => [t([2, 3, 6], 115), t([2, 3, 6], 116), t([6], 117, 0.5, 1.5)];
    await gradcheck((x, u, w) => {
      const [s, n] = addRmsNorm(x!, u!, w!, 1e-5);
      return add(mul(s, 0.5), n);
    }, inputs());
    await gradcheck((x, u, w) => addRmsNorm(x!, u!, w!, 1e-5)[1], inputs(), { name: 'normed only' });
    await gradcheck((x, u, w) => mul(addRmsNorm(x!, u!, w!, 1e-5)[0], w!), inputs(), { name: 'sum only' });
    // One gradient tensor goes back to both inputs: here to a leaf (x, which takes another gradient too)
    // and to an op's output (exp), each of which must get its own handle.
    await gradcheck(
      (x, w) => {
        const [s, n] = addRmsNorm(x!, exp(x!), w!, 1e-5);
        return add(add(s, mul(n, 2)), x!);
      },
      [t([2, 3, 6], 118), t([6], 119, 0.5, 1.5)],
      { name: 'x a leaf, the update an op' },
    );
  });
  it('rmsNorm and rmsNormRope through a frozen bfloat16/float16 weight read as stored', async () => {
    const pos = ints([0, 1, 2, 7, 3, 40], [2, 3]);
    for (const dtype of ['bfloat16', 'float16'] as const) {
      const w = t([6], 112, 0.5, 1.5).cast(dtype);
      await gradcheck((x) => rmsNorm(x!, w, 1e-5), [t([2, 3, 6], 113)], { name: `rmsNorm, ${dtype} weight` });
      await gradcheck((x) => rmsNormRope(x!, w, pos, { eps: 1e-5, theta: 10000 }), [t([2, 3, 2, 6], 114)], {
        name: `rmsNormRope, ${dtype} weight`,
      });
      w.dispose();
    }
  });
  it('rope', async () => {
    const pos = ints([0, 1, 2, 5, 3, 7], [2, 3]);
    await gradcheck((x, p) => rope(x!, p!, 10000), [t([2, 2, 3, 4], 92), pos]);
  });
  it('attention: causal GQA', async () => {
    await gradcheck(
      (q, k, v) => attention(q!, k!, v!),
      [t([1, 4, 3, 4], 93), t([1, 2, 3, 4], 94), t([1, 2, 3, 4], 95)],
    );
  });
  it('attention: segment ids, query offset, non-causal', async () => {
    const seg = ints([0, 0, 1, 1, 1], [1, 5]);
    await gradcheck(
      (q, k, v, s) => attention(q!, k!, v!, { segmentIds: s! }),
      [t([1, 2, 5, 2], 96), t([1, 1, 5, 2], 97), t([1, 1, 5, 2], 98), seg],
    );
    await gradcheck(
      (q, k, v) => attention(q!, k!, v!, { queryOffset: 3 }),
      [t([1, 2, 2, 4], 99), t([1, 2, 5, 4], 100), t([1, 2, 5, 4], 101)],
    );
    await gradcheck(
      (q, k, v) => attention(q!, k!, v!, { causal: false, scale: 0.3 }),
      [t([2, 2, 3, 2], 102), t([2, 1, 4, 2], 103), t([2, 1, 4, 2], 104)],
    );
  });
});
