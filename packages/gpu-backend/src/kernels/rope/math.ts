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

/** Positions a table of angles covers at most (beyond, a kernel computes the angles itself). */
export const MAX_TABLE_POSITIONS = 1 << 16;

/**
 * cos and sin of every position's angles (angle = fround(position inv_freq_i),
 * both rounded to float32 as the kernels round them) for positions [0, n),
 * made once per (theta, D) and grown as larger positions come: a training
 * batch repeats the same positions in every row, and decoding asks for one
 * position per step in every layer, where Math.cos and Math.sin per token were
 * most of the cpu rope kernels' time.
 */
export class RopeAngleTable {
  private cos = new Float32Array(0);
  private sin = new Float32Array(0);
  private positions = 0;
  private readonly half: number;

  constructor(private readonly invFreq: Float32Array) {
    this.half = invFreq.length;
  }

  /** Cover positions [0, upTo) (at most MAX_TABLE_POSITIONS), doubling as it grows. */
  cover(upTo: number): void {
    const wanted = Math.min(upTo, MAX_TABLE_POSITIONS);
    if (wanted <= this.positions) return;
    const positions = Math.min(MAX_TABLE_POSITIONS, Math.max(wanted, 2 * this.positions, 64));
    const half = this.half;
    const cos = new Float32Array(positions * half);
    const sin = new Float32Array(positions * half);
    cos.set(this.cos);
    sin.set(this.sin);
    for (let p = this.positions; p < positions; p++) this.compute(p, 1, cos, sin, p * half);
    this.cos = cos;
    this.sin = sin;
    this.positions = positions;
  }

  /** Where position `pos`'s D/2 values start in `cosValues` and `sinValues`; -1 where the table does not cover it. */
  offsetOf(pos: number): number {
    return pos >= 0 && pos < this.positions ? pos * this.half : -1;
  }

  /** The table's cos values, position by position (replaced when it grows: read it after `cover`). */
  get cosValues(): Float32Array {
    return this.cos;
  }

  /** The table's sin values, as `cosValues`. */
  get sinValues(): Float32Array {
    return this.sin;
  }

  /** `cos` and `sign` times `sin` (length D/2) of position `pos`: from the table where it covers pos. */
  angles(pos: number, sign: number, cos: Float32Array, sin: Float32Array): void {
    const half = this.half;
    if (pos >= 0 && pos < this.positions) {
      const at = pos * half;
      for (let i = 0; i < half; i++) {
        cos[i] = this.cos[at + i]!;
        sin[i] = sign * this.sin[at + i]!;
      }
      return;
    }
    this.compute(pos, sign, cos, sin, 0);
  }

  /** Position `pos`'s cos and sign * sin into cos/sin from index `at`, each rounded to float32. */
  private compute(pos: number, sign: number, cos: Float32Array, sin: Float32Array, at: number): void {
    for (let i = 0; i < this.half; i++) {
      const angle = Math.fround(pos * this.invFreq[i]!);
      cos[at + i] = Math.cos(angle);
      sin[at + i] = sign * Math.fround(Math.sin(angle));
    }
  }
}

const angleTables = new Map<string, RopeAngleTable>();

/** The table of (theta, D), covering at least the largest of `positions` (int32) where it can. */
export function ropeAngleTable(theta: number, d: number, positions: Int32Array): RopeAngleTable {
  const key = `${theta}:${d}`;
  let table = angleTables.get(key);
  if (!table) angleTables.set(key, (table = new RopeAngleTable(ropeInverseFrequencies(theta, d))));
  let largest = -1;
  for (let i = 0; i < positions.length; i++) if (positions[i]! > largest) largest = positions[i]!;
  table.cover(largest + 1);
  return table;
}
