import { describe, expect, it } from 'vitest';
import { kernelOp, setBackend, tensor } from '@molrl/tensor';
import { hasKernel } from '@molrl/gpu-backend';
import { geluReference, registerGelu } from './gelu.js';
import { checkGelu } from './check.js';

describe('gelu kernel', () => {
  it('registers once and runs through @molrl/tensor', async () => {
    registerGelu();
    registerGelu();
    expect(hasKernel('gelu', 'cpu')).toBe(true);
    await setBackend('cpu');
    const [y] = kernelOp('gelu', [tensor(new Float32Array([-1, 0, 1]), [3])]);
    const got = Array.from(await y!.data());
    [-1, 0, 1].forEach((x, i) => expect(got[i]).toBeCloseTo(geluReference(x), 6));
    expect(geluReference(1)).toBeCloseTo(0.841192, 5); // PyTorch gelu(1, approximate='tanh')
  });

  it('passes its conformance-style check', async () => {
    registerGelu();
    const results = await checkGelu('cpu');
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(results.length).toBe(8);
  });
});
