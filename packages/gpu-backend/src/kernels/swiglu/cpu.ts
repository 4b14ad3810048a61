import { implement } from '../../registry.js';
import { swiglu, swigluGrad } from './contract.js';
import { assertInputCount, assertSameShape } from '../../shape.js';
import { floatInput, floatOutput } from '../../cpu/host.js';
import { sigmoid } from '../unary/cpu.js';

/** y = gate * sigmoid(gate) * up: one read of each input, one write, no silu(gate) temporary. */
const swigluKernel = implement(swiglu, 'cpu', ({ inputs, backend }) => {
  assertInputCount('swiglu', inputs, 2);
  const [gateInfo, upInfo] = inputs;
  assertSameShape('swiglu', ['gate', 'up'], [gateInfo.shape, upInfo.shape]);
  const gate = floatInput(backend, gateInfo, 'swiglu');
  const up = floatInput(backend, upInfo, 'swiglu');
  const out = floatOutput(backend, gateInfo.shape);
  const y = out.data;
  for (let i = 0; i < y.length; i++) {
    const g = gate[i];
    y[i] = g * sigmoid(g) * up[i];
  }
  return out.info;
});

/** With s = sigmoid(gate): dgate = dy up s (1 + gate (1 - s)), dup = dy gate s; the sigmoid is taken once for both. */
const swigluGradKernel = implement(swigluGrad, 'cpu', ({ inputs, backend }) => {
  assertInputCount('swigluGrad', inputs, 3);
  const [dyInfo, gateInfo, upInfo] = inputs;
  assertSameShape('swigluGrad', ['dy', 'gate', 'up'], [dyInfo.shape, gateInfo.shape, upInfo.shape]);
  const dy = floatInput(backend, dyInfo, 'swigluGrad');
  const gate = floatInput(backend, gateInfo, 'swigluGrad');
  const up = floatInput(backend, upInfo, 'swigluGrad');
  const dgateOut = floatOutput(backend, dyInfo.shape);
  const dupOut = floatOutput(backend, dyInfo.shape);
  const dgate = dgateOut.data;
  const dup = dupOut.data;
  for (let i = 0; i < dgate.length; i++) {
    const g = gate[i];
    const s = sigmoid(g);
    const d = dy[i];
    dgate[i] = d * up[i] * s * (1 + g * (1 - s));
    dup[i] = d * g * s;
  }
  return [dgateOut.info, dupOut.info];
});

/** The cpu implementations of this folder's kernels. */
export const implementations = [swigluKernel, swigluGradKernel];
