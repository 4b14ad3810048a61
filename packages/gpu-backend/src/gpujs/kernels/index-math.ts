/**
 * Source snippets for integer index arithmetic inside gpu.js kernels. gpu.js
 * arrays are f32 and webgpu's f32 division may be off by ulps, so a quotient
 * is floored and then corrected by one in either direction: exact for every
 * index below 2^24.
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
  return [divFloor('rowOuter', row, inner), `const base = rowOuter * ${n} * ${inner} + (${row} - rowOuter * ${inner});`].join('\n');
}

/** Declares `row` (index into per-row statistics) for element `idx` of an [outer, n, inner] view. */
export function elementRow(idx: string, n: string, inner: string): string {
  return [
    divFloor('elementOuter', idx, `(${n} * ${inner})`),
    divFloor('elementFlat', idx, inner),
    `const row = elementOuter * ${inner} + (${idx} - elementFlat * ${inner});`,
  ].join('\n');
}
