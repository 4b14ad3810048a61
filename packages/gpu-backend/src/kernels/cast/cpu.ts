import { DTYPES } from '../../dtype.js';
import { float32ArrayToBfloat16, float32ArrayToFloat16, floatToInt32 } from '../../dtype-convert.js';
import { implement } from '../../registry.js';
import { cast } from './contract.js';
import { assertInputCount, kernelError } from '../../shape.js';
import { floatInput, output, rawInput } from '../../cpu/host.js';

/**
 * Convert between storage types through float32: to float16/bfloat16 rounds
 * to nearest even; float to int32 truncates toward zero (saturating, NaN -> 0).
 */
const castKernel = implement(cast, 'cpu', ({ inputs, attrs, backend }) => {
  assertInputCount('cast', inputs, 1);
  const [xInfo] = inputs;
  const to = attrs.dtype;
  if (!DTYPES.includes(to))
    throw kernelError('cast', `attrs.dtype must be one of ${DTYPES.join(', ')}, got '${String(to)}'`);
  const from = xInfo.storage.dtype;
  const out = output(backend, xInfo.shape, to);
  if (from === to) {
    out.data.set(rawInput(backend, xInfo, 'cast'));
    return out.info;
  }
  if (from === 'int32' && to === 'float32') {
    out.data.set(rawInput(backend, xInfo, 'cast'));
    return out.info;
  }
  const x = floatInput(backend, xInfo, 'cast');
  switch (to) {
    case 'float32':
      out.data.set(x);
      break;
    case 'float16':
      float32ArrayToFloat16(x, out.data as Uint16Array);
      break;
    case 'bfloat16':
      float32ArrayToBfloat16(x, out.data as Uint16Array);
      break;
    case 'int32': {
      const y = out.data as Int32Array;
      for (let i = 0; i < x.length; i++) y[i] = floatToInt32(x[i]);
      break;
    }
  }
  return out.info;
});

/** The cpu implementations of this folder's kernels. */
export const implementations = [castKernel];
