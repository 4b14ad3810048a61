import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { setBackend, tensor } from '@molrl/tensor';
import { groupAdvantages, grpoLoss } from './index.js';

describe('README example', () => {
  it('is the code below, and runs', async () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(
      "const { loss, metrics } = grpoLoss({ logps, oldLogps, advantages, mask, lossType: 'dr_grpo', epsilonHigh: 0.28 });",
    );
    await setBackend('cpu');
    const advantages = groupAdvantages([1, 0.4, 0.1, 0], 4, { scale: 'none' });
    const logps = tensor(
      [
        [-1.2, -0.3, -2.0],
        [-0.8, -0.9, -0.1],
        [-2.2, -1.0, -0.5],
        [-0.4, -0.7, -1.1],
      ],
      undefined,
      { requiresGrad: true },
    );
    const oldLogps = tensor([
      [-1.0, -0.5, -2.1],
      [-0.8, -1.4, -0.1],
      [-2.0, -1.0, -0.6],
      [-0.4, -0.2, -1.0],
    ]);
    const mask = [
      [1, 1, 1],
      [1, 1, 0],
      [1, 0, 0],
      [1, 1, 1],
    ];
    const { loss, metrics } = grpoLoss({ logps, oldLogps, advantages, mask, lossType: 'dr_grpo', epsilonHigh: 0.28 });
    loss.backward();
    expect(Number.isFinite(await loss.item())).toBe(true);
    // Row 1 token 1: ratio exp(0.5) > 1.28 with a positive advantage; row 3 token 1: exp(-0.5) < 0.8, negative advantage.
    expect(metrics['clip_ratio/region_mean']).toBeCloseTo(2 / 9, 6);
    expect((await logps.grad!.data()).length).toBe(12);
  });
});
