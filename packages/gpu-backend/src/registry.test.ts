import { describe, expect, it } from 'vitest';
import { attr } from './contract/attr-types.js';
import { defineKernel } from './contract/kernel-contract.js';
import { createCpuBackend } from './cpu/index.js';
import {
  declareUnsupported,
  getKernel,
  getKernelContract,
  hasKernel,
  implement,
  listKernels,
  registerKernel,
  registerKernels,
  unregisterKernel,
} from './registry.js';
import { runByName } from './run-by-name.js';

const exp = getKernelContract('exp')!;

const scale = defineKernel({
  name: 'registryTestScale',
  doc: 'x * factor',
  inputs: [{ name: 'x' }],
  attrs: { factor: attr.number },
  outputs: [{ name: 'out' }],
});

describe('kernel registry', () => {
  it('registers, lists and looks up kernels per backend, with their contract', () => {
    const run = () => undefined;
    registerKernel(implement(scale, 'test-registry', run));
    expect(getKernel('registryTestScale', 'test-registry')).toBe(run);
    expect(hasKernel('registryTestScale', 'test-registry')).toBe(true);
    expect(listKernels('test-registry')).toEqual(['registryTestScale']);
    expect(getKernelContract('registryTestScale')).toBe(scale);
    expect(() => registerKernel(implement(scale, 'test-registry', run))).toThrow(
      "kernel 'registryTestScale' is already registered for backend 'test-registry'; pass { replace: true } to replace it",
    );
    const other = () => undefined;
    registerKernel(implement(scale, 'test-registry', other), { replace: true });
    expect(getKernel('registryTestScale', 'test-registry')).toBe(other);
    unregisterKernel('registryTestScale', 'test-registry');
    expect(hasKernel('registryTestScale', 'test-registry')).toBe(false);
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

  it('refuses to let a kernel of the same name silently shadow one of the library', () => {
    const mine = implement(exp, 'cpu', () => undefined);
    expect(() => registerKernels([mine])).toThrow(
      "kernel 'exp' is a kernel of the library, which implements it on backend 'cpu'; pass { replace: true } to use yours instead",
    );
    const lookalike = defineKernel({ name: 'exp', doc: 'e^x', inputs: [{ name: 'x' }], attrs: {}, outputs: [] });
    expect(() => registerKernels([implement(lookalike, 'elsewhere', () => undefined)])).toThrow(
      /kernel 'exp' is already defined by the library with another contract/,
    );
    // A batch with one bad registration registers nothing.
    expect(() => registerKernels([implement(scale, 'test-batch', () => undefined), mine])).toThrow(/library/);
    expect(hasKernel('registryTestScale', 'test-batch')).toBe(false);
  });

  it('keeps an explicit replacement of a library kernel when the library registers its own', async () => {
    let calls = 0;
    registerKernels(
      [
        implement(exp, 'cpu', (args) => {
          calls++;
          return getKernel('square', 'cpu')(args);
        }),
      ],
      { replace: true },
    );
    try {
      const cpu = await createCpuBackend();
      const x = cpu.upload(new Float32Array([3]), 'float32');
      const [y] = cpu.run('exp', [{ storage: x, shape: [1], dtype: 'float32' }]);
      expect(Array.from(cpu.readSync(y.storage))).toEqual([9]);
      expect(calls).toBe(1);
    } finally {
      unregisterKernel('exp', 'cpu');
      const { registerCpuKernels } = await import('./cpu/register.js');
      registerCpuKernels();
    }
  });

  it('checks every call against the contract at run time, naming the kernel and the attribute', async () => {
    const cpu = await createCpuBackend();
    const x = { storage: cpu.upload(new Float32Array([1, 2]), 'float32'), shape: [2], dtype: 'float32' as const };
    expect(() => runByName(cpu, 'sum', [x], { axes: [0], keepdims: true })).toThrow(
      "sum: unknown attribute 'keepdims' (its attributes are axes, keepDims)",
    );
    expect(() => runByName(cpu, 'rmsNorm', [x, x], { eps: '1e-6' })).toThrow(
      "rmsNorm: attrs.eps must be a number, got '1e-6' (a string)",
    );
    expect(() => runByName(cpu, 'rmsNorm', [x, x], {})).toThrow('rmsNorm: attrs.eps is required (a number)');
    expect(() => runByName(cpu, 'add', [x], {})).toThrow('add: expected 2 inputs (a, b), got 1');
    expect(() => runByName(cpu, 'exp', [x], { axis: 0 })).toThrow(
      "exp: unknown attribute 'axis' (it takes no attributes)",
    );
    expect(() => runByName(cpu, 'gatherRows', [x, x])).toThrow(
      'gatherRows: input 1 (indices) must be int32, got float32',
    );
    expect(() => runByName(cpu, 'sum', [x], { axes: [0], constructor: 1 })).toThrow(/unknown attribute 'constructor'/);
    cpu.release(x.storage);
  });
});
