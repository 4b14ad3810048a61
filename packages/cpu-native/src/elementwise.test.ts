import { describe, expect, it } from 'vitest';
import { nativeInfo, scaleAdd, setThreads } from './index.js';
import { seeded } from './values.test-util.js';

/** The JavaScript loop whose bits scaleAdd keeps. */
function reference(a: Float32Array, b: Float32Array, s: number): Float32Array {
  const out = new Float32Array(a.length);
  const s32 = Math.fround(s);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! + Math.fround(b[i]! * s32);
  return out;
}

const bitsOf = (x: Float32Array) => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length));

describe('scaleAdd', () => {
  it('gives the bits of the separately rounded multiply and add, at every length and for special values', () => {
    const rand = seeded(7);
    for (const n of [0, 1, 3, 4, 5, 15, 16, 17, 1000, 4099]) {
      for (const s of [1, -1, 2, 0.3, -1e-20, 3e30]) {
        const a = new Float32Array(n).map(() => rand() * 10);
        const b = new Float32Array(n).map(() => rand() * 10);
        const out = new Float32Array(n);
        scaleAdd(a, b, out, s);
        expect(bitsOf(out), `n ${n}, s ${s}`).toEqual(bitsOf(reference(a, b, s)));
      }
    }
    // Products where a fused multiply-add would round once (and so differently), and IEEE's special values.
    const a = Float32Array.from([1, -1, 0, -0, -0, Infinity, Infinity, NaN, 1e-45, 3.4e38, 1 - 2 ** -24]);
    const b = Float32Array.from([1 + 2 ** -23, 1 + 2 ** -23, -0, 0, -0, -Infinity, 1, 1, 1e-45, 3.4e38, 1 + 2 ** -23]);
    for (const s of [1 + 2 ** -23, -1, 0.5]) {
      const out = new Float32Array(a.length);
      scaleAdd(a, b, out, s);
      expect(bitsOf(out), `s ${s}`).toEqual(bitsOf(reference(a, b, s)));
    }
  });

  it("splits a large array across the pool's threads, in place too, with the bits of one thread", () => {
    const rand = seeded(13);
    const n = 300_001;
    const a = new Float32Array(n).map(() => rand() * 10);
    const b = new Float32Array(n).map(() => rand() * 10);
    const want = reference(a, b, 0.3);
    const processors = nativeInfo().processors;
    try {
      for (const threads of [1, 2, 3]) {
        setThreads(threads);
        const out = new Float32Array(n);
        scaleAdd(a, b, out, 0.3);
        expect(bitsOf(out), `${threads} threads`).toEqual(bitsOf(want));
        const inPlace = Float32Array.from(b);
        scaleAdd(a, inPlace, inPlace, 0.3);
        expect(bitsOf(inPlace), `${threads} threads, in place`).toEqual(bitsOf(want));
      }
    } finally {
      setThreads(processors);
    }
  });

  it('runs in place on a or b, and on subarrays', () => {
    const rand = seeded(9);
    const a = new Float32Array(300).map(() => rand());
    const b = new Float32Array(300).map(() => rand());
    const want = reference(a, b, 0.75);
    const inA = Float32Array.from(a);
    scaleAdd(inA, b, inA, 0.75);
    expect(bitsOf(inA)).toEqual(bitsOf(want));
    const inB = Float32Array.from(b);
    scaleAdd(a, inB, inB, 0.75);
    expect(bitsOf(inB)).toEqual(bitsOf(want));
    const whole = new Float32Array(310);
    scaleAdd(a.subarray(10, 110), b.subarray(10, 110), whole.subarray(5, 105), 0.75);
    expect(bitsOf(whole.subarray(5, 105))).toEqual(bitsOf(want.subarray(10, 110)));
    expect(whole[4]).toBe(0);
    expect(whole[105]).toBe(0);
  });

  it('names what is wrong: a length, an overlap, the scale, a type', () => {
    const x = new Float32Array(8);
    expect(() => scaleAdd(x, new Float32Array(7), new Float32Array(8), 1)).toThrow(
      'scaleAdd: a, b and out must have one length, got 8, 7 and 8',
    );
    expect(() => scaleAdd(x.subarray(0, 4), new Float32Array(4), x.subarray(2, 6), 1)).toThrow(
      'scaleAdd: out must be a or b itself, or share no memory with them',
    );
    expect(() => scaleAdd(x, x, x, Number.NaN)).toThrow('scaleAdd: s must be a finite number, got nan');
    expect(() => scaleAdd(x, new Int32Array(8) as unknown as Float32Array, x, 1)).toThrow(
      'scaleAdd: b must be a Float32Array',
    );
  });
});
