import { describe, expect, it } from 'vitest';
import { randomArray, runCpu } from './cpu.test-util.js';
import { nativeGemmStatus } from './matmul/native-gemm.js';
import { nativeScaleAddCallCount, scaleAdd } from './scale-add.js';

const bitsOf = (x: Float32Array) => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length));

describe('scaleAdd', () => {
  it('gives the bits of the float32 multiply and add, in place too, on either path', () => {
    for (const n of [3, 511, 512, 5000]) {
      for (const s of [1, -1, 1.5, -0.3]) {
        const a = randomArray(n, n, -4, 4);
        const b = randomArray(n, n + 1, -4, 4);
        const want = new Float32Array(n);
        for (let i = 0; i < n; i++) want[i] = a[i]! + Math.fround(b[i]! * Math.fround(s));
        const out = new Float32Array(n);
        scaleAdd(a, b, out, s);
        expect(bitsOf(out), `n ${n}, s ${s}`).toEqual(bitsOf(want));
        scaleAdd(a, b, a, s);
        expect(bitsOf(a), `in place, n ${n}, s ${s}`).toEqual(bitsOf(want));
      }
    }
  });

  it.skipIf(nativeGemmStatus().available !== true)(
    'runs on the native addon from 512 elements, and the add and sub kernels of one shape take it',
    async () => {
      const before = nativeScaleAddCallCount();
      scaleAdd(new Float32Array(511), new Float32Array(511), new Float32Array(511), 2);
      expect(nativeScaleAddCallCount()).toBe(before);
      scaleAdd(new Float32Array(512), new Float32Array(512), new Float32Array(512), 2);
      expect(nativeScaleAddCallCount()).toBe(before + 1);
      const a = randomArray(40 * 30, 3);
      const b = randomArray(40 * 30, 4);
      for (const op of ['add', 'sub'] as const) {
        const calls = nativeScaleAddCallCount();
        const [out] = await runCpu(op, [
          { data: a, shape: [40, 30] },
          { data: b, shape: [40, 30] },
        ]);
        expect(nativeScaleAddCallCount()).toBe(calls + 1);
        const want = Float32Array.from(a, (x, i) => (op === 'add' ? x + b[i]! : x - b[i]!));
        expect(bitsOf(out.data as Float32Array)).toEqual(bitsOf(want));
      }
    },
  );
});
