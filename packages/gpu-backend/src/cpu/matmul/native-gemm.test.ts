import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createCpuBackend } from '../index.js';
import { configureGemm, gemm, gemmImplementation, gemmReference, getGemmConfig, initGemm } from './gemm.js';
import { loadNativeGemm, nativeGemmCallCount, nativeGemmStatus, selfTest, setNativeGemmModule } from './native-gemm.js';

const REAL_MODULE = '@molrl/cpu-native/addon';

/** Where the optional package's binary would be, if the package is installed. */
function builtBinary(): string | null {
  try {
    const dir = dirname(createRequire(import.meta.url).resolve('@molrl/cpu-native/package.json'));
    const path = join(dir, 'build', 'Release', 'molrl_cpu_native.node');
    return existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

function product(): { run: () => Float32Array; expected: Float32Array } {
  const [m, n, k] = [40, 50, 60];
  const a = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i));
  const b = Float32Array.from({ length: k * n }, (_, i) => Math.cos(i));
  const expected = new Float32Array(m * n);
  const base = { a, aOffset: 0, b, bOffset: 0, cOffset: 0, m, n, k, transA: false, transB: false };
  gemmReference({ ...base, c: expected });
  return {
    run: () => {
      const c = new Float32Array(m * n);
      gemm({ ...base, c });
      return c;
    },
    expected,
  };
}

function expectClose(actual: Float32Array, expected: Float32Array): void {
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThan(1e-4);
}

// These tests are of the choice itself: they start from 'auto' whatever MOLRL_GEMM says.
beforeAll(async () => {
  await configureGemm({ implementation: 'auto' });
});

afterEach(async () => {
  setNativeGemmModule(REAL_MODULE);
  await configureGemm({ implementation: 'auto' });
});

