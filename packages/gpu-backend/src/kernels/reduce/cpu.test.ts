import { describe, expect, it } from 'vitest';
import { expectClose, randomArray, runCpu } from '../../cpu/cpu.test-util.js';

describe('cpu reductions and the softmax family', () => {
  const shape = [2, 3, 4];
  const x = randomArray(24, 7);
  const at = (i: number, j: number, k: number) => x[i * 12 + j * 4 + k];

  it('sums, averages and maxes over contiguous and scattered axes', async () => {
    const [sum02] = await runCpu('sum', [{ data: x, shape }], { axes: [0, -1] });
    expect(sum02.shape).toEqual([3]);
    const expected = [0, 1, 2].map((j) => {
      let s = 0;
      for (let i = 0; i < 2; i++) for (let k = 0; k < 4; k++) s += at(i, j, k);
      return s;
    });
    expectClose(sum02.data, expected);
    const [mean1] = await runCpu('mean', [{ data: x, shape }], { axes: [1], keepDims: true });
    expect(mean1.shape).toEqual([2, 1, 4]);
    expectClose(
      mean1.data,
      [0, 1].flatMap((i) => [0, 1, 2, 3].map((k) => (at(i, 0, k) + at(i, 1, k) + at(i, 2, k)) / 3)),
    );
    const [max2] = await runCpu('max', [{ data: x, shape }], { axes: [2] });
    expectClose(
      max2.data,
      [0, 1].flatMap((i) => [0, 1, 2].map((j) => Math.max(at(i, j, 0), at(i, j, 1), at(i, j, 2), at(i, j, 3)))),
      0,
      0,
    );
    const [copy] = await runCpu('sum', [{ data: x, shape }], { axes: [] });
    expect(Array.from(copy.data)).toEqual(Array.from(x));
    const [empty] = await runCpu('sum', [{ data: [], shape: [3, 0] }], { axes: [1] });
    expect(Array.from(empty.data)).toEqual([0, 0, 0]);
    const [argmax] = await runCpu('argmax', [{ data: [1, 5, 5, 2, NaN, 3], shape: [2, 3] }], { axis: 1 });
    expect(Array.from(argmax.data)).toEqual([1, 1]);
    await expect(runCpu('sum', [{ data: x, shape }], { axes: [3] })).rejects.toThrow(
      'sum: axis 3 is out of range for rank 3',
    );
  });

  it('computes softmax, logSoftmax and logSumExp along any axis', async () => {
    const [sm] = await runCpu('softmax', [{ data: x, shape }], { axis: 1 });
    const [lsm] = await runCpu('logSoftmax', [{ data: x, shape }], { axis: 1 });
    const [lse] = await runCpu('logSumExp', [{ data: x, shape }], { axis: 1 });
    for (let i = 0; i < 2; i++)
      for (let k = 0; k < 4; k++) {
        const z = Math.log(Math.exp(at(i, 0, k)) + Math.exp(at(i, 1, k)) + Math.exp(at(i, 2, k)));
        expect(lse.data[i * 4 + k]).toBeCloseTo(z, 6);
        for (let j = 0; j < 3; j++) {
          expect(sm.data[i * 12 + j * 4 + k]).toBeCloseTo(Math.exp(at(i, j, k) - z), 6);
          expect(lsm.data[i * 12 + j * 4 + k]).toBeCloseTo(at(i, j, k) - z, 6);
        }
      }
    const [big] = await runCpu('logSumExp', [{ data: [1000, 1000, -Infinity], shape: [3] }], { axis: 0 });
    expect(big.data[0]).toBeCloseTo(1000 + Math.log(2), 3);
  });

  it('matches finite differences for the softmax gradients', async () => {
    const row = randomArray(6, 11, -2, 2);
    const dy = randomArray(6, 12);
    const [y] = await runCpu('softmax', [{ data: row, shape: [6] }], { axis: 0 });
    const [dx] = await runCpu(
      'softmaxGrad',
      [
        { data: dy, shape: [6] },
        { data: y.data, shape: [6] },
      ],
      { axis: 0 },
    );
    const [ly] = await runCpu('logSoftmax', [{ data: row, shape: [6] }], { axis: 0 });
    const [ldx] = await runCpu(
      'logSoftmaxGrad',
      [
        { data: dy, shape: [6] },
        { data: ly.data, shape: [6] },
      ],
      { axis: 0 },
    );
    const f = (v: Float64Array, log: boolean) => {
      let z = 0;
      for (const t of v) z += Math.exp(t);
      let s = 0;
      for (let i = 0; i < 6; i++) s += dy[i] * (log ? v[i] - Math.log(z) : Math.exp(v[i]) / z);
      return s;
    };
    for (const [grad, log] of [
      [dx.data, false],
      [ldx.data, true],
    ] as const) {
      const numeric = Array.from(row, (_, i) => {
        const plus = Float64Array.from(row);
        const minus = Float64Array.from(row);
        plus[i] += 1e-5;
        minus[i] -= 1e-5;
        return (f(plus, log) - f(minus, log)) / 2e-5;
      });
      expectClose(grad, numeric, 1e-5, 1e-4);
    }
  });
});
