import { implement } from '../../registry.js';
import { rope } from './contract.js';
import { ropeAngleTable } from './math.js';
import { assertInputCount, fmt, kernelError } from '../../shape.js';
import { floatInput, intInput, writtenFloatOutput } from '../../cpu/host.js';

/**
 * Rotary embedding, Hugging Face rotate-half convention: element i pairs
 * with i + D/2, inv_freq_i = theta^(-2i/D), angle = position * inv_freq_i.
 * inv_freq, the angle, cos and sin are rounded to float32 as transformers
 * computes them in float32, so long positions agree with the PyTorch model.
 */
const ropeKernel = implement(rope, 'cpu', ({ inputs, attrs, backend }) => {
  assertInputCount('rope', inputs, 2);
  const [xInfo, posInfo] = inputs;
  if (xInfo.shape.length !== 4) throw kernelError('rope', `x must be [B, H, T, D], got ${fmt(xInfo.shape)}`);
  const [b, h, t, d] = xInfo.shape;
  if (d % 2 !== 0) throw kernelError('rope', `head dim D=${d} of x ${fmt(xInfo.shape)} must be even`);
  if (posInfo.shape.length !== 2 || posInfo.shape[0] !== b || posInfo.shape[1] !== t) {
    throw kernelError('rope', `positions ${fmt(posInfo.shape)} must be [${b}, ${t}] for x ${fmt(xInfo.shape)}`);
  }
  if (typeof attrs.theta !== 'number' || !(attrs.theta > 0))
    throw kernelError('rope', `attrs.theta must be a positive number, got ${String(attrs.theta)}`);
  const out = writtenFloatOutput(backend, xInfo.shape);
  if (out.data.length === 0) return out.info;
  const x = floatInput(backend, xInfo, 'rope');
  const positions = intInput(backend, posInfo, 'rope', 'positions');
  const y = out.data;
  const half = d / 2;
  const table = ropeAngleTable(attrs.theta, d, positions);
  const sign = attrs.inverse === true ? -1 : 1;
  const cos = new Float32Array(half);
  const sin = new Float32Array(half);
  for (let bi = 0; bi < b; bi++) {
    for (let ti = 0; ti < t; ti++) {
      table.angles(positions[bi * t + ti]!, sign, cos, sin);
      for (let hi = 0; hi < h; hi++) {
        const base = ((bi * h + hi) * t + ti) * d;
        for (let i = 0; i < half; i++) {
          const x1 = x[base + i];
          const x2 = x[base + i + half];
          y[base + i] = x1 * cos[i] - x2 * sin[i];
          y[base + i + half] = x2 * cos[i] + x1 * sin[i];
        }
      }
    }
  }
  return out.info;
});

/** The cpu implementations of this folder's kernels. */
export const implementations = [ropeKernel];
