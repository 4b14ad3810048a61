import { implement } from '../../registry.js';
import { runOneByName } from '../../run-by-name.js';
import { dropout } from './contract.js';
import { dropoutArgs } from './math.js';

/**
 * The composition's kernels (gpu.js draws the Philox stream on the host, see
 * its randomUniform): the uniforms, the mask, the multiply, the scale.
 */
const dropoutKernel = implement(dropout, 'gpujs', ({ inputs, attrs, backend }) => {
  dropoutArgs(inputs, attrs);
  const x = inputs[0]!;
  const uniform = runOneByName(backend, 'randomUniform', [], {
    shape: [...x.shape],
    seed: attrs.seed,
    low: 0,
    high: 1,
  });
  const keep = runOneByName(backend, 'scalarOp', [uniform], { op: 'greaterEqual', scalar: attrs.p });
  const masked = runOneByName(backend, 'mul', [x, keep]);
  const out = runOneByName(backend, 'scalarOp', [masked], { op: 'mul', scalar: 1 / (1 - attrs.p) });
  for (const temporary of [uniform, keep, masked]) backend.release(temporary.storage);
  return out;
});

/** The gpujs implementations of this folder's kernels. */
export const implementations = [dropoutKernel];
