/** softmax and log-softmax along an axis, with their backward kernels. */
import { normAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { assertFloat, needsGrad, record, run1 } from './core.js';

export function softmax(x: Tensor, axis = -1): Tensor {
  assertFloat('softmax', x);
  const a = normAxis(axis, x.rank, 'softmax');
  const out = run1('softmax', 'softmax', [x], { axis: a });
  if (needsGrad(x)) {
    record('softmax', [x], [out], [out], ([dy], [y]) => [run1('softmaxGrad', 'softmaxGrad', [dy!, y!], { axis: a })]);
  }
  return out;
}

export function logSoftmax(x: Tensor, axis = -1): Tensor {
  assertFloat('logSoftmax', x);
  const a = normAxis(axis, x.rank, 'logSoftmax');
  const out = run1('logSoftmax', 'logSoftmax', [x], { axis: a });
  if (needsGrad(x)) {
    record('logSoftmax', [x], [out], [out], ([dy], [y]) => [
      run1('logSoftmaxGrad', 'logSoftmaxGrad', [dy!, y!], { axis: a }),
    ]);
  }
  return out;
}
