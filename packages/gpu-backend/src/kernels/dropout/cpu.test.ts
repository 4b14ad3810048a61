import { describe, expect, it } from 'vitest';
import { randomArray, runCpu } from '../../cpu/cpu.test-util.js';
import { createCpuBackend } from '../../cpu/index.js';
import { nativeGemmStatus } from '../../cpu/matmul/native-gemm.js';
import { nativeDropoutCallCount } from './cpu.js';

describe('cpu dropout', () => {
  it('gives the bits of randomUniform, greaterEqual, mul and the scale, past a block of the stream', async () => {
    // Without the addon: WebAssembly, in passes of four groups of 16 and then group by group, then JavaScript.
    const withoutAddon = await createCpuBackend({ gemm: 'wasm' });
    for (const [n, p, seed] of [
      [9, 0.1, 1],
      [5000, 0.3, 2 ** 35 + 9],
      [4097, 0.75, 12],
      [20_011, 0.05, 2 ** 52 + 3],
      [16 * 1031 + 5, 0.5, 77],
    ] as const) {
      const data = randomArray(n, n, -4, 4);
      data[0] = -0.5; // a dropped negative gives -0, as x * 0 does
      const x = { data, shape: [n] };
      const [got] = await runCpu('dropout', [x], { p, seed });
      const [u] = await runCpu('randomUniform', [], { shape: [n], seed, low: 0, high: 1 });
      const [keep] = await runCpu('scalarOp', [{ data: u!.data, shape: [n] }], { op: 'greaterEqual', scalar: p });
      const [masked] = await runCpu('mul', [x, { data: keep!.data, shape: [n] }]);
      const [want] = await runCpu('scalarOp', [{ data: masked!.data, shape: [n] }], { op: 'mul', scalar: 1 / (1 - p) });
      expect(Array.from(got!.data), `n ${n}, p ${p}`).toEqual(Array.from(want!.data));
      const [wasm] = await runCpu('dropout', [x], { p, seed }, withoutAddon);
      expect(Array.from(wasm!.data), `n ${n}, p ${p}, without the addon`).toEqual(Array.from(want!.data));
      const kept = Array.from(keep!.data).filter((k) => k === 1).length / n;
      expect(Math.abs(kept - (1 - p)), `n ${n}: kept ${kept}`).toBeLessThan(n > 100 ? 0.05 : 0.5);
    }
  });

  it.skipIf(nativeGemmStatus().available !== true)(
    'draws on the native addon where it runs, with the bits of the WebAssembly path',
    async () => {
      const withoutAddon = await createCpuBackend({ gemm: 'wasm' });
      for (const [n, p, seed] of [
        [37, 0.1, 5],
        [20_011, 0.05, 2 ** 52 + 3],
        [4096, 0.5, 2 ** 33],
      ] as const) {
        const x = { data: randomArray(n, n + 1, -4, 4), shape: [n] };
        const before = nativeDropoutCallCount();
        const [native] = await runCpu('dropout', [x], { p, seed });
        expect(nativeDropoutCallCount()).toBe(before + 1);
        const [wasm] = await runCpu('dropout', [x], { p, seed }, withoutAddon);
        expect(nativeDropoutCallCount()).toBe(before + 1);
        expect(Array.from(native!.data), `n ${n}, p ${p}`).toEqual(Array.from(wasm!.data));
      }
    },
  );
});
