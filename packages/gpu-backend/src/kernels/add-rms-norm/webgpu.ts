import { implement } from '../../registry.js';
import { assertDType } from '../../shape.js';
import { buf, gpu, output } from '../../webgpu/kernel-util.js';
import { operandFormat } from '../../webgpu/operand.js';
import { grid } from '../../webgpu/program.js';
import { RMS_NORM } from '../rms-norm/webgpu.js';
import { addRmsNorm } from './contract.js';
import { addRmsNormDims } from './math.js';

const addRmsNormKernel = implement(addRmsNorm, 'webgpu', ({ inputs, attrs, backend }) => {
  const b = gpu(backend);
  const [x, update, w] = inputs;
  assertDType('addRmsNorm', 'x', x, 'float32');
  assertDType('addRmsNorm', 'update', update, 'float32');
  const wFormat = operandFormat(b, w, 'addRmsNorm', 'weight');
  const { rows, d: D } = addRmsNormDims(x, update, w, attrs);
  const sum = output(b, x.shape);
  const normed = output(b, x.shape);
  if (rows === 0) return [sum, normed];
  b.dispatch({
    shader: RMS_NORM,
    params: { w: wFormat, residual: true },
    uniforms: { D, eps: attrs.eps },
    buffers: [
      buf(x, 'addRmsNorm', 'x'),
      buf(update, 'addRmsNorm', 'update'),
      buf(w, 'addRmsNorm', 'weight'),
      buf(sum, 'addRmsNorm', 'sum'),
      buf(normed, 'addRmsNorm', 'normed'),
    ],
    workgroups: grid(rows),
  });
  return [sum, normed];
});

/** The webgpu implementations of this folder's kernels. */
export const implementations = [addRmsNormKernel];
