/** Rotary-embedding host math shared by the backends. */

const computed = new Map<string, Float32Array>();

/**
 * inv_freq as transformers computes it: 1 / theta ** (arange(0, D, 2) / D), all in float32.
 * Computed once per (theta, D) and shared: decoding asks for it in every layer at every step.
 * Callers read it and never write it.
 */
export function ropeInverseFrequencies(theta: number, d: number): Float32Array {
  const key = `${theta}:${d}`;
  let inv = computed.get(key);
  if (!inv) {
    inv = inverseFrequencies(theta, d);
    computed.set(key, inv);
  }
  return inv;
}

function inverseFrequencies(theta: number, d: number): Float32Array {
  const half = d / 2;
  const inv = new Float32Array(half);
  for (let i = 0; i < half; i++) {
    const exponent = Math.fround((2 * i) / d);
    inv[i] = 1 / Math.fround(Math.pow(theta, exponent));
  }
  return inv;
}
