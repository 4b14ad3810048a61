import { describe, expect, it } from 'vitest';
import { randomArray, runCpu } from '../../cpu/cpu.test-util.js';

describe('cpu loraLinear', () => {
  it('gives the bits of the unfused layer (three matmuls, the scale, the add): decoding rows and GEMM rows, half weights', async () => {
    for (const [m, n, k, r, dtype, scaling] of [
      [1, 96, 64, 8, 'float32', 2],
      [3, 200, 130, 16, 'bfloat16', 0.5],
      [8, 64, 300, 4, 'float16', 1.7],
      [50, 72, 40, 8, 'float32', 2],
      [64, 96, 128, 16, 'bfloat16', 4],
    ] as const) {
      const x = { data: randomArray(m * k, m + k, -1, 1), shape: [m, k] };
      const w = { data: randomArray(n * k, n * k, -1, 1), shape: [n, k], dtype };
      const a = { data: randomArray(r * k, r, -1, 1), shape: [r, k] };
      const b = { data: randomArray(n * r, n + r, -1, 1), shape: [n, r] };
      const [fused] = await runCpu('loraLinear', [x, w, a, b], { scaling });
      const [base] = await runCpu('matmul', [x, w], { transposeB: true });
      const [down] = await runCpu('matmul', [x, a], { transposeB: true });
      const [up] = await runCpu('matmul', [{ data: down!.data, shape: [m, r] }, b], { transposeB: true });
      const [scaled] = await runCpu('scalarOp', [{ data: up!.data, shape: [m, n] }], { op: 'mul', scalar: scaling });
      const [want] = await runCpu('add', [
        { data: base!.data, shape: [m, n] },
        { data: scaled!.data, shape: [m, n] },
      ]);
      expect(fused!.shape, `${m}x${n}x${k} r${r}`).toEqual([m, n]);
      expect(Array.from(fused!.data), `${m}x${n}x${k} r${r} ${dtype}`).toEqual(Array.from(want!.data));
    }
  });

  it("with dropout, the bits of the composition's dropped input (randomUniform, greaterEqual, mul, scale) through the adapter", async () => {
    for (const [m, n, k, r, p, seed] of [
      [1, 96, 64, 8, 0.1, 5],
      [40, 72, 48, 4, 0.5, 2 ** 33 + 1],
    ] as const) {
      const x = { data: randomArray(m * k, m + k, -1, 1), shape: [m, k] };
      const w = { data: randomArray(n * k, n * k, -1, 1), shape: [n, k] };
      const a = { data: randomArray(r * k, r, -1, 1), shape: [r, k] };
      const b = { data: randomArray(n * r, n + r, -1, 1), shape: [n, r] };
      const [fused] = await runCpu('loraLinear', [x, w, a, b], { scaling: 2, dropout: p, seed });
      const [uniform] = await runCpu('randomUniform', [], { shape: [m, k], seed, low: 0, high: 1 });
      const [keep] = await runCpu('scalarOp', [{ data: uniform!.data, shape: [m, k] }], {
        op: 'greaterEqual',
        scalar: p,
      });
      const [masked] = await runCpu('mul', [x, { data: keep!.data, shape: [m, k] }]);
      const [dropped] = await runCpu('scalarOp', [{ data: masked!.data, shape: [m, k] }], {
        op: 'mul',
        scalar: 1 / (1 - p),
      });
      const [base] = await runCpu('matmul', [x, w], { transposeB: true });
      const [down] = await runCpu('matmul', [{ data: dropped!.data, shape: [m, k] }, a], { transposeB: true });
      const [up] = await runCpu('matmul', [{ data: down!.data, shape: [m, r] }, b], { transposeB: true });
      const [scaled] = await runCpu('scalarOp', [{ data: up!.data, shape: [m, n] }], { op: 'mul', scalar: 2 });
      const [want] = await runCpu('add', [
        { data: base!.data, shape: [m, n] },
        { data: scaled!.data, shape: [m, n] },
      ]);
      // Some inputs were dropped (the mask is not all ones), and the result is the composition's.
      expect(Array.from(keep!.data).some((v) => v === 0)).toBe(true);
      expect(Array.from(fused!.data), `${m} rows, dropout ${p}`).toEqual(Array.from(want!.data));
    }
  });

  it('names the operand that does not fit', async () => {
    const f = (shape: number[]) => ({ data: new Float32Array(shape.reduce((p, q) => p * q, 1)), shape });
    await expect(runCpu('loraLinear', [f([2, 4]), f([3, 4]), f([2, 4]), f([3, 5])], { scaling: 1 })).rejects.toThrow(
      /loraB \[3, 5\] must be \[3, 2\]/,
    );
    await expect(runCpu('loraLinear', [f([2, 4]), f([3, 4]), f([2, 6]), f([3, 2])], { scaling: 1 })).rejects.toThrow(
      /loraA \[2, 6\] must be \[R, 4\]/,
    );
    await expect(
      runCpu('loraLinear', [f([2, 4]), f([3, 4]), f([2, 4]), f([3, 2])], { scaling: 1, dropout: 0.2 }),
    ).rejects.toThrow(/loraLinear.*seed/);
  });
});
