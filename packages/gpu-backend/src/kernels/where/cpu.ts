import { implement } from '../../registry.js';
import { where } from './contract.js';
import { assertInputCount, broadcastShapes } from '../../shape.js';
import { forEachBroadcastRow } from '../../cpu/broadcast.js';
import { floatInput, writtenFloatOutput } from '../../cpu/host.js';

/** cond ? a : b with all three broadcast; cond is true where nonzero (NaN counts as true, as in C). */
const whereKernel = implement(where, 'cpu', ({ inputs, backend }) => {
  assertInputCount('where', inputs, 3);
  const [condInfo, aInfo, bInfo] = inputs;
  const outShape = broadcastShapes('where', condInfo.shape, aInfo.shape, bInfo.shape);
  const out = writtenFloatOutput(backend, outShape);
  const cond = floatInput(backend, condInfo, 'where');
  const a = floatInput(backend, aInfo, 'where');
  const b = floatInput(backend, bInfo, 'where');
  const y = out.data;
  forEachBroadcastRow(outShape, [condInfo.shape, aInfo.shape, bInfo.shape], (offsets, o, n, inner) => {
    let ci = offsets[0];
    let ai = offsets[1];
    let bi = offsets[2];
    const [cs, as, bs] = inner;
    for (let i = 0; i < n; i++, ci += cs, ai += as, bi += bs) y[o + i] = cond[ci] !== 0 ? a[ai] : b[bi];
  });
  return out.info;
});

/** The cpu implementations of this folder's kernels. */
export const implementations = [whereKernel];
