import { describe, expect, it } from 'vitest';
import type { KernelArgs, TensorInfo } from '../backend.js';
import { CpuBackend } from '../cpu/backend.js';
import { createCpuBackend } from '../cpu/index.js';
import { CPU_KERNELS } from '../cpu/register.js';
import { registerKernel } from '../registry.js';
import { runConformance } from './runner.js';

// A backend with planted faults: the suite must catch each of them.
class FaultyBackend extends CpuBackend {
  override readonly name = 'cpu-faulty';
}
const byName = (name: string) => CPU_KERNELS.find((k) => k.name === name)!.kernel;
registerKernel({
  name: 'exp',
  backend: 'cpu-faulty',
  kernel: (args: KernelArgs) => {
    const out = byName('exp')(args) as TensorInfo;
    const backend = args.backend as CpuBackend;
    const data = backend.dataOf(out.storage) as Float32Array;
    for (let i = 0; i < data.length; i++) data[i] *= 1 + 1e-3; // 1e-3 relative error
    return out;
  },
});
registerKernel({
  name: 'add',
  backend: 'cpu-faulty',
  kernel: (args: KernelArgs) => {
    args.backend.alloc(4, 'float32'); // a temporary it never releases
    return byName('add')(args);
  },
});
registerKernel({ name: 'sum', backend: 'cpu-faulty', kernel: (args: KernelArgs) => byName('mean')(args) });
registerKernel({ name: 'neg', backend: 'cpu-faulty', kernel: byName('neg') });

describe('runConformance', () => {
  it('passes the cpu backend against itself', async () => {
    const cpu = await createCpuBackend();
    const results = await runConformance(cpu, cpu, { kernels: ['matmul', 'attention', 'adamw', 'cast'] });
    expect(results.filter((r) => r.status !== 'pass')).toEqual([]);
    expect(results.length).toBeGreaterThan(20);
  });

  it('catches wrong values, leaked storages, wrong kernels and missing kernels', async () => {
    const faulty = new FaultyBackend();
    const cpu = await createCpuBackend();
    const results = await runConformance(faulty, cpu, { kernels: ['exp', 'add', 'sum', 'neg', 'relu'] });
    const failures = (kernel: string) => results.filter((r) => r.kernel === kernel && r.status === 'fail');
    expect(
      failures('exp')
        .map((r) => r.detail)
        .join(),
    ).toMatch(/elements differ/);
    expect(
      failures('add')
        .map((r) => r.detail)
        .join(),
    ).toMatch(/1 storages leaked/);
    expect(failures('sum').length).toBeGreaterThan(0);
    expect(failures('neg')).toEqual([]);
    expect(
      failures('relu')
        .map((r) => r.detail)
        .join(),
    ).toMatch(/kernel 'relu' is not registered for backend 'cpu-faulty'/);
  });
});
