/**
 * Exact rationals over BigInt for the grader: a value is `n / d` with d > 0,
 * not necessarily in lowest terms (reducing costs a gcd per operation; equality
 * and ordering cross-multiply instead). Every operation is charged to a
 * `WorkBudget` and refuses results wider than `MAX_BITS`, so the cost of a
 * comparison is bounded by the budget, not by the numbers an answer names.
 */

export interface Rational {
  n: bigint;
  d: bigint;
}

/** Widest numerator or denominator the grader computes exactly (about 2,466 decimal digits). */
export const MAX_BITS = 8192;

/** Thrown when a computation would exceed MAX_BITS ('size') or its work budget ('budget'): "cannot decide exactly". */
export class ExactLimit extends Error {
  constructor(
    readonly reason: 'size' | 'budget',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Work units spent by one comparison. A unit is one 64-bit limb product (the
 * schoolbook cost of a multiplication), and every operation costs at least
 * OPERATION_COST units for its fixed overhead, so the budget bounds time
 * whatever the expression.
 */
export class WorkBudget {
  private used = 0;
  constructor(readonly limit: number) {}
  get spent(): number {
    return this.used;
  }
  get exhausted(): boolean {
    return this.used > this.limit;
  }
  spend(units: number): void {
    this.used += units;
    if (this.used > this.limit) throw new ExactLimit('budget', `work budget of ${this.limit} units spent`);
  }
}

/** The fixed cost of one operation in limb products (allocation and bookkeeping weigh about this much). */
export const OPERATION_COST = 64;

export function bitLength(x: bigint): number {
  if (x < 0n) x = -x;
  if (x === 0n) return 0;
  // toString(16) is linear in the size; 4 bits per hex digit, corrected for the leading digit.
  const hex = x.toString(16);
  return (hex.length - 1) * 4 + Math.floor(Math.log2(parseInt(hex[0]!, 16))) + 1;
}

const LIMB_LIMIT = Math.ceil(MAX_BITS / 64) * 2 + 2;
const LIMB_POWERS = Array.from({ length: LIMB_LIMIT + 1 }, (_, k) => 1n << BigInt(64 * k));

/** 64-bit limbs of x (at least 1), by binary search over powers of 2^64: comparisons, no string conversion. */
function limbs(x: bigint): number {
  if (x < 0n) x = -x;
  let lo = 1;
  let hi = LIMB_LIMIT;
  if (x >= LIMB_POWERS[hi]!) return hi + 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x < LIMB_POWERS[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

const LIMIT = 1n << BigInt(MAX_BITS);

function checked(n: bigint, d: bigint): Rational {
  if (n >= LIMIT || n <= -LIMIT || d >= LIMIT || d <= -LIMIT)
    throw new ExactLimit('size', `a value wider than ${MAX_BITS} bits`);
  return d < 0n ? { n: -n, d: -d } : { n, d };
}

export const rational = (n: bigint, d = 1n): Rational => checked(n, d);

export function isInteger(x: Rational): boolean {
  return x.n % x.d === 0n;
}

export function add(a: Rational, b: Rational, w: WorkBudget): Rational {
  w.spend(OPERATION_COST + limbs(a.n) * limbs(b.d) + limbs(b.n) * limbs(a.d) + limbs(a.d) * limbs(b.d));
  if (a.d === b.d) return checked(a.n + b.n, a.d);
  return checked(a.n * b.d + b.n * a.d, a.d * b.d);
}

export const negate = (a: Rational): Rational => ({ n: -a.n, d: a.d });

export function multiply(a: Rational, b: Rational, w: WorkBudget): Rational {
  w.spend(OPERATION_COST + limbs(a.n) * limbs(b.n) + limbs(a.d) * limbs(b.d));
  return checked(a.n * b.n, a.d * b.d);
}

/** a / b; null when b is zero. */
export function divide(a: Rational, b: Rational, w: WorkBudget): Rational | null {
  if (b.n === 0n) return null;
  w.spend(OPERATION_COST + limbs(a.n) * limbs(b.d) + limbs(a.d) * limbs(b.n));
  return checked(a.n * b.d, a.d * b.n);
}

/** Sign of a - b. */
export function compare(a: Rational, b: Rational, w: WorkBudget): number {
  w.spend(OPERATION_COST + limbs(a.n) * limbs(b.d) + limbs(b.n) * limbs(a.d));
  const l = a.n * b.d;
  const r = b.n * a.d;
  return l < r ? -1 : l > r ? 1 : 0;
}

export const abs = (a: Rational): Rational => (a.n < 0n ? negate(a) : a);

export function floor(a: Rational, w: WorkBudget): Rational {
  // Division costs about twice a multiplication of the same sizes.
  w.spend(OPERATION_COST + 2 * limbs(a.n) * limbs(a.d));
  const q = a.n / a.d;
  // BigInt division truncates toward zero.
  return { n: a.n < 0n && q * a.d !== a.n ? q - 1n : q, d: 1n };
}

export function ceil(a: Rational, w: WorkBudget): Rational {
  return negate(floor(negate(a), w));
}

/** a ** e for an integer exponent; null for 0 to a negative power. */
export function power(a: Rational, e: bigint, w: WorkBudget): Rational | null {
  if (e < 0n) {
    if (a.n === 0n) return null;
    return power({ n: a.d, d: a.n }, -e, w);
  }
  if (e === 0n) return { n: 1n, d: 1n };
  // 0, 1 and -1 stay small under any exponent.
  if (a.d === 1n && (a.n === 0n || a.n === 1n || a.n === -1n))
    return { n: a.n === -1n && e % 2n === 0n ? 1n : a.n, d: 1n };
  const width = Math.max(bitLength(a.n), bitLength(a.d));
  // |a| != 1: the result has at least (width - 1) * e bits on one side; refuse before computing.
  if (e > BigInt(MAX_BITS) || (width - 1) * Number(e) > MAX_BITS)
    throw new ExactLimit('size', `a power wider than ${MAX_BITS} bits`);
  let result: Rational = { n: 1n, d: 1n };
  let base = a;
  for (let k = e; k > 0n; k >>= 1n) {
    if (k & 1n) result = multiply(result, base, w);
    if (k > 1n) base = multiply(base, base, w);
  }
  return result;
}

/** The integer k-th root of x >= 0 when x is a perfect k-th power, else null. */
export function exactRoot(x: bigint, k: number, w: WorkBudget): bigint | null {
  if (x < 0n || k < 1) return null;
  if (x < 2n || k === 1) return x;
  const bits = bitLength(x);
  if (k >= bits) return null; // 1 < root < 2
  // Newton's iteration from above: r' = ((k-1) r + x / r^(k-1)) / k.
  const K = BigInt(k);
  let r = 1n << BigInt(Math.ceil(bits / k));
  for (;;) {
    const rk1 = power({ n: r, d: 1n }, K - 1n, w)!.n;
    w.spend(OPERATION_COST + 2 * limbs(x) * limbs(rk1));
    const next = ((K - 1n) * r + x / rk1) / K;
    if (next >= r) break;
    r = next;
  }
  return power({ n: r, d: 1n }, K, w)!.n === x ? r : null;
}

/** The k-th root of a rational when numerator and denominator are perfect k-th powers. */
export function rationalRoot(a: Rational, k: number, w: WorkBudget): Rational | null {
  const negative = a.n < 0n;
  if (negative && k % 2 === 0) return null;
  const n = exactRoot(negative ? -a.n : a.n, k, w);
  const d = n === null ? null : exactRoot(a.d, k, w);
  if (n === null || d === null) return null;
  return { n: negative ? -n : n, d };
}

export function gcd(a: bigint, b: bigint, w: WorkBudget): bigint {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b !== 0n) {
    w.spend(OPERATION_COST + 2 * limbs(a) * limbs(b));
    [a, b] = [b, a % b];
  }
  return a;
}

/** A decimal numeral ("12", "3.50", ".25", "1e-5", "2.5E+3") exactly; null when it is not one. */
export function parseDecimal(text: string): Rational | null {
  const m = /^(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m || (m[1] === '' && (m[2] ?? '') === '')) return null;
  const digits = (m[1] ?? '') + (m[2] ?? '');
  const exponent = Number(m[3] ?? '0') - (m[2] ?? '').length;
  // A numeral is short (the answer length is capped), but its exponent need not be: refuse 1e99999 before building 10^99999.
  if (!Number.isSafeInteger(exponent) || Math.abs(exponent) * 3.33 > MAX_BITS) return null;
  const n = BigInt(digits === '' ? '0' : digits);
  const scale = 10n ** BigInt(Math.abs(exponent));
  try {
    return exponent >= 0 ? checked(n * scale, 1n) : checked(n, scale);
  } catch {
    return null;
  }
}

/** A finite double exactly (every double is a dyadic rational). */
export function fromDouble(x: number): Rational | null {
  if (!Number.isFinite(x)) return null;
  if (Number.isInteger(x)) return { n: BigInt(x), d: 1n };
  let d = 1n;
  let v = x;
  // Doubling is exact; at most 1074 steps reach an integer.
  while (!Number.isInteger(v)) {
    v *= 2;
    d *= 2n;
  }
  return { n: BigInt(v), d };
}
