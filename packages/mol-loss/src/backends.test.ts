import { afterAll, expect, it } from 'vitest';
import { setBackend, tensor } from '@molrl/tensor';
import { fusedMolLoss } from './fused-mol-loss.js';
import { baseDistribution } from './base-distribution.js';
import type { TokenLabel } from './row-plan.js';
import { randomMatrix } from './reference.test-util.js';

afterAll(async () => {
  await setBackend('cpu');
});

const labels: TokenLabel[] = ['prompt', 'decision', 'feedback', 'decision', 'feedback', 'glue', 'decision'];
const targets = [0, 3, 5, 7, 9, 1, 2];
const hid = randomMatrix(7, 5, 11);
const hidBase = randomMatrix(7, 5, 12);
const W = randomMatrix(19, 5, 13);

/** The loss with the base given as hidden states, or (`precomputed`) as its distribution from `baseDistribution`. */
async function run(precomputed = false): Promise<number[]> {
  const hidden = tensor(hid, undefined, { requiresGrad: true });
  const lmHeadWeight = tensor(W);
  const base = precomputed
    ? { baseDistribution: baseDistribution({ baseHidden: tensor(hidBase), lmHeadWeight, vocabChunk: 4 }) }
    : { baseHidden: tensor(hidBase) };
  const out = fusedMolLoss({ hidden, ...base, lmHeadWeight, targets, labels, vocabChunk: 4, rowChunk: 2 });
  out.loss.backward();
  return [await out.loss.item(), await out.ce.item(), await out.kl.item(), ...(await hidden.grad!.data())];
}

it('gives the same loss and gradients on the gpujs backend as on cpu', async () => {
  await setBackend('cpu');
  const onCpu = [await run(), await run(true)];
  // gpu.js in its plain-JavaScript mode: every kernel goes through the gpujs backend's own code.
  await setBackend('gpujs', { mode: 'cpu' });
  const onGpujs = [await run(), await run(true)];
  for (const [k, values] of onGpujs.entries()) {
    expect(values).toHaveLength(onCpu[k]!.length);
    values.forEach((x, i) => expect(Math.abs(x - onCpu[k]![i]!)).toBeLessThan(1e-4));
  }
  // The precomputed base gives the numbers of the base's hidden states.
  onCpu[1]!.forEach((x, i) => expect(Math.abs(x - onCpu[0]![i]!)).toBeLessThan(1e-5));
});
