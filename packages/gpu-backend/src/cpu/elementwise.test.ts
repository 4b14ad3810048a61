import { describe, expect, it } from 'vitest';
import { expectClose, randomArray, runCpu } from './cpu.test-util.js';

describe('cpu elementwise kernels', () => {
  it('broadcasts binary ops with NumPy rules', async () => {
    const a = randomArray(2 * 3 * 4, 1);
    const b = randomArray(3 * 1, 2);
    const [out] = await runCpu('sub', [
      { data: a, shape: [2, 3, 4] },
      { data: b, shape: [3, 1] },
    ]);
    expect(out.shape).toEqual([2, 3, 4]);
    const expected = Array.from(a, (v, i) => Math.fround(v - b[Math.floor(i / 4) % 3]));
    expectClose(out.data, expected, 0, 0);
    const [outer] = await runCpu('mul', [
      { data: [1, 2, 3], shape: [3, 1] },
      { data: [10, 20], shape: [1, 2] },
    ]);
    expect(Array.from(outer.data)).toEqual([10, 20, 20, 40, 30, 60]);
    const [scalarB] = await runCpu('add', [
      { data: [1, 2], shape: [2] },
      { data: [5], shape: [] },
    ]);
    expect(Array.from(scalarB.data)).toEqual([6, 7]);
    await expect(
      runCpu('add', [
        { data: [1, 2], shape: [2] },
        { data: [1, 2, 3], shape: [3] },
      ]),
    ).rejects.toThrow('add: shapes [2] and [3] are not broadcastable');
  });

  it('gives every op of a row against one value per row (either side) the bits of the plain formula', async () => {
    const [rows, n] = [5, 37];
    const a = randomArray(rows * n, 3, -4, 4);
    const b = randomArray(rows, 4, 0.5, 2);
    const formulas = {
      add: (x: number, y: number) => x + y,
      sub: (x: number, y: number) => x - y,
      mul: (x: number, y: number) => x * y,
      div: (x: number, y: number) => x / y,
      maximum: (x: number, y: number) => Math.max(x, y),
      greater: (x: number, y: number) => (x > y ? 1 : 0),
    };
    for (const [op, f] of Object.entries(formulas)) {
      const [rowFirst] = await runCpu(op, [
        { data: a, shape: [rows, n] },
        { data: b, shape: [rows, 1] },
      ]);
      expect(Array.from(rowFirst!.data), op).toEqual(Array.from(a, (v, i) => Math.fround(f(v, b[Math.floor(i / n)]!))));
      const [valueFirst] = await runCpu(op, [
        { data: b, shape: [rows, 1] },
        { data: a, shape: [rows, n] },
      ]);
      expect(Array.from(valueFirst!.data), `${op}, the value first`).toEqual(
        Array.from(a, (v, i) => Math.fround(f(b[Math.floor(i / n)]!, v))),
      );
    }
  });

  it('handles size-0 dims and comparisons', async () => {
    const [empty] = await runCpu('add', [
      { data: [], shape: [0, 3] },
      { data: [1, 2, 3], shape: [3] },
    ]);
    expect(empty.shape).toEqual([0, 3]);
    const [cmp] = await runCpu('greaterEqual', [
      { data: [1, 2, 3], shape: [3] },
      { data: [2], shape: [1] },
    ]);
    expect(Array.from(cmp.data)).toEqual([0, 1, 1]);
  });

  it('applies scalarOp in both directions', async () => {
    const [sub] = await runCpu('scalarOp', [{ data: [1, 2], shape: [2] }], { op: 'sub', scalar: 10 });
    expect(Array.from(sub.data)).toEqual([-9, -8]);
    const [rsub] = await runCpu('scalarOp', [{ data: [1, 2], shape: [2] }], { op: 'sub', scalar: 10, reverse: true });
    expect(Array.from(rsub.data)).toEqual([9, 8]);
  });

  it('computes unary ops and the silu gradient', async () => {
    const x = [-100, -1, 0, 0.5, 100, NaN, Infinity];
    const [silu] = await runCpu('silu', [{ data: x, shape: [7] }]);
    expectClose(
      silu.data,
      x.map((v) => v / (1 + Math.exp(-v))),
      1e-6,
      1e-6,
    );
    const [isNaN] = await runCpu('isNaN', [{ data: x, shape: [7] }]);
    expect(Array.from(isNaN.data)).toEqual([0, 0, 0, 0, 0, 1, 0]);
    const xs = randomArray(50, 3, -4, 4);
    const dy = randomArray(50, 4);
    const [dx] = await runCpu('siluGrad', [
      { data: dy, shape: [50] },
      { data: xs, shape: [50] },
    ]);
    const silu64 = (v: number) => v / (1 + Math.exp(-v));
    const h = 1e-4;
    expectClose(
      dx.data,
      Array.from(xs, (v, i) => (dy[i] * (silu64(v + h) - silu64(v - h))) / (2 * h)),
      1e-5,
      1e-4,
    );
  });

  it('widens float16, bfloat16 and int32 inputs to float32 compute', async () => {
    const [h] = await runCpu('add', [
      { data: [0.1, 1], shape: [2], dtype: 'float16' },
      { data: [1, 2], shape: [2], dtype: 'int32' },
    ]);
    expect(Array.from(h.data)).toEqual([Math.fround(1 + 0.0999755859375), 3]);
    const [b] = await runCpu('exp', [{ data: [0.1], shape: [1], dtype: 'bfloat16' }]);
    expect(b.data[0]).toBeCloseTo(Math.exp(0.10009765625), 6);
  });
});
