/** Rotary-embedding host math shared by the backends. */

/** inv_freq as transformers computes it: 1 / theta ** (arange(0, D, 2) / D), all in float32. */
export function ropeInverseFrequencies(theta: number, d: number): Float32Array {
  const half = d / 2;
  const inv = new Float32Array(half);
  for (let i = 0; i < half; i++) {
    const exponent = Math.fround((2 * i) / d);
    inv[i] = 1 / Math.fround(Math.pow(theta, exponent));
  }
  return inv;
}
