import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeAddon } from '@molrl/cpu-native';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { declarationErrorsWithoutNode } from './declarations.test-util.js';
import type { NativeGemmAddon } from './native-gemm.js';

// Checked by the type checker (`npm run typecheck`): the addon shape this backend
// writes out (it cannot name the optional package in its own types) must be one
// @molrl/cpu-native's addon satisfies, with the same sgemm, gemv, scaleAdd and dropout.
describe('the native addon as gpu-backend declares it', () => {
  it('is satisfied by @molrl/cpu-native', () => {
    expectTypeOf<NativeAddon>().toExtend<NativeGemmAddon>();
    expectTypeOf<NativeGemmAddon['sgemm']>().toEqualTypeOf<NativeAddon['sgemm']>();
    expectTypeOf<NativeGemmAddon['gemv']>().toEqualTypeOf<NativeAddon['gemv']>();
    expectTypeOf<NativeGemmAddon['setThreads']>().toEqualTypeOf<NativeAddon['setThreads']>();
    expectTypeOf<NonNullable<NativeGemmAddon['scaleAdd']>>().toEqualTypeOf<NativeAddon['scaleAdd']>();
    expectTypeOf<NonNullable<NativeGemmAddon['dropout']>>().toEqualTypeOf<NativeAddon['dropout']>();
  });
});

// Consumers typecheck these packages' .d.ts files without @types/node (a browser
// build, a worker): the native GEMM's public types must not name Node's own.
describe('the native GEMM public types, read without @types/node', () => {
  const nativeGemm = join(dirname(fileURLToPath(import.meta.url)), 'native-gemm.ts');
  const cpuNative = join(
    dirname(createRequire(import.meta.url).resolve('@molrl/cpu-native/package.json')),
    'src',
    'index.ts',
  );
  // A public type that names one of Node's own: what the check must catch.
  const namesNodeType = join(mkdtempSync(join(tmpdir(), 'molrl-declarations-')), 'names-node-type.ts');
  writeFileSync(
    namesNodeType,
    "import type { Worker } from 'node:worker_threads';\nexport interface HoldsAWorker {\n  worker: Worker;\n}\n",
  );
  let errors: Map<string, string[]>;

  beforeAll(() => {
    errors = declarationErrorsWithoutNode([namesNodeType, nativeGemm, cpuNative]);
  });
  afterAll(() => rmSync(dirname(namesNodeType), { recursive: true, force: true }));

  it('finds a public type that names a Node type (the check can fail)', () => {
    expect(errors.get(namesNodeType)!.join('\n')).toMatch(/node:worker_threads/);
  });

  it("holds for gpu-backend's native-gemm module", () => {
    expect(errors.get(nativeGemm)).toEqual([]);
  });

  it('holds for @molrl/cpu-native', () => {
    expect(errors.get(cpuNative)).toEqual([]);
  });
});
