/**
 * Gradient check against central finite differences. The op under test runs
 * in float32 on the backend; the scalar it is projected to (sum of the
 * output times fixed random weights) and the differences are formed in
 * float64 on the host. Exported for the packages built on this one.
 */
import { noGrad } from '../engine.js';
import { tensor } from '../ops/creation.js';
import { mul } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { tidy } from '../scope.js';
import { Tensor } from '../tensor.js';
import { fmt } from '../shape.js';

export interface GradcheckOptions {
  /** Finite-difference step (default 1e-3; float32 forward, so not much smaller). */
  eps?: number;
  /** Absolute tolerance (default 2e-3). */
  atol?: number;
  /** Relative tolerance (default 2e-2). */
  rtol?: number;
  /** Which inputs to check (default: every float32 input). */
  wrt?: number[];
  /** Seed of the random projection of the output to a scalar. */
  seed?: number;
  /** Throw a descriptive error on mismatch (default true); otherwise only report. */
  throwOnFailure?: boolean;
  /** Name used in the error message. */
  name?: string;
  /**
   * Check at most this many elements per input (evenly spaced, first and last
   * included), for inputs too large to perturb one by one. Default: all.
   */
  maxElementsPerInput?: number;
}

export interface GradcheckMismatch {
  input: number;
  index: number;
  analytic: number;
  numeric: number;
}

export interface GradcheckResult {
  ok: boolean;
  maxAbsError: number;
  /** Elements checked. */
  checked: number;
  /** The worst mismatches (at most 10). */
  mismatches: GradcheckMismatch[];
}

/**
 * Check d(sum(fn(...inputs) * w))/d(inputs) from backward() against central
 * differences, for random fixed weights w. `inputs` are only read (their
 * values and shapes); int32 inputs (indices) are passed through unchanged.
 */
export async function gradcheck(
  fn: (...inputs: Tensor[]) => Tensor,
  inputs: Tensor[],
  options: GradcheckOptions = {},
): Promise<GradcheckResult> {
  const eps = options.eps ?? 1e-3;
  const atol = options.atol ?? 2e-3;
  const rtol = options.rtol ?? 2e-2;
  const wrt = options.wrt ?? inputs.map((t, i) => (t.dtype === 'float32' ? i : -1)).filter((i) => i >= 0);
  const host = await Promise.all(inputs.map((t) => (t.dtype === 'int32' ? t.intData() : t.data())));

  const makeInputs = (perturb?: { input: number; index: number; delta: number }, grad = false): Tensor[] =>
    inputs.map((t, i) => {
      if (t.dtype === 'int32') return tensor(host[i]!, t.shape, { dtype: 'int32' });
      let values = host[i] as Float32Array;
      if (perturb && perturb.input === i) {
        values = values.slice();
        values[perturb.index] = values[perturb.index]! + perturb.delta;
      }
      return tensor(values, t.shape, { requiresGrad: grad && wrt.includes(i) });
    });

  // The projection weights, fixed for the whole check.
  const probe = noGrad(() => tidy(() => fn(...makeInputs())));
  const outShape = probe.shape;
  probe.dispose();
  const weights = new Float64Array(probe.size);
  let state = (options.seed ?? 1234) >>> 0;
  for (let i = 0; i < weights.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    weights[i] = (state / 2 ** 32) * 2 - 1;
  }

  // Analytic gradients.
  const leaves = makeInputs(undefined, true);
  const loss = tidy(() => {
    const out = fn(...leaves);
    if (out.size !== weights.length)
      throw new Error(`gradcheck: fn's output shape changed between calls (${fmt(out.shape)} vs ${fmt(outShape)})`);
    return sum(mul(out, tensor(Float32Array.from(weights), out.shape)));
  });
  loss.backward();
  loss.dispose();
  const analytic: Float32Array[] = [];
  for (const i of wrt) {
    const g = leaves[i]!.grad;
    analytic[i] = g ? await g.data() : new Float32Array(leaves[i]!.size);
  }
  for (const t of leaves) {
    t.zeroGrad();
    t.dispose();
  }

  const project = async (perturb: { input: number; index: number; delta: number }): Promise<number> => {
    const out = noGrad(() =>
      tidy(() => {
        return fn(...makeInputs(perturb));
      }),
    );
    const d = await out.data();
    out.dispose();
    let s = 0;
    for (let k = 0; k < d.length; k++) s += d[k]! * weights[k]!;
    return s;
  };

  let maxAbsError = 0;
  let checked = 0;
  const mismatches: GradcheckMismatch[] = [];
  for (const i of wrt) {
    const n = inputs[i]!.size;
    const limit = options.maxElementsPerInput ?? n;
    const picks =
      limit >= n
        ? Array.from({ length: n }, (_, j) => j)
        : [...new Set(Array.from({ length: limit }, (_, k) => Math.round((k * (n - 1)) / Math.max(1, limit - 1))))];
    for (const j of picks) {
      const plus = await project({ input: i, index: j, delta: eps });
      const minus = await project({ input: i, index: j, delta: -eps });
      const numeric = (plus - minus) / (2 * eps);
      const a = analytic[i]![j]!;
      const err = Math.abs(a - numeric);
      maxAbsError = Math.max(maxAbsError, err);
      checked++;
      if (!(err <= atol + rtol * Math.abs(numeric))) mismatches.push({ input: i, index: j, analytic: a, numeric });
    }
  }
  mismatches.sort((x, y) => Math.abs(y.analytic - y.numeric) - Math.abs(x.analytic - x.numeric));
  const result: GradcheckResult = {
    ok: mismatches.length === 0,
    maxAbsError,
    checked,
    mismatches: mismatches.slice(0, 10),
  };
  if (!result.ok && options.throwOnFailure !== false) {
    const lines = result.mismatches.map(
      (m) =>
        `  input ${m.input} ${fmt(inputs[m.input]!.shape)} element ${m.index}: analytic ${m.analytic.toPrecision(6)}, numeric ${m.numeric.toPrecision(6)}`,
    );
    throw new Error(
      `gradcheck${options.name ? ` '${options.name}'` : ''}: ${mismatches.length} of ${checked} gradient elements differ (atol ${atol}, rtol ${rtol}, eps ${eps}):\n${lines.join('\n')}`,
    );
  }
  return result;
}
