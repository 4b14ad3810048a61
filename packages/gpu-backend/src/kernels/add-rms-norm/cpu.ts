import { implement } from '../../registry.js';
import { floatInput, writtenFloatOutput } from '../../cpu/host.js';
import { scaleAdd } from '../../cpu/scale-add.js';
import { rmsNormContiguousRows } from '../rms-norm/cpu.js';
import { addRmsNorm } from './contract.js';
import { addRmsNormDims } from './math.js';

/**
 * sum = x + update (rounded to float32 as the add kernel rounds it), then the
 * rmsNorm kernel's own row code on the sum: the same bits as add then rmsNorm.
 */
const addRmsNormKernel = implement(addRmsNorm, 'cpu', ({ inputs, attrs, backend }) => {
  const [xInfo, uInfo, wInfo] = inputs;
  const { rows, d } = addRmsNormDims(xInfo, uInfo, wInfo, attrs);
  const x = floatInput(backend, xInfo, 'addRmsNorm');
  const u = floatInput(backend, uInfo, 'addRmsNorm');
  const w = floatInput(backend, wInfo, 'addRmsNorm');
  const sum = writtenFloatOutput(backend, xInfo.shape);
  const normed = writtenFloatOutput(backend, xInfo.shape);
  const s = sum.data;
  const n = rows * d;
  // x + update * 1: the add's bits (on the native addon where it runs, at the speed of memory).
  scaleAdd(x.subarray(0, n), u.subarray(0, n), s, 1);
  if (rows > 0) rmsNormContiguousRows(s, w, normed.data, rows, d, attrs.eps);
  return [sum.info, normed.info];
});

/** The cpu implementations of this folder's kernels. */
export const implementations = [addRmsNormKernel];
