import { afterAll, expect, it } from 'vitest';
import { setBackend, tensor } from '@molrl/tensor';
import { fusedMolLoss } from './fused-mol-loss.js';
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

async function run(): Promise<number[]> {
  const hidden = tensor(hid, undefined, { requiresGrad: true });
  const out = fusedMolLoss({ hidden, baseHidden: tensor(hidBase), lmHeadWeight: tensor(W), targets, labels, vocabChunk: 4, rowChunk: 2 });
  out.loss.backward();
  return [await out.loss.item(), await out.ce.item(), await out.kl.item(), ...(await hidden.grad!.data())];
}

it('gives the same loss and gradients on the gpujs backend as on cpu', async () => {
  await setBackend('cpu');
  const onCpu = await run();
  // gpu.js in its plain-JavaScript mode: every kernel goes through the gpujs backend's own code.
  await setBackend('gpujs', { mode: 'cpu' });
  const onGpujs = await run();
  expect(onGpujs).toHaveLength(onCpu.length);
  onGpujs.forEach((x, i) => expect(Math.abs(x - onCpu[i]!)).toBeLessThan(1e-4));
});
