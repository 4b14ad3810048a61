import { describe, expect, it } from 'vitest';
import { randomArray, runCpu } from '../../cpu/cpu.test-util.js';
import { createCpuBackend } from '../../cpu/index.js';
import { nativeGemmStatus } from '../../cpu/matmul/native-gemm.js';
import { nativeRmsNormRopeCallCount } from './cpu.js';

/**
 * The formulas written out plainly, row after row, each step rounded where the
 * composition rounds it (rmsNorm's output and rope's to float32, the rest in
 * float64): what the kernels must give bit for bit, however they order the work.
 */
function reference(
  x: Float32Array,
  w: Float32Array,
  dy: Float32Array,
  positions: Int32Array,
  [b, t, h, d]: number[],
  eps: number,
  theta: number,
) {
  const half = d / 2;
  const invFreq = Float32Array.from({ length: half }, (_, i) => 1 / Math.fround(theta ** Math.fround((2 * i) / d)));
  const y = new Float32Array(x.length);
  const dx = new Float32Array(x.length);
  const dw = new Float64Array(d);
  const n = new Float32Array(d);
  const g = new Float32Array(d);
  for (let bi = 0; bi < b; bi++) {
    for (let ti = 0; ti < t; ti++) {
      const pos = positions[bi * t + ti]!;
      const cos = Float32Array.from(invFreq, (f) => Math.cos(Math.fround(pos * f)));
      const sin = Float32Array.from(invFreq, (f) => Math.sin(Math.fround(pos * f)));
      for (let hi = 0; hi < h; hi++) {
        const row = ((bi * t + ti) * h + hi) * d;
        const out = ((bi * h + hi) * t + ti) * d;
        let ss = 0;
        for (let c = 0; c < d; c++) ss += x[row + c]! * x[row + c]!;
        const r = 1 / Math.sqrt(ss / d + eps);
        for (let c = 0; c < d; c++) n[c] = x[row + c]! * r * w[c]!;
        for (let i = 0; i < half; i++) {
          y[out + i] = n[i]! * cos[i]! - n[i + half]! * sin[i]!;
          y[out + i + half] = n[i + half]! * cos[i]! + n[i]! * sin[i]!;
          // rope's inverse: the rotation by -angle
          g[i] = dy[out + i]! * cos[i]! - dy[out + i + half]! * -sin[i]!;
          g[i + half] = dy[out + i + half]! * cos[i]! + dy[out + i]! * -sin[i]!;
        }
        let dot = 0;
        for (let c = 0; c < d; c++) {
          const xhat = x[row + c]! * r;
          dot += g[c]! * w[c]! * xhat;
          dw[c] += g[c]! * xhat;
        }
        for (let c = 0; c < d; c++) dx[row + c] = r * (g[c]! * w[c]! - x[row + c]! * r * (dot / d));
      }
    }
  }
  return { y, dx, dw: Float32Array.from(dw) };
}

describe('cpu rmsNormRope and rmsNormRopeGrad', () => {
  it('give the bits of the plain formulas: any head count, head dims, positions past the angle table; with and without the native addon', async () => {
    const withoutAddon = await createCpuBackend({ gemm: 'wasm' });
    for (const [shape, maxPos, theta] of [
      [[2, 5, 3, 8], 2048, 1e6],
      [[1, 70, 2, 16], 70, 1e4],
      [[2, 3, 5, 6], 512, 1e4],
      [[1, 1, 1, 2], 100, 1e4],
      [[3, 17, 4, 64], 70_000, 1e4],
      [[2, 9, 1, 128], 100, 1e6],
      [[1, 4, 7, 32], 1 << 20, 1e4],
    ] as const) {
      const [b, t, h, d] = shape;
      const size = b * t * h * d;
      const seed = size + d;
      const x = randomArray(size, seed, -3, 3);
      const w = randomArray(d, seed + 1, 0.5, 1.5);
      const dy = randomArray(size, seed + 2);
      const positions = Int32Array.from(randomArray(b * t, seed + 3, 0, maxPos), Math.floor);
      const want = reference(x, w, dy, positions, [...shape], 1e-6, theta);
      const attrs = { eps: 1e-6, theta };
      const inputs = [
        { data: x, shape: [...shape] },
        { data: w, shape: [d] },
        { data: positions, shape: [b, t], dtype: 'int32' as const },
      ];
      for (const backend of [undefined, withoutAddon]) {
        const path = backend ? 'JavaScript' : 'default';
        const [y] = await runCpu('rmsNormRope', inputs, attrs, backend);
        const [dx, dw] = await runCpu(
          'rmsNormRopeGrad',
          [{ data: dy, shape: [b, h, t, d] }, ...inputs],
          attrs,
          backend,
        );
        expect(Array.from(y!.data), `y ${shape}, ${path}`).toEqual(Array.from(want.y));
        expect(Array.from(dx!.data), `dx ${shape}, ${path}`).toEqual(Array.from(want.dx));
        expect(Array.from(dw!.data), `dweight ${shape}, ${path}`).toEqual(Array.from(want.dw));
      }
    }
  });

  it.skipIf(nativeGemmStatus().available !== true)(
    'run on the native addon from 256 elements where the angle table covers every position',
    async () => {
      const run = async (shape: [number, number, number, number], maxPos: number) => {
        const [b, t, h, d] = shape;
        const inputs = [
          { data: randomArray(b * t * h * d, 1), shape },
          { data: randomArray(d, 2, 0.5, 1.5), shape: [d] },
          {
            data: Int32Array.from({ length: b * t }, (_, i) => (i === 0 ? maxPos : i)),
            shape: [b, t],
            dtype: 'int32' as const,
          },
        ];
        const before = nativeRmsNormRopeCallCount();
        await runCpu('rmsNormRope', inputs, { eps: 1e-6, theta: 1e4 });
        await runCpu('rmsNormRopeGrad', [{ data: randomArray(b * t * h * d, 3), shape: [b, h, t, d] }, ...inputs], {
          eps: 1e-6,
          theta: 1e4,
        });
        return nativeRmsNormRopeCallCount() - before;
      };
      expect(await run([1, 4, 4, 16], 100)).toBe(2);
      expect(await run([1, 3, 5, 16], 100)).toBe(0); // 240 elements: the JavaScript
      expect(await run([1, 4, 4, 16], -1)).toBe(0); // a position outside the table
      expect(await run([1, 4, 4, 16], 1 << 20)).toBe(0);
    },
  );
});
