import type { KernelFunc } from '../backend.js';
import { registerKernelTable } from '../registry.js';
import { adamw } from './kernels/adamw.js';
import { argmax } from './kernels/argmax.js';
import { attention, attentionGrad } from './kernels/attention.js';
import { binaryKernels } from './kernels/binary.js';
import { cast, concat, copy, fill } from './kernels/data-movement.js';
import { gatherRows, putAlongAxis, scatterAddRows, takeAlongAxis } from './kernels/indexing.js';
import { matmul } from './kernels/matmul.js';
import { randomNormal, randomUniform } from './kernels/random.js';
import { max, mean, sum } from './kernels/reduce.js';
import { rmsNorm, rmsNormGrad } from './kernels/rms-norm.js';
import { rope } from './kernels/rope.js';
import { scalarOp } from './kernels/scalar-op.js';
import { siluGrad } from './kernels/silu-grad.js';
import { slice, sliceGrad } from './kernels/slice.js';
import { logSoftmax, logSoftmaxGrad, logSumExp, softmax, softmaxGrad } from './kernels/softmax.js';
import { transpose } from './kernels/transpose.js';
import { unaryKernels } from './kernels/unary.js';
import { where } from './kernels/where.js';

/** Every gpujs kernel, by contract name. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a table of kernels with different attrs types
export const GPUJS_KERNELS: Readonly<Record<string, KernelFunc<any>>> = {
  ...binaryKernels,
  ...unaryKernels,
  scalarOp,
  siluGrad,
  matmul,
  sum,
  mean,
  max,
  argmax,
  softmax,
  logSoftmax,
  logSumExp,
  softmaxGrad,
  logSoftmaxGrad,
  rmsNorm,
  rmsNormGrad,
  rope,
  attention,
  attentionGrad,
  gatherRows,
  scatterAddRows,
  takeAlongAxis,
  putAlongAxis,
  where,
  transpose,
  slice,
  sliceGrad,
  concat,
  cast,
  copy,
  fill,
  randomUniform,
  randomNormal,
  adamw,
};

registerKernelTable('gpujs', GPUJS_KERNELS);
