import { floatInput, floatOutput } from '../../cpu/host.js';
import { implement } from '../../registry.js';
import { assertSameShape } from '../../shape.js';
import { gelu, GELU_C, GELU_K, geluGrad } from './contract.js';

/** tanh(sqrt(2/pi) (x + 0.044715 x^3)) in float64 (Math.tanh saturates to +-1, so no overflow). */
function geluTanh(x: number): number {
  return Math.tanh(GELU_C * (x + GELU_K * x * x * x));
}

const geluKernel = implement(gelu, 'cpu', ({ inputs, backend }) => {
  const x = floatInput(backend, inputs[0], 'gelu');
  const out = floatOutput(backend, inputs[0].shape);
  const y = out.data;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    y[i] = 0.5 * v * (1 + geluTanh(v));
  }
  return out.info;
});

const geluGradKernel = implement(geluGrad, 'cpu', ({ inputs, backend }) => {
  const [dyInfo, xInfo] = inputs;
  assertSameShape('geluGrad', ['dy', 'x'], [dyInfo.shape, xInfo.shape]);
  const dy = floatInput(backend, dyInfo, 'geluGrad');
  const x = floatInput(backend, xInfo, 'geluGrad');
  const out = floatOutput(backend, xInfo.shape);
  const dx = out.data;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    const t = geluTanh(v);
    // The second term is 0 once the tanh saturates: skipping it there keeps x^2 (inf for huge x) times 0 out.
    const slope = 1 - t * t === 0 ? 0 : 0.5 * v * (1 - t * t) * GELU_C * (1 + 3 * GELU_K * v * v);
    dx[i] = dy[i] * (0.5 * (1 + t) + slope);
  }
  return out.info;
});

/** The cpu implementations of this folder's kernels. */
export const implementations = [geluKernel, geluGradKernel];
