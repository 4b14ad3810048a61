import type { Backend } from '../../backend.js';
import { uploadInput } from '../../conformance/host-data.js';
import { floats, indices, uniform } from '../../conformance/inputs.js';
import { ACCUMULATE } from '../../conformance/tolerances.js';
import { conformanceOf, type HostInput } from '../../conformance/types.js';
import { softmaxCrossEntropy, softmaxCrossEntropyGrad } from './contract.js';

/** [rows..., V]: odd vocabularies, a long one (a real vocabulary's scale of sums), one of one entry, none. */
const SHAPES: number[][] = [
  [5, 7],
  [2, 3, 257],
  [3, 5001],
  [4, 1],
  [1, 1],
  [0, 16],
];
const name = (shape: number[]) => `[${shape.join(', ')}]`;
const lead = (shape: number[]) => shape.slice(0, -1);
const logits = (shape: number[]) => floats(shape, uniform(-8, 8));
const targets = (shape: number[]) => indices(lead(shape), shape[shape.length - 1]);

/** The gradient's lse input, from the reference's own forward on the generated logits and targets. */
async function withLse(generated: HostInput[], reference: Backend): Promise<HostInput[]> {
  const [dnll, x, t] = generated;
  const infos = [x, t].map((h) => uploadInput(reference, h));
  const [nll, lse] = reference.run('softmaxCrossEntropy', infos);
  const lseData = (await reference.read(lse.storage)) as Float32Array;
  for (const info of [...infos, nll, lse]) reference.release(info.storage);
  return [dnll, x, t, { data: lseData, shape: [...lse.shape], dtype: 'float32' }];
}

export const conformance = [
  conformanceOf(softmaxCrossEntropy, {
    tolerance: ACCUMULATE,
    cases: SHAPES.map((shape) => ({ name: name(shape), inputs: [logits(shape), targets(shape)] })),
    errors: [
      { name: 'targets of another shape', inputs: [floats([2, 3, 4]), indices([3, 2], 4)] },
      { name: 'rank-0 logits', inputs: [floats([]), indices([], 1)] },
    ],
  }),
  conformanceOf(softmaxCrossEntropyGrad, {
    tolerance: ACCUMULATE,
    cases: SHAPES.map((shape) => ({
      name: name(shape),
      inputs: [floats(lead(shape)), logits(shape), targets(shape), floats(lead(shape))],
      prepare: withLse,
    })),
    errors: [
      {
        name: 'lse of another shape',
        inputs: [floats([2, 3]), floats([2, 3, 4]), indices([2, 3], 4), floats([3, 2])],
      },
    ],
  }),
];
