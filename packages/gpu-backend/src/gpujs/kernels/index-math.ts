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