describe('loading the native GEMM', () => {
  it('is available wherever the package is built (always in CI, which has a compiler)', () => {
    const binary = builtBinary();
    if (process.env.CI) expect(binary, '@molrl/cpu-native was not built by npm install').not.toBeNull();
    const status = nativeGemmStatus();
    expect(status.available, status.reason).toBe(binary !== null);
    if (status.available) {
      expect(['avx512f', 'avx2', 'generic']).toContain(status.isa);
      expect(gemmImplementation()).toBe('native');
    }
  });

  it('falls back to WebAssembly when the package is not installed, and says so', async () => {
    setNativeGemmModule('./fixtures/no-such-addon.cjs');
    expect(loadNativeGemm()).toBeNull();
    expect(nativeGemmStatus()).toEqual({
      available: false,
      reason: expect.stringMatching(/no-such-addon\.cjs is not installed \(an optional dependency/),
    });
    expect(gemmImplementation()).toBe('wasm');
    const before = nativeGemmCallCount();
    const { run, expected } = product();
    expectClose(run(), expected);
    expect(nativeGemmCallCount()).toBe(before);
    // Asking for it explicitly is an error that says why it is missing.
    await expect(configureGemm({ implementation: 'native' })).rejects.toThrow(
      /native GEMM was asked for \(configureGemm\) but is not available: .*not installed/,
    );
    await expect(createCpuBackend({ gemm: 'native' })).rejects.toThrow(/not available/);
  });

  it('falls back when the package is installed but its addon was never built', () => {
    setNativeGemmModule('./fixtures/unbuilt-addon.cjs');
    expect(nativeGemmStatus()).toEqual({ available: false, reason: expect.stringMatching(/is not built/) });
    expect(gemmImplementation()).toBe('wasm');
  });

  it('rejects an addon whose self-test disagrees with the reference', () => {
    setNativeGemmModule('./fixtures/wrong-addon.cjs');
    expect(nativeGemmStatus()).toEqual({
      available: false,
      reason: expect.stringMatching(/^its self-test failed: sgemm m=1 n=1 k=1 .*C\[0\] is 0, the reference/),
    });
    const { run, expected } = product();
    expectClose(run(), expected);
  });

  it.skipIf(!builtBinary())('rejects an addon whose matrix-vector kernel disagrees with the reference', () => {
    setNativeGemmModule('./fixtures/wrong-gemv-addon.cjs');
    expect(nativeGemmStatus()).toEqual({
      available: false,
      reason: expect.stringMatching(/^its self-test failed: gemv m=1 n=1 k=1 .*C\[0\] is 0, the reference/),
    });
    expect(gemmImplementation()).toBe('wasm');
  });

  it.skipIf(!builtBinary())('rejects an addon whose matrix-vector kernel is wrong only for B stored [k, n]', () => {
    setNativeGemmModule('./fixtures/wrong-gemv-kn-addon.cjs');
    expect(nativeGemmStatus()).toEqual({
      available: false,
      reason: expect.stringMatching(/^its self-test failed: gemv m=1 n=1 k=1 transA=false transB=false .*C\[0\] is 0/),
    });
    expect(gemmImplementation()).toBe('wasm');
  });

  it.skipIf(!builtBinary())('passes its self-test, and runs products when chosen', async () => {
    const addon = loadNativeGemm()!;
    expect(selfTest(addon)).toBeNull();
    await configureGemm({ implementation: 'native' });
    const before = nativeGemmCallCount();
    const { run, expected } = product();
    expectClose(run(), expected);
    expect(nativeGemmCallCount()).toBe(before + 1);
    await configureGemm({ implementation: 'wasm' });
    expect(gemmImplementation()).toBe('wasm');
    expectClose(run(), expected);
    expect(nativeGemmCallCount()).toBe(before + 1);
    await initGemm();
  });
});

describe('choosing the GEMM', () => {
  it('names a bad choice in configureGemm and in the backend options', async () => {
    await expect(configureGemm({ implementation: 'blas' as 'wasm' })).rejects.toThrow(
      /implementation must be 'auto', 'native' or 'wasm', got 'blas'/,
    );
    await expect(createCpuBackend({ gemm: 'fast' as 'wasm' })).rejects.toThrow(
      /options\.gemm must be 'auto', 'native' or 'wasm', got fast/,
    );
  });

  it('reads MOLRL_GEMM when the module loads and names a bad value when first used', async () => {
    const saved = process.env.MOLRL_GEMM;
    try {
      for (const [value, expected] of [
        ['wasm', 'wasm'],
        ['auto', builtBinary() ? 'native' : 'wasm'],
      ] as const) {
        process.env.MOLRL_GEMM = value;
        vi.resetModules();
        const fresh = await import('./gemm.js');
        expect(fresh.getGemmConfig().implementation).toBe(value);
        expect(fresh.gemmImplementation()).toBe(expected);
      }
      process.env.MOLRL_GEMM = 'openblas';
      vi.resetModules();
      const fresh = await import('./gemm.js');
      expect(() => fresh.gemmImplementation()).toThrow(/MOLRL_GEMM must be 'auto', 'native' or 'wasm', got 'openblas'/);
      // configureGemm overrides the environment.
      await fresh.configureGemm({ implementation: 'wasm' });
      expect(fresh.gemmImplementation()).toBe('wasm');
    } finally {
      if (saved === undefined) delete process.env.MOLRL_GEMM;
      else process.env.MOLRL_GEMM = saved;
      vi.resetModules();
    }
    expect(getGemmConfig().implementation).toBe('auto');
  });

  it.skipIf(!builtBinary())('lets one backend use its own GEMM while the process default is another', async () => {
    await configureGemm({ implementation: 'native' });
    const wasmBackend = await createCpuBackend({ gemm: 'wasm' });
    const nativeBackend = await createCpuBackend({ gemm: 'native' });
    const a = {
      storage: wasmBackend.upload(new Float32Array(64 * 64).fill(1), 'float32'),
      shape: [64, 64],
      dtype: 'float32' as const,
    };
    const before = nativeGemmCallCount();
    const [c] = wasmBackend.run('matmul', [a, a]);
    expect(nativeGemmCallCount()).toBe(before);
    expect(wasmBackend.readSync(c!.storage)[0]).toBe(64);
    // The choice is back to the process default after the kernel.
    expect(gemmImplementation()).toBe('native');
    await configureGemm({ implementation: 'wasm' });
    const b = {
      storage: nativeBackend.upload(new Float32Array(64 * 64).fill(2), 'float32'),
      shape: [64, 64],
      dtype: 'float32' as const,
    };
    const [d] = nativeBackend.run('matmul', [b, b]);
    expect(nativeGemmCallCount()).toBe(before + 1);
    expect(nativeBackend.readSync(d!.storage)[0]).toBe(256);
    await wasmBackend.dispose();
    await nativeBackend.dispose();
  });
});
