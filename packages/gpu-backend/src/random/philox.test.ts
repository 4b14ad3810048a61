import { describe, expect, it } from 'vitest';
import { fillNormal, fillUniform, mulHi32, philox4x32, philoxStream, uniformFromWord } from './philox.js';
import { philoxSimdAvailable } from './philox-wasm.js';

// Known-answer vectors of Random123 (tests/kat_vectors, "philox4x32 10" lines): counter, key, output.
const KAT: [number[], number[], number[]][] = [
  [
    [0, 0, 0, 0],
    [0, 0],
    [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8],
  ],
  [
    [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
    [0xffffffff, 0xffffffff],
    [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
  ],
  [
    [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
    [0xa4093822, 0x299f31d0],
    [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
  ],
];

describe('Philox4x32-10', () => {
  it('matches the Random123 known-answer vectors', () => {
    const out = new Uint32Array(4);
    for (const [c, k, expected] of KAT) {
      philox4x32(c[0], c[1], c[2], c[3], k[0], k[1], out);
      expect(Array.from(out)).toEqual(expected);
    }
  });

  it('streams the words of philox4x32 block by block for any start and length (the WebAssembly groups too)', () => {
    const reference = (seed: number, start: number, n: number) => {
      const words = new Uint32Array(n);
      const block = new Uint32Array(4);
      for (let e = start; e < start + n; e++) {
        const counter = Math.floor(e / 4);
        philox4x32(
          counter >>> 0,
          Math.floor(counter / 2 ** 32) >>> 0,
          0,
          0,
          seed >>> 0,
          Math.floor(seed / 2 ** 32),
          block,
        );
        words[e - start] = block[e % 4]!;
      }
      return words;
    };
    // Node 20 has WebAssembly SIMD: the groups below run there, not in the JavaScript fallback.
    expect(philoxSimdAvailable()).toBe(true);
    for (const seed of [0, 42, 2 ** 32 + 7, 2 ** 53 - 1]) {
      for (const start of [0, 1, 3, 5, 64, 4 * (2 ** 32 - 20) + 2, 4 * 2 ** 32 + 1]) {
        for (const n of [0, 3, 16, 17, 63, 64, 1000, 70_000]) {
          const got = new Uint32Array(n);
          philoxStream(seed, got, start);
          expect(Array.from(got), `seed ${seed}, start ${start}, ${n} words`).toEqual(
            Array.from(reference(seed, start, n)),
          );
        }
      }
    }
  });

  it('computes the high word of 32x32 products exactly', () => {
    for (const [a, b] of [
      [0xffffffff, 0xffffffff],
      [0xd2511f53, 0x12345678],
      [1, 0xffffffff],
      [0x80000000, 2],
    ]) {
      expect(mulHi32(a, b)).toBe(Number((BigInt(a) * BigInt(b)) >> 32n));
    }
  });

  it('maps element e to word e mod 4 of counter e / 4, at any start', () => {
    const all = new Uint32Array(11);
    philoxStream(42, all);
    const block = new Uint32Array(4);
    philox4x32(2, 0, 0, 0, 42, 0, block);
    expect(Array.from(all.subarray(8, 11))).toEqual(Array.from(block.subarray(0, 3)));
    const tail = new Uint32Array(5);
    philoxStream(42, tail, 6);
    expect(Array.from(tail)).toEqual(Array.from(all.subarray(6, 11)));
    const bigSeed = new Uint32Array(1);
    philoxStream(2 ** 40 + 7, bigSeed);
    philox4x32(0, 0, 0, 0, 7, 2 ** 8, block);
    expect(bigSeed[0]).toBe(block[0]);
  });

  it('gives uniforms in [0, 1) with the right moments, and standard normals', () => {
    expect(uniformFromWord(0)).toBe(0);
    expect(uniformFromWord(0xffffffff)).toBe(1 - 2 ** -24);
    const n = 100_000;
    const u = new Float32Array(n);
    fillUniform(u, 7);
    let mean = 0;
    for (const x of u) mean += x / n;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005);
    const z = new Float32Array(n);
    fillNormal(z, 7, 0, 1);
    let m1 = 0;
    let m2 = 0;
    for (const x of z) {
      m1 += x / n;
      m2 += (x * x) / n;
    }
    expect(Math.abs(m1)).toBeLessThan(0.02);
    expect(Math.abs(m2 - 1)).toBeLessThan(0.02);
    const other = new Float32Array(4);
    fillUniform(other, 8);
    expect(Array.from(other)).not.toEqual(Array.from(u.subarray(0, 4)));
  });

  it('fills from a start in the stream with the values of the whole stream there', () => {
    const whole = new Float32Array(1003);
    fillNormal(whole, 11, 0.5, 2);
    const wholeU = new Float32Array(1003);
    fillUniform(wholeU, 11, -1, 3);
    for (const start of [0, 2, 4, 402, 1000]) {
      for (const n of [1, 3, whole.length - start]) {
        const part = new Float32Array(n);
        fillNormal(part, 11, 0.5, 2, start);
        expect(Array.from(part), `normal from ${start}, ${n}`).toEqual(Array.from(whole.subarray(start, start + n)));
        const partU = new Float32Array(Math.min(n, wholeU.length - start - 1));
        fillUniform(partU, 11, -1, 3, start + 1);
        expect(Array.from(partU), `uniform from ${start + 1}`).toEqual(
          Array.from(wholeU.subarray(start + 1, start + 1 + partU.length)),
        );
      }
    }
    expect(() => fillNormal(new Float32Array(2), 11, 0, 1, 3)).toThrow(/start must be even.*got 3/);
  });
});
