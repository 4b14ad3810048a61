import type { KernelAttrs, TensorInfo } from '../../backend.js';
import { implement } from '../../registry.js';
import { runByName } from '../../run-by-name.js';
import { dropout } from './contract.js';
import { dropoutArgs } from './math.js';

/**
 * The composition's kernels (gpu.js draws the Philox stream on the host, see
 * its randomUniform): the uniforms, the mask, the multiply, the scale.
 */
const dropoutKernel = implement(dropout, 'gpujs', ({ inputs, attrs, backend }) => {
  dropoutArgs(inputs, attrs);
  const x = inputs[0]!;
  const run1 = (name: string, args: TensorInfo[], kernelAttrs: KernelAttrs) =>
    runByName(backend, name, args, kernelAttrs)[0]!;
  const uniform = run1('randomUniform', [], { shape: [...x.shape], seed: attrs.seed, low: 0, high: 1 });
  const keep = run1('scalarOp', [uniform], { op: 'greaterEqual', scalar: attrs.p });
  const masked = run1('mul', [x, keep], {});
  const out = run1('scalarOp', [masked], { op: 'mul', scalar: 1 / (1 - attrs.p) });
  for (const temporary of [uniform, keep, masked]) backend.release(temporary.storage);
  return out;
});

/** The gpujs implementations of this folder's kernels. */
export const implementations = [dropoutKernel];
