import type { TensorInfo } from '../../backend.js';
import { floatInput, writtenFloatOutput } from '../../cpu/host.js';
import { scaleAdd } from '../../cpu/scale-add.js';
import { implement } from '../../registry.js';
import { matmulKernel } from '../matmul/cpu.js';
import { loraLinear } from './contract.js';
import { adapterInput } from './adapter-input.js';
import { loraLinearDims } from './math.js';

/**
 * The three products by the matmul kernel (its dot products read a
 * half-precision weight as stored; the adapter's input dropped first when
 * dropout is on), then the scale and the add in one pass (`scaleAdd`: on the
 * native addon where it runs), each rounded to float32 as the scalarOp and add
 * kernels round them: the
 * bits of the unfused layer, with one kernel call and output instead of six.
 */
const loraLinearKernel = implement(loraLinear, 'cpu', ({ inputs, attrs, backend }) => {
  const { m, n } = loraLinearDims(inputs, attrs);
  const [x, weight, a, b] = inputs as [TensorInfo, TensorInfo, TensorInfo, TensorInfo];
  const out = writtenFloatOutput(backend, [m, n]);
  if (m * n === 0) return out.info;
  const product = (p: TensorInfo, q: TensorInfo) =>
    matmulKernel.run({ inputs: [p, q], attrs: { transposeB: true }, backend }) as TensorInfo;
  const base = product(x, weight); // [M, N]
  const dropped = adapterInput(backend, x, attrs);
  const down = product(dropped, a); // [M, R]
  if (dropped !== x) backend.release(dropped.storage);
  const up = product(down, b); // [M, N]
  const y = floatInput(backend, base, 'loraLinear');
  const u = floatInput(backend, up, 'loraLinear');
  scaleAdd(y, u, out.data, attrs.scaling);
  for (const temporary of [base, down, up]) backend.release(temporary.storage);
  return out.info;
});

/** The cpu implementations of this folder's kernels. */
export const implementations = [loraLinearKernel];
