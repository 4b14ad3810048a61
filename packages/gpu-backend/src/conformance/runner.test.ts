import { describe, expect, it } from 'vitest';
import type { KernelArgs, TensorInfo } from '../backend.js';
import { CpuBackend } from '../cpu/backend.js';
import { createCpuBackend } from '../cpu/index.js';
import { CPU_KERNELS } from '../cpu/register.js';
import { implement, registerKernels, type KernelImplementation } from '../registry.js';
import { runConformance } from './runner.js';
import type { KernelConformance } from './types.js';

// A backend with planted faults: the suite must catch each of them.
class FaultyBackend extends CpuBackend {
  override readonly name = 'cpu-faulty';
}
const cpuKernel = (name: string): KernelImplementation => CPU_KERNELS.find((k) => k.contract.name === name)!;
const reference = (name: string) => (args: KernelArgs) => cpuKernel(name).run(args);
const planted = (name: string, run: (args: KernelArgs) => ReturnType<KernelImplementation['run']>) =>
  implement(cpuKernel(name).contract, 'cpu-faulty', run);

registerKernels([
  planted('exp', (args) => {
    const out = reference('exp')(args) as TensorInfo;
    const data = (args.backend as CpuBackend).dataOf(out.storage) as Float32Array;
    for (let i = 0; i < data.length; i++) data[i] *= 1 + 1e-3; // 1e-3 relative error
    return out;
  }),
  planted('add', (args) => {
    args.backend.alloc(4, 'float32'); // a temporary it never releases
    return reference('add')(args);
  }),
  planted('sum', reference('mean')),
  planted('neg', reference('neg')),
  // Right values, but one element written past the end of the output, through its buffer.
  planted('abs', (args) => {
    const out = reference('abs')(args) as TensorInfo;
    const data = (args.backend as CpuBackend).dataOf(out.storage) as Float32Array;
    new Float32Array(data.buffer, data.byteOffset, data.length + 1)[data.length] = 0;
    return out;
  }),
  // Right results, but a bad call refused in another format than the reference's.
  planted('slice', (args) => {
    try {
      return reference('slice')(args);
    } catch (error) {
      throw new Error(`kernel 'slice': ${(error as Error).message}`, { cause: error });
    }
  }),
  // A kernel that returns one output more than its contract declares.
  planted('square', (args) => [reference('square')(args) as TensorInfo, reference('square')(args) as TensorInfo]),
]);

describe('runConformance', () => {
  it('passes the cpu backend against itself', async () => {
    const cpu = await createCpuBackend();
    const results = await runConformance(cpu, cpu, { kernels: ['matmul', 'attention', 'adamw', 'cast'] });
    expect(results.filter((r) => r.status !== 'pass')).toEqual([]);
    expect(results.length).toBeGreaterThan(20);
  });

  it('catches wrong values, leaks, wrong kernels, missing kernels, writes out of bounds, extra outputs and errors in another format', async () => {
    const faulty = new FaultyBackend();
    const cpu = await createCpuBackend();
    const results = await runConformance(faulty, cpu, {
      kernels: ['exp', 'add', 'sum', 'neg', 'relu', 'abs', 'square', 'slice'],
    });
    const failures = (kernel: string) =>
      results
        .filter((r) => r.kernel === kernel && r.status === 'fail')
        .map((r) => r.detail)
        .join();
    expect(failures('exp')).toMatch(/elements differ/);
    expect(failures('add')).toMatch(/1 storages leaked/);
    expect(failures('sum')).not.toBe('');
    expect(failures('neg')).toBe('');
    expect(failures('relu')).toMatch(/kernel 'relu' is not registered for backend 'cpu-faulty'/);
    expect(failures('abs')).toMatch(
      /a write out of bounds: output 0: 1 of 64 guard elements after the data were overwritten \(the first, element 0 of the region, holds 0x00000000\)/,
    );
    expect(failures('square')).toMatch(/2 outputs, the contract declares 1/);
    expect(failures('slice')).toMatch(
      /the error reads 'kernel 'slice': slice: begin \[2\] size \[3\] is out of bounds.*', 'cpu' says 'slice: begin/,
    );
  });

  it('refuses a kernel whose conformance has no tolerance, instead of using a default', async () => {
    const cpu = await createCpuBackend();
    const withoutTolerance = {
      contract: cpuKernel('neg').contract,
      cases: [{ name: '[3]', inputs: [{ shape: [3] }] }],
    } as unknown as KernelConformance;
    const results = await runConformance(cpu, cpu, { kernels: ['neg'], conformance: [withoutTolerance] });
    expect(results.map((r) => r.detail)).toEqual([expect.stringMatching(/kernel 'neg' has no tolerance entry/)]);
  });
});
