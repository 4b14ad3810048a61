import { describe, expect, it } from 'vitest';
import { AdamW, Linear, crossEntropy, setBackend, tensor, tidy } from './index.js';

describe('README example', () => {
  it('runs as written and the loss falls', async () => {
    await setBackend('cpu');
    const model = new Linear(4, 3, { seed: 0, bias: true });
    const opt = new AdamW(model, { lr: 0.05, weightDecay: 0 });
    const x = tensor([
      [1, 0, 0, 1],
      [0, 1, 1, 0],
    ]);
    const y = tensor(Int32Array.from([2, 0]), [2]);
    const losses: number[] = [];
    for (let step = 0; step < 50; step++) {
      const loss = tidy(() => crossEntropy(model.forward(x), y));
      loss.backward();
      opt.step();
      opt.zeroGrad();
      losses.push(await loss.item());
      loss.dispose();
    }
    expect(losses[49]!).toBeLessThan(losses[0]! * 0.2);
  });
});
