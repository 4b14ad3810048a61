import { afterAll, describe, expect, it } from 'vitest';
import { dropout, nativeInfo, setIsa, setThreads } from './index.js';
import { seeded } from './values.test-util.js';

/** Philox4x32-10 in plain JavaScript (BigInt products): the formula the kernel must follow. */
function philoxWords(counter: bigint, k0: number, k1: number): number[] {
  let c = [Number(counter & 0xffffffffn), Number(counter >> 32n), 0, 0];
  let key = [k0, k1];
  for (let round = 0; round < 10; round++) {
    if (round > 0) key = [(key[0]! + 0x9e3779b9) >>> 0, (key[1]! + 0xbb67ae85) >>> 0];
    const p0 = 0xd2511f53n * BigInt(c[0]!);
    const p1 = 0xcd9e8d57n * BigInt(c[2]!);
    c = [
      (Number(p1 >> 32n) ^ c[1]! ^ key[0]!) >>> 0,
      Number(p1 & 0xffffffffn),
      (Number(p0 >> 32n) ^ c[3]! ^ key[1]!) >>> 0,
      Number(p0 & 0xffffffffn),
    ];
  }
  return c;
}

function reference(x: Float32Array, first: number, [k0, k1]: [number, number], keepFrom: number, scale: number) {
  const out = new Float32Array(x.length);
  const s = Math.fround(scale);
  for (let i = 0; i < x.length; i++) {
    const e = BigInt(first + i);
    const word = philoxWords(e >> 2n, k0, k1)[Number(e & 3n)]!;
    out[i] = word >>> 8 >= keepFrom ? x[i]! * s : x[i]! * 0;
  }
  return out;
}

const isas = nativeInfo().isas.filter((isa) => isa !== 'avx512f');

describe('dropout', () => {
  afterAll(() => void setIsa('auto'));

  it('keeps and scales the elements the Philox stream says, on every instruction set, at any start', () => {
    const rand = seeded(3);
    for (const isa of isas) {
      setIsa(isa);
      for (const [n, first] of [
        [1, 0],
        [31, 0],
        [32, 0],
        [100, 0],
        [77, 5],
        [200, 31],
        [64, 2 ** 34 - 40], // across the counter's 2^32 boundary
        [96, 2 ** 34 + 64], // past it, whole groups
        [1000, 3], // groups of 32 four at a time, then the last three, then a tail
        [4133, 2 ** 34 - 2048], // many groups across the boundary
      ] as const) {
        const x = new Float32Array(n).map(() => rand() * 4);
        for (const [key, keepFrom, scale] of [
          [[7, 0], 838861, 1 / 0.95],
          [[0xfffffffe, 12345], 2 ** 23, 2],
          [[1, 2], 0, 1],
          [[3, 4], 2 ** 24, 5],
        ] as const) {
          const out = new Float32Array(n);
          dropout({ x, out, first, key: [key[0], key[1]], keepFrom, scale });
          expect(Array.from(out), `${isa}, n ${n}, first ${first}, keepFrom ${keepFrom}`).toEqual(
            Array.from(reference(x, first, [key[0], key[1]], keepFrom, scale)),
          );
        }
      }
    }
  });

  it("splits a large array across the pool's threads with the bits of one thread", () => {
    const rand = seeded(5);
    const n = 200_003;
    const x = new Float32Array(n).map(() => rand() * 4);
    const processors = nativeInfo().processors;
    try {
      for (const isa of isas) {
        setIsa(isa);
        const outs = [1, 2, 3].map((threads) => {
          setThreads(threads);
          const out = new Float32Array(n);
          dropout({ x, out, first: 5, key: [11, 3], keepFrom: 838861, scale: 1 / 0.95 });
          return out;
        });
        expect(Array.from(outs[1]!), `${isa}, 2 threads`).toEqual(Array.from(outs[0]!));
        expect(Array.from(outs[2]!), `${isa}, 3 threads`).toEqual(Array.from(outs[0]!));
        // And the stream's own words at the start, the middle and the end (ranges meet in between).
        for (const at of [0, Math.floor(n / 2) - 100, n - 200]) {
          const want = reference(x.subarray(at, at + 200), 5 + at, [11, 3], 838861, 1 / 0.95);
          expect(Array.from(outs[1]!.subarray(at, at + 200)), `${isa}, from ${at}`).toEqual(Array.from(want));
        }
      }
    } finally {
      setThreads(processors);
    }
  });

  it('runs in place; a dropped element is a signed zero (NaN for an infinite one)', () => {
    const x = Float32Array.from({ length: 96 }, (_, i) => (i % 3 === 0 ? -1 : i % 3 === 1 ? Infinity : 2));
    const want = reference(x, 0, [9, 9], 2 ** 23, 2);
    dropout({ x, out: x, key: [9, 9], keepFrom: 2 ** 23, scale: 2 });
    expect(Array.from(x)).toEqual(Array.from(want));
    expect(x.some((v) => Object.is(v, -0))).toBe(true);
    expect(x.some((v) => Number.isNaN(v))).toBe(true);
  });

  it('names what is wrong', () => {
    const x = new Float32Array(8);
    const call = (p: Partial<Parameters<typeof dropout>[0]>) => () =>
      dropout({ x, out: new Float32Array(8), key: [0, 0], keepFrom: 1, scale: 1, ...p });
    expect(call({ out: new Float32Array(7) })).toThrow('dropout: x and out must have one length, got 8 and 7');
    expect(call({ keepFrom: 2 ** 24 + 1 })).toThrow('dropout: keepFrom must be an integer in [0, 16777216]');
    expect(call({ key: [-1, 0] })).toThrow('dropout: k0 must be an integer in [0, 4294967295]');
    expect(call({ first: 0.5 })).toThrow('dropout: first must be an integer');
    expect(call({ scale: Infinity })).toThrow('dropout: scale must be a finite number');
    const whole = new Float32Array(12);
    expect(() =>
      dropout({ x: whole.subarray(0, 8), out: whole.subarray(4, 12), key: [0, 0], keepFrom: 1, scale: 1 }),
    ).toThrow('dropout: out must be x itself or share no memory with it');
  });
});
