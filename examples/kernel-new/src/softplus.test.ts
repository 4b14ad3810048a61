import { describe, expect, it } from 'vitest';
import { kernelOp, setBackend, tensor } from '@molrl/tensor';
import { getKernelContract, hasKernel, implement, registerKernels } from '@molrl/gpu-backend';
import { registerSoftplus, softplusReference } from './softplus.js';
import { checkSoftplus } from './check.js';

describe('softplus kernel', () => {
  it('registers once and runs through @molrl/tensor', async () => {
    registerSoftplus();
    registerSoftplus();
    expect(hasKernel('softplus', 'cpu')).toBe(true);
    await setBackend('cpu');
    const [y] = kernelOp('softplus', [tensor(new Float32Array([-1, 0, 1]), [3])]);
    const got = Array.from(await y!.data());
    [-1, 0, 1].forEach((x, i) => expect(got[i]).toBeCloseTo(softplusReference(x), 6));
    expect(softplusReference(1)).toBeCloseTo(1.3132617, 6); // torch.nn.functional.softplus(torch.tensor(1.))
  });

  it('passes its check: the conformance suite and the float64 formula', async () => {
    registerSoftplus();
    const results = await checkSoftplus('cpu');
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(results.length).toBe(10);
  });

  it('cannot silently shadow a kernel of the library', () => {
    const exp = getKernelContract('exp')!;
    expect(() => registerKernels([implement(exp, 'cpu', () => undefined)])).toThrow(
      /kernel 'exp' is (a kernel of|already registered for backend 'cpu' by) the library.*pass \{ replace: true \}/,
    );
  });
});
