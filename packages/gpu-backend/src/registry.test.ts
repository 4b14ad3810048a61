import { describe, expect, it } from 'vitest';
import { declareUnsupported, getKernel, hasKernel, listKernels, registerKernel, unregisterKernel } from './registry.js';

describe('kernel registry', () => {
  it('registers, lists and looks up kernels per backend', () => {
    const kernel = () => undefined;
    registerKernel({ name: 'exp', backend: 'test-registry', kernel });
    expect(getKernel('exp', 'test-registry')).toBe(kernel);
    expect(hasKernel('exp', 'test-registry')).toBe(true);
    expect(listKernels('test-registry')).toEqual(['exp']);
    expect(() => registerKernel({ name: 'exp', backend: 'test-registry', kernel })).toThrow(/already registered/);
    unregisterKernel('exp', 'test-registry');
    expect(hasKernel('exp', 'test-registry')).toBe(false);
  });

  it('names the kernel and backend when a kernel is missing', () => {
    expect(() => getKernel('matmul', 'test-missing')).toThrow(
      "kernel 'matmul' is not registered for backend 'test-missing'",
    );
    expect(() => getKernel('frobnicate', 'test-missing')).toThrow(/not a kernel of the contract/);
    declareUnsupported({ name: 'attention', backend: 'test-missing', reason: 'no shared memory' });
    expect(() => getKernel('attention', 'test-missing')).toThrow(
      "kernel 'attention' is not supported by backend 'test-missing': no shared memory",
    );
  });
});
