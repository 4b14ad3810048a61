import { readFileSync } from 'node:fs';
import { describe, it } from 'vitest';
import { expectClose, runCpu } from '../../cpu/cpu.test-util.js';

// Produced by torch-reference.py beside this file (torch.nn.functional.gelu(x, approximate='tanh') and its backward).
const ref = JSON.parse(readFileSync(new URL('./fixtures/torch-reference.json', import.meta.url), 'utf8')) as {
  x: number[];
  y: number[];
  dy: number[];
  dx: number[];
};

describe('gelu on cpu against PyTorch', () => {
  it("computes gelu like F.gelu(x, approximate='tanh')", async () => {
    const [y] = await runCpu('gelu', [{ data: ref.x, shape: [ref.x.length] }]);
    expectClose(y.data, ref.y, 1e-6, 1e-5);
  });

  it('computes its gradient like autograd does', async () => {
    const n = ref.x.length;
    const [dx] = await runCpu('geluGrad', [
      { data: ref.dy, shape: [n] },
      { data: ref.x, shape: [n] },
    ]);
    expectClose(dx.data, ref.dx, 1e-6, 1e-5);
  });
});
