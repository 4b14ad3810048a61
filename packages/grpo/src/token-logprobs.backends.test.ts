import { afterAll, expect, it } from 'vitest';
import { setBackend, sum, mul, tensor } from '@molrl/tensor';
import { tokenLogProbs } from './token-logprobs.js';

afterAll(async () => {
  await setBackend('cpu');
});

const hid = Array.from({ length: 6 }, (_, i) => Array.from({ length: 4 }, (_, j) => Math.sin(3 * i + j + 1)));
const W = Array.from({ length: 13 }, (_, v) => Array.from({ length: 4 }, (_, j) => Math.cos(2 * v - j)));
const targets = [0, 12, 4, 7, 7, 3];
const upstream = [0.5, -1, 2, 0.25, -0.75, 1.5];

async function run(): Promise<number[]> {
  const hidden = tensor(hid, undefined, { requiresGrad: true });
  const weight = tensor(W, undefined, { requiresGrad: true });
  const { logps, entropy } = tokenLogProbs(hidden, weight, targets, {
    temperature: 0.8,
    vocabChunk: 4,
    rowChunk: 4,
    entropy: true,
  });
  sum(mul(logps, tensor(upstream))).backward();
  return [
    ...(await logps.data()),
    ...(await entropy!.data()),
    ...(await hidden.grad!.data()),
    ...(await weight.grad!.data()),
  ];
}

it('gives the same log-probs, entropies and gradients on the gpujs backend as on cpu', async () => {
  await setBackend('cpu');
  const onCpu = await run();
  // gpu.js in its plain-JavaScript mode: every kernel goes through the gpujs backend's own code.
  await setBackend('gpujs', { mode: 'cpu' });
  const onGpujs = await run();
  expect(onGpujs).toHaveLength(onCpu.length);
  onGpujs.forEach((x, i) => expect(Math.abs(x - onCpu[i]!)).toBeLessThan(1e-4));
});
