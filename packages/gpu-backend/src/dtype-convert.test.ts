import { describe, expect, it } from 'vitest';
import {
  bfloat16BitsToFloat32,
  float16ArrayToFloat32,
  float16BitsToFloat32,
  float32ArrayToFloat16,
  float32Bits,
  float32FromBits,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
} from './dtype-convert.js';
import * as conversions from './dtype-convert.js';
import * as entry from './index.js';

describe('float16 conversion', () => {
  it('rounds edge values bit-exactly', () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [65504, 0x7bff], // largest half
      [65519.99, 0x7bff], // just below the rounding midpoint to Inf
      [65520, 0x7c00], // midpoint: ties to even = Inf
      [1e6, 0x7c00],
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // half of it: ties to even = 0
      [float32FromBits(float32Bits(2 ** -25) + 1), 0x0001], // just above the midpoint
      [3 * 2 ** -25, 0x0002], // 1.5 subnormal steps: ties to even = 2
      [1023 * 2 ** -24 + 2 ** -25, 0x0400], // midpoint between largest subnormal and smallest normal
      [1 + 2 ** -11, 0x3c00], // tie, even stays
      [1 + 3 * 2 ** -11, 0x3c02], // tie, odd rounds up
      [0.1, 0x2e66],
      [1e-10, 0x0000],
    ];
    for (const [value, bits] of cases) expect([value, float32ToFloat16Bits(value)]).toEqual([value, bits]);
    expect(float32ToFloat16Bits(NaN) & 0x7e00).toBe(0x7e00);
    expect(Number.isNaN(float16BitsToFloat32(0x7e00))).toBe(true);
    expect(float16BitsToFloat32(0xfc00)).toBe(-Infinity);
    expect(Object.is(float16BitsToFloat32(0x8000), -0)).toBe(true);
  });

  it('round-trips every half and rounds every midpoint to even', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const widened = float16ArrayToFloat32(all);
    const back = float32ArrayToFloat16(widened);
    for (let h = 0; h < 65536; h++) {
      const isNaN = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
      if (isNaN) expect(Number.isNaN(widened[h])).toBe(true);
      else expect(back[h]).toBe(h);
    }
    // Midpoints between consecutive positive finite halves (exact in float32).
    for (let h = 0; h < 0x7bff; h++) {
      const mid = (widened[h] + widened[h + 1]) / 2;
      expect(float32ToFloat16Bits(mid)).toBe(h % 2 === 0 ? h : h + 1);
    }
  });
});

describe('bfloat16 conversion', () => {
  it('rounds edge values bit-exactly', () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3f80],
      [0.1, 0x3dcd],
      [float32FromBits(0x3f808000), 0x3f80], // tie, even stays
      [float32FromBits(0x3f818000), 0x3f82], // tie, odd rounds up
      [float32FromBits(0x3f808001), 0x3f81],
      [float32FromBits(0x7f7fffff), 0x7f80], // max float rounds to Inf
      [Infinity, 0x7f80],
      [-Infinity, 0xff80],
      [float32FromBits(0x00000001), 0x0000], // smallest subnormal rounds to 0
      [float32FromBits(0x00008000), 0x0000], // tie to even
      [float32FromBits(0x00018000), 0x0002],
    ];
    for (const [value, bits] of cases) expect([value, float32ToBfloat16Bits(value)]).toEqual([value, bits]);
    const nan = float32ToBfloat16Bits(float32FromBits(0x7f800001)); // signalling NaN whose payload is all below bit 16
    expect(Number.isNaN(bfloat16BitsToFloat32(nan))).toBe(true);
    expect(bfloat16BitsToFloat32(0x3f80)).toBe(1);
    expect(bfloat16BitsToFloat32(0xc0490fdb >>> 16)).toBe(-3.140625);
  });
});

describe('the package entry', () => {
  it('exports every conversion (the README lists them as the package API)', () => {
    for (const name of Object.keys(conversions)) expect(entry, name).toHaveProperty(name, conversions[name as never]);
  });
});
