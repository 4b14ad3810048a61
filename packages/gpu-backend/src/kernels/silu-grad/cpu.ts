import { implement } from '../../registry.js';
import { siluGrad } from './contract.js';
import { assertInputCount, assertSameShape } from '../../shape.js';
import { floatInput, writtenFloatOutput } from '../../cpu/host.js';
import { sigmoid } from '../unary/cpu.js';

/** d/dx x*sigmoid(x) = s * (1 + x * (1 - s)). */
const siluGradKernel = implement(siluGrad, 'cpu', ({ inputs, backend }) => {
  assertInputCount('siluGrad', inputs, 2);
  const [dyInfo, xInfo] = inputs;
  assertSameShape('siluGrad', ['dy', 'x'], [dyInfo.shape, xInfo.shape]);
  const dy = floatInput(backend, dyInfo, 'siluGrad');
  const x = floatInput(backend, xInfo, 'siluGrad');
  const out = writtenFloatOutput(backend, xInfo.shape);
  const dx = out.data;
  for (let i = 0; i < x.length; i++) {
    const s = sigmoid(x[i]);
    dx[i] = dy[i] * s * (1 + x[i] * (1 - s));
  }
  return out.info;
});

/** The cpu implementations of this folder's kernels. */
export const implementations = [siluGradKernel];
