import type {
  CompareFunction,
  Language,
  Limits,
  ResultSource,
  RewardOptions,
  RewardWeights,
  Sandbox,
  Tolerance,
} from '@molrl/sandbox-reward';
import { describe, expectTypeOf, it } from 'vitest';
import type { RewardSandbox, SandboxRewardCallOptions } from './sandbox-types.js';

// Checked by the type checker (`npm run typecheck`): grpo's copy of the option shapes
// must stay the same as @molrl/sandbox-reward's, which grpo cannot name in its public types.
describe('the sandboxed reward options grpo writes out', () => {
  it('accept every RewardOptions of @molrl/sandbox-reward', () => {
    expectTypeOf<RewardOptions>().toExtend<SandboxRewardCallOptions>();
    expectTypeOf<Sandbox>().toExtend<RewardSandbox>();
    expectTypeOf<CompareFunction>().toExtend<NonNullable<SandboxRewardCallOptions['compare']>>();
  });

  it('name the same options with the same types', () => {
    expectTypeOf<keyof SandboxRewardCallOptions>().toEqualTypeOf<keyof RewardOptions>();
    expectTypeOf<Omit<SandboxRewardCallOptions, 'sandbox'>>().toExtend<Omit<RewardOptions, 'sandbox'>>();
    expectTypeOf<NonNullable<SandboxRewardCallOptions['language']>>().toEqualTypeOf<Language>();
    expectTypeOf<NonNullable<SandboxRewardCallOptions['result']>>().toEqualTypeOf<ResultSource>();
    expectTypeOf<NonNullable<SandboxRewardCallOptions['tolerance']>>().toEqualTypeOf<Partial<Tolerance>>();
    expectTypeOf<NonNullable<SandboxRewardCallOptions['weights']>>().toEqualTypeOf<Partial<RewardWeights>>();
    expectTypeOf<NonNullable<SandboxRewardCallOptions['limits']>>().toEqualTypeOf<Partial<Limits>>();
  });
});
