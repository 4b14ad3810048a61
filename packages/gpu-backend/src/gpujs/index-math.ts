import type { ArgType } from './device-kernel.js';

/**
 * Source snippets for integer index arithmetic inside gpu.js kernels.
 *
 * gpu.js arrays are f32, so an integer table (strides, offsets) travels split
 * in two f32 arrays, value = hi * 4096 + lo with each part exact, and is
 * rebuilt with `intAt`: in the cpu mode (JavaScript numbers) index arithmetic
 * is then exact at any size. The webasm, webgpu and GL modes compute integer
 * values in f32 whatever their gpu.js type, so there indices are exact only
 * below 2^24; the backend refuses larger tensors in those modes.
 */
const SPLIT = 4096;

/** The two parameters of a split integer table `name`. */
export function splitParams(name: string): ReadonlyArray<readonly [string, ArgType]> {
  return [
    [`${name}Hi`, 'Array'],
    [`${name}Lo`, 'Array'],
  ];
}

/** Non-negative integers (below 2^36) as a split table; one unused slot when empty (gpu.js rejects empty arrays). */
export function splitTable(values: readonly number[]): [Float32Array, Float32Array] {
  const n = Math.max(values.length, 1);
  const hi = new Float32Array(n);
  const lo = new Float32Array(n);
  values.forEach((v, i) => {
    if (!Number.isInteger(v) || v < 0 || v >= SPLIT * 2 ** 24)
      throw new Error(`gpujs: index table value ${v} is not an integer in [0, 2^36)`);
    hi[i] = Math.floor(v / SPLIT);
    lo[i] = v % SPLIT;
  });
  return [hi, lo];
}

/** The Integer value at `index` of split table `name`. */
export function intAt(name: string, index: string): string {
  return `(Math.floor(${name}Hi[${index}]) * ${SPLIT} + Math.floor(${name}Lo[${index}]))`;
}

/**
 * Declares `quotient` = floor(numerator / denominator) for integer-valued
 * operands, corrected by one either way: f32 division (WGSL allows 2.5 ulp)
 * may round a quotient across an integer.
 */
export function divFloor(quotient: string, numerator: string, denominator: string): string {
  return [
    `let ${quotient} = Math.floor(${numerator} / ${denominator});`,
    `if (${quotient} * ${denominator} > ${numerator}) { ${quotient} = ${quotient} - 1; }`,
    `if ((${quotient} + 1) * ${denominator} <= ${numerator}) { ${quotient} = ${quotient} + 1; }`,
  ].join('\n');
}

/**
 * Declares `base` (offset of the row's first element) for thread `row` of an
 * [outer, n, inner] view: the row's elements are base + j * inner.
 */
export function rowBase(row: string, n: string, inner: string): string {
  return [
    divFloor('rowOuter', row, inner),
    `const base = rowOuter * ${n} * ${inner} + (${row} - rowOuter * ${inner});`,
  ].join('\n');
}

/** Declares `row` (index into per-row statistics) for element `idx` of an [outer, n, inner] view. */
export function elementRow(idx: string, n: string, inner: string): string {
  return [
    divFloor('elementOuter', idx, `(${n} * ${inner})`),
    divFloor('elementFlat', idx, inner),
    `const row = elementOuter * ${inner} + (${idx} - elementFlat * ${inner});`,
  ].join('\n');
}
