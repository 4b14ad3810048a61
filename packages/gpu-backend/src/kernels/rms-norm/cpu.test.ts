import { describe, expect, it } from 'vitest';
import { expectClose, runCpu } from '../../cpu/cpu.test-util.js';
import { createCpuBackend } from '../../cpu/index.js';
import { nativeGemmStatus } from '../../cpu/matmul/native-gemm.js';
import { nativeRmsNormCallCount, nativeRmsNormGradCallCount } from './cpu.js';

/** Deterministic values in [lo, hi). */
function values(n: number, seed: number, lo: number, hi: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = lo + ((s >>> 8) / 2 ** 24) * (hi - lo);
  }
  return out;
}

/** y = x / sqrt(mean(x^2) + eps) * w in float64, rounded once. */
function reference(x: Float32Array, w: Float32Array, d: number, eps: number): Float32Array {
  const y = new Float32Array(x.length);
  for (let base = 0; base < x.length; base += d) {
    let ss = 0;
    for (let c = 0; c < d; c++) ss += x[base + c]! * x[base + c]!;
    const inv = 1 / Math.sqrt(ss / d + eps);
    for (let c = 0; c < d; c++) y[base + c] = x[base + c]! * inv * w[c]!;
  }
  return y;
}

/** rmsNormGrad's formulas row after row in float64 (dweight summed over rows in order), rounded once. */
function gradReference(dy: Float32Array, x: Float32Array, w: Float32Array, d: number, eps: number) {
  const dx = new Float32Array(x.length);
  const dw = new Float64Array(d);
  for (let base = 0; base < x.length; base += d) {
    let ss = 0;
    for (let c = 0; c < d; c++) ss += x[base + c]! * x[base + c]!;
    const r = 1 / Math.sqrt(ss / d + eps);
    let dot = 0;
    for (let c = 0; c < d; c++) {
      const xhat = x[base + c]! * r;
      dot += dy[base + c]! * w[c]! * xhat;
      dw[c] += dy[base + c]! * xhat;
    }
    for (let c = 0; c < d; c++) dx[base + c] = r * (dy[base + c]! * w[c]! - x[base + c]! * r * (dot / d));
  }
  return { dx, dw: Float32Array.from(dw) };
}

describe('cpu rmsNorm', () => {
  it('matches the float64 formula within float32 rounding: scalar rows, SIMD rows with tails, more rows than one SIMD block', async () => {
    for (const [rows, d] of [
      [7, 5],
      [4, 16],
      [230, 37],
      [3, 4099],
      [9000, 18],
    ] as const) {
      const x = values(rows * d, rows + d, -3, 3);
      const w = values(d, d, 0.5, 1.5);
      const [y] = await runCpu(
        'rmsNorm',
        [
          { data: x, shape: [rows, d] },
          { data: w, shape: [d] },
        ],
        { eps: 1e-6 },
      );
      expectClose(y!.data, reference(x, w, d, 1e-6), 1e-7, 1e-6);
    }
  });

  it('rmsNormGrad gives the bits of its formulas row after row: odd and even row counts, short and long rows, with and without the native addon', async () => {
    const withoutAddon = await createCpuBackend({ gemm: 'wasm' });
    for (const [rows, d] of [
      [1, 8],
      [2, 5],
      [7, 192],
      [64, 16],
      [33, 768],
      [5, 3],
      [6, 100],
    ] as const) {
      const x = values(rows * d, rows + d, -3, 3);
      const dy = values(rows * d, rows + d + 1, -1, 1);
      const w = values(d, d, 0.5, 1.5);
      const want = gradReference(dy, x, w, d, 1e-6);
      for (const backend of [undefined, withoutAddon]) {
        const path = backend ? 'JavaScript' : 'default';
        const [dx, dw] = await runCpu(
          'rmsNormGrad',
          [
            { data: dy, shape: [rows, d] },
            { data: x, shape: [rows, d] },
            { data: w, shape: [d] },
          ],
          { eps: 1e-6 },
          backend,
        );
        expect(Array.from(dx!.data), `dx ${rows}x${d}, ${path}`).toEqual(Array.from(want.dx));
        expect(Array.from(dw!.data), `dweight ${rows}x${d}, ${path}`).toEqual(Array.from(want.dw));
      }
    }
  });

  it.skipIf(nativeGemmStatus().available !== true)(
    'rmsNorm and addRmsNorm run on the native addon from 256 elements, with the bits of the WebAssembly kernel',
    async () => {
      const withoutAddon = await createCpuBackend({ gemm: 'wasm' });
      for (const [rows, d, native] of [
        [16, 16, true],
        [15, 17, false],
        [9, 37, true],
        [300, 64, true],
        [40, 768, true],
        [3, 5000, true],
        [2, 9000, false], // past the SIMD kernel's rows: JavaScript on both
      ] as const) {
        const x = values(rows * d, rows + d, -3, 3);
        const u = values(rows * d, rows + d + 1, -1, 1);
        const w = values(d, d, 0.5, 1.5);
        const inputs = [
          { data: x, shape: [rows, d] },
          { data: w, shape: [d] },
        ];
        const withUpdate = [inputs[0]!, { data: u, shape: [rows, d] }, inputs[1]!];
        const before = nativeRmsNormCallCount();
        const [y] = await runCpu('rmsNorm', inputs, { eps: 1e-6 });
        const [, normed] = await runCpu('addRmsNorm', withUpdate, { eps: 1e-6 });
        expect(nativeRmsNormCallCount() - before, `${rows} x ${d}`).toBe(native ? 2 : 0);
        const [wasmY] = await runCpu('rmsNorm', inputs, { eps: 1e-6 }, withoutAddon);
        const [, wasmNormed] = await runCpu('addRmsNorm', withUpdate, { eps: 1e-6 }, withoutAddon);
        expect(nativeRmsNormCallCount() - before).toBe(native ? 2 : 0);
        expect(Array.from(y!.data), `rmsNorm ${rows} x ${d}`).toEqual(Array.from(wasmY!.data));
        expect(Array.from(normed!.data), `addRmsNorm ${rows} x ${d}`).toEqual(Array.from(wasmNormed!.data));
      }
    },
  );

  it.skipIf(nativeGemmStatus().available !== true)(
    'rmsNormGrad runs on the native addon from 256 elements',
    async () => {
      const run = async (rows: number, d: number) => {
        const before = nativeRmsNormGradCallCount();
        const data = values(rows * d, 1, -1, 1);
        await runCpu(
          'rmsNormGrad',
          [
            { data, shape: [rows, d] },
            { data, shape: [rows, d] },
            { data: values(d, 2, 0.5, 1.5), shape: [d] },
          ],
          { eps: 1e-6 },
        );
        return nativeRmsNormGradCallCount() - before;
      };
      expect(await run(16, 16)).toBe(1);
      expect(await run(15, 17)).toBe(0);
    },
  );
});
