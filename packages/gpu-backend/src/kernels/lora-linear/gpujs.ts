import type { TensorInfo } from '../../backend.js';
import { implement } from '../../registry.js';
import { runOneByName } from '../../run-by-name.js';
import { loraLinear } from './contract.js';
import { adapterInput } from './adapter-input.js';
import { loraLinearDims } from './math.js';

/**
 * The unfused layer's kernels in order (three products, the scale, the add):
 * gpu.js has no launch cost worth fusing away, and this keeps its bits.
 */
const loraLinearKernel = implement(loraLinear, 'gpujs', ({ inputs, attrs, backend }) => {
  loraLinearDims(inputs, attrs);
  const [x, weight, a, b] = inputs as [TensorInfo, TensorInfo, TensorInfo, TensorInfo];
  const base = runOneByName(backend, 'matmul', [x, weight], { transposeB: true });
  const dropped = adapterInput(backend, x, attrs);
  const down = runOneByName(backend, 'matmul', [dropped, a], { transposeB: true });
  if (dropped !== x) backend.release(dropped.storage);
  const up = runOneByName(backend, 'matmul', [down, b], { transposeB: true });
  const scaled = runOneByName(backend, 'scalarOp', [up], { op: 'mul', scalar: attrs.scaling });
  const out = runOneByName(backend, 'add', [base, scaled]);
  for (const temporary of [base, down, up, scaled]) backend.release(temporary.storage);
  return out;
});

/** The gpujs implementations of this folder's kernels. */
export const implementations = [loraLinearKernel];
