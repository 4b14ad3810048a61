import type { NativeAddon } from '@molrl/cpu-native';
import { describe, expectTypeOf, it } from 'vitest';
import type { NativeGemmAddon } from './native-gemm.js';

// Checked by the type checker (`npm run typecheck`): the addon shape this backend
// writes out (it cannot name the optional package in its own types) must be one
// @molrl/cpu-native's addon satisfies, with the same sgemm.
describe('the native addon as gpu-backend declares it', () => {
  it('is satisfied by @molrl/cpu-native', () => {
    expectTypeOf<NativeAddon>().toExtend<NativeGemmAddon>();
    expectTypeOf<NativeGemmAddon['sgemm']>().toEqualTypeOf<NativeAddon['sgemm']>();
    expectTypeOf<NativeGemmAddon['setThreads']>().toEqualTypeOf<NativeAddon['setThreads']>();
  });
});
