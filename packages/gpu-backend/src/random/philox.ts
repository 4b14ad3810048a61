/**
 * Counter-based random numbers: Philox4x32-10 (Salmon et al., "Parallel
 * random numbers: as easy as 1, 2, 3", SC'11), the generator of cuRAND and
 * PyTorch's CUDA RNG. Every backend maps (seed, element index) to the same
 * numbers, so a GPU kernel reproduces the CPU stream without shared state.
 *
 * The mapping, exactly (a GPU backend must follow it):
 *  - key = (seed mod 2^32, floor(seed / 2^32)) for an integer seed in [0, 2^53).
 *  - Element e uses counter (floor(e / 4) mod 2^32, floor(e / 2^34), 0, 0) and
 *    takes word e mod 4 of the Philox4x32-10 output block.
 *  - uniform: u = (word >>> 8) * 2^-24, exact in float32, in [0, 1);
 *    value = fround(low + fround(fround(high - low) * u)), in float32 arithmetic.
 *  - normal: elements 2p and 2p + 1 form one Box-Muller pair from the uniforms
 *    u1 = 1 - u(2p) in (0, 1] and u2 = u(2p + 1):
 *    r = sqrt(-2 ln u1), z(2p) = r cos(2 pi u2), z(2p + 1) = r sin(2 pi u2);
 *    value = mean + std * z. The u32 words and uniforms are bit-identical
 *    across backends; normals agree to float32 transcendental accuracy.
 */

import { GROUP_WORDS, philoxGroups } from './philox-wasm.js';

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** High 32 bits of the 64-bit product of two uint32. */
export function mulHi32(a: number, b: number): number {
  const aLo = a & 0xffff;
  const aHi = a >>> 16;
  const bLo = b & 0xffff;
  const bHi = b >>> 16;
  const loLo = aLo * bLo;
  const hiLo = aHi * bLo;
  const loHi = aLo * bHi;
  const cross = (loLo >>> 16) + (hiLo & 0xffff) + loHi;
  return (aHi * bHi + (hiLo >>> 16) + Math.floor(cross / 65536)) >>> 0;
}

/** Philox4x32 with 10 rounds: counter (c0..c3), key (k0, k1) -> 4 words written to out[0..3]. */
export function philox4x32(
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  k0: number,
  k1: number,
  out: Uint32Array,
  outOffset = 0,
): void {
  c0 >>>= 0;
  c1 >>>= 0;
  c2 >>>= 0;
  c3 >>>= 0;
  k0 >>>= 0;
  k1 >>>= 0;
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      k0 = (k0 + W0) >>> 0;
      k1 = (k1 + W1) >>> 0;
    }
    const hi0 = mulHi32(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulHi32(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
  }
  out[outOffset] = c0;
  out[outOffset + 1] = c1;
  out[outOffset + 2] = c2;
  out[outOffset + 3] = c3;
}

export function assertSeed(kernel: string, seed: unknown): asserts seed is number {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) {
    throw new Error(`${kernel}: attrs.seed must be an integer in [0, 2^53), got ${String(seed)}`);
  }
}

/** The Philox key of a seed in [0, 2^53): (seed mod 2^32, floor(seed / 2^32)). */
export function philoxKey(seed: number): [k0: number, k1: number] {
  return [seed >>> 0, Math.floor(seed / 4294967296) >>> 0];
}

/**
 * Fill `out` with the raw u32 stream of `seed` starting at element `start`.
 * Whole groups of four blocks go to the WebAssembly SIMD version
 * (philox-wasm.ts, the same words); a partial block at either end, and
 * counters past 2^32, to philox4x32.
 */
export function philoxStream(seed: number, out: Uint32Array, start = 0): void {
  const [k0, k1] = philoxKey(seed);
  const block = new Uint32Array(4);
  let e = start;
  const end = start + out.length;
  const scalarUntil = (until: number) => {
    while (e < until) {
      const counter = Math.floor(e / 4);
      philox4x32(counter >>> 0, Math.floor(counter / 4294967296) >>> 0, 0, 0, k0, k1, block);
      for (let w = e % 4; w < 4 && e < until; w++, e++) out[e - start] = block[w];
    }
  };
  scalarUntil(Math.min(end, Math.ceil(start / 4) * 4));
  const firstBlock = e / 4;
  const groups = Math.floor((end - e) / GROUP_WORDS);
  if (groups > 0 && firstBlock + 4 * groups <= 2 ** 32 && philoxGroups(out, e - start, groups, firstBlock, k0, k1)) {
    e += groups * GROUP_WORDS;
  }
  scalarUntil(end);
}

/** The uniform in [0, 1) of one stream word: 24 random bits, exact in float32. */
export function uniformFromWord(word: number): number {
  return (word >>> 8) * 5.9604644775390625e-8; // 2^-24
}

/** out[i] = the uniform of element start + i of the stream of `seed`, scaled to [low, high). */
export function fillUniform(out: Float32Array, seed: number, low = 0, high = 1, start = 0): void {
  const words = new Uint32Array(out.length);
  philoxStream(seed, words, start);
  const range = Math.fround(Math.fround(high) - Math.fround(low));
  const lo = Math.fround(low);
  for (let i = 0; i < out.length; i++) out[i] = lo + Math.fround(range * uniformFromWord(words[i]));
}

/**
 * out[i] = mean + std * z(start + i) with z the Box-Muller normals of the stream of `seed`;
 * `start` must be even, so that the pairs are the stream's.
 */
export function fillNormal(out: Float32Array, seed: number, mean = 0, std = 1, start = 0): void {
  if (start % 2 !== 0)
    throw new Error(`fillNormal: start must be even (a Box-Muller pair's first element), got ${start}`);
  const n = out.length;
  const words = new Uint32Array(n + (n % 2));
  philoxStream(seed, words, start);
  for (let p = 0; 2 * p < n; p++) {
    const u1 = 1 - uniformFromWord(words[2 * p]);
    const u2 = uniformFromWord(words[2 * p + 1]);
    const r = Math.sqrt(-2 * Math.log(u1));
    const angle = 2 * Math.PI * u2;
    out[2 * p] = mean + std * r * Math.cos(angle);
    if (2 * p + 1 < n) out[2 * p + 1] = mean + std * r * Math.sin(angle);
  }
}
