import { expect, it } from 'vitest';
import { molLoss } from './index.js';
import { randn, setBackend } from '@molrl/tensor';

it('the README example runs and gives what it says', async () => {
  await setBackend('cpu');
  const logits = randn([4, 10], { seed: 1, requiresGrad: true });
  const baseLogits = randn([4, 10], { seed: 2 });
  const { loss, ce, kl, counts } = molLoss({
    logits,
    baseLogits,
    targets: [3, -100, 7, 1],
    labels: ['decision', 'prompt', 'feedback', 'decision'],
  });
  loss.backward();
  expect(counts).toEqual({ decision: 2, feedback: 1, excluded: 0 });
  expect(await loss.item()).toBeCloseTo((await ce.item()) + (await kl.item()), 5);
  const grad = await logits.grad!.data();
  // The prompt row carries no loss: its gradient is exactly zero; the others are not.
  expect([...grad.slice(10, 20)].every((g) => g === 0)).toBe(true);
  expect([...grad.slice(0, 10)].some((g) => g !== 0)).toBe(true);
});
