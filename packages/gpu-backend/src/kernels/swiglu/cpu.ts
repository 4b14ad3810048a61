import { implement } from '../../registry.js';
import { swiglu, swigluGrad } from './contract.js';
import { assertInputCount, assertSameShape } from '../../shape.js';
import { floatInput, writtenFloatOutput } from '../../cpu/host.js';
import { simdRows } from '../../cpu/simd/simd.js';

/** Elements per pass through the SIMD memory: the chunk's inputs and outputs stay in L1/L2. */
const CHUNK = 4096;

/**
 * y = gate * sigmoid(gate) * up: one read of each input, one write, no
 * silu(gate) temporary; computed in WebAssembly SIMD a chunk at a time.
 */
const swigluKernel = implement(swiglu, 'cpu', ({ inputs, backend }) => {
  assertInputCount('swiglu', inputs, 2);
  const [gateInfo, upInfo] = inputs;
  assertSameShape('swiglu', ['gate', 'up'], [gateInfo.shape, upInfo.shape]);
  const gate = floatInput(backend, gateInfo, 'swiglu');
  const up = floatInput(backend, upInfo, 'swiglu');
  const out = writtenFloatOutput(backend, gateInfo.shape);
  const y = out.data;
  const simd = simdRows();
  const [g, u, o] = [0, 1, 2].map((i) => simd.reserve(3 * CHUNK) + i * CHUNK);
  const mem = simd.f32;
  for (let start = 0; start < y.length; start += CHUNK) {
    const n = Math.min(CHUNK, y.length - start);
    mem.set(gate.subarray(start, start + n), g);
    mem.set(up.subarray(start, start + n), u);
    simd.kernels.swiglu(g * 4, u * 4, o * 4, n);
    y.set(mem.subarray(o, o + n), start);
  }
  return out.info;
});

/**
 * With s = sigmoid(gate): dgate = dy up s (1 + gate (1 - s)), dup = dy gate s;
 * the sigmoid is taken once for both, in WebAssembly SIMD a chunk at a time.
 */
const swigluGradKernel = implement(swigluGrad, 'cpu', ({ inputs, backend }) => {
  assertInputCount('swigluGrad', inputs, 3);
  const [dyInfo, gateInfo, upInfo] = inputs;
  assertSameShape('swigluGrad', ['dy', 'gate', 'up'], [dyInfo.shape, gateInfo.shape, upInfo.shape]);
  const dy = floatInput(backend, dyInfo, 'swigluGrad');
  const gate = floatInput(backend, gateInfo, 'swigluGrad');
  const up = floatInput(backend, upInfo, 'swigluGrad');
  const dgateOut = writtenFloatOutput(backend, dyInfo.shape);
  const dupOut = writtenFloatOutput(backend, dyInfo.shape);
  const dgate = dgateOut.data;
  const dup = dupOut.data;
  const simd = simdRows();
  const [d, g, u, dg, du] = [0, 1, 2, 3, 4].map((i) => simd.reserve(5 * CHUNK) + i * CHUNK);
  const mem = simd.f32;
  for (let start = 0; start < dgate.length; start += CHUNK) {
    const n = Math.min(CHUNK, dgate.length - start);
    mem.set(dy.subarray(start, start + n), d);
    mem.set(gate.subarray(start, start + n), g);
    mem.set(up.subarray(start, start + n), u);
    simd.kernels.swiglu_grad(d * 4, g * 4, u * 4, dg * 4, du * 4, n);
    dgate.set(mem.subarray(dg, dg + n), start);
    dup.set(mem.subarray(du, du + n), start);
  }
  return [dgateOut.info, dupOut.info];
});

/** The cpu implementations of this folder's kernels. */
export const implementations = [swigluKernel, swigluGradKernel];
