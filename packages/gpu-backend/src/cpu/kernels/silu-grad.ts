import type { KernelArgs } from '../../backend.js';
import type { KernelConfig } from '../../registry.js';
import { assertInputCount, assertSameShape } from '../../shape.js';
import { floatInput, floatOutput } from '../host.js';
import { sigmoid } from './unary.js';

/** d/dx x*sigmoid(x) = s * (1 + x * (1 - s)). */
export const siluGradKernel: KernelConfig = {
  name: 'siluGrad',
  backend: 'cpu',
  kernel: ({ inputs, backend }: KernelArgs) => {
    assertInputCount('siluGrad', inputs, 2);
    const [dyInfo, xInfo] = inputs;
    assertSameShape('siluGrad', ['dy', 'x'], [dyInfo.shape, xInfo.shape]);
    const dy = floatInput(backend, dyInfo, 'siluGrad');
    const x = floatInput(backend, xInfo, 'siluGrad');
    const out = floatOutput(backend, xInfo.shape);
    const dx = out.data;
    for (let i = 0; i < x.length; i++) {
      const s = sigmoid(x[i]);
      dx[i] = dy[i] * s * (1 + x[i] * (1 - s));
    }
    return out.info;
  },
};
