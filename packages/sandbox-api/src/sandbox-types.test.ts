import type * as SandboxRewardExports from '@molrl/sandbox-reward';
import type {
  CompareFunction,
  Language,
  Limits,
  ResultSource,
  RewardOptions,
  RewardResult,
  RewardWeights,
  RunAnswer,
  RunRecord,
  Sandbox,
  Tolerance,
} from '@molrl/sandbox-reward';
import { describe, expectTypeOf, it } from 'vitest';
import type {
  RewardSandbox,
  SandboxRewardCallOptions,
  SandboxRewardModule,
  SandboxRewardResult,
  SandboxRunAnswer,
  SandboxRunOutcome,
} from './sandbox-types.js';

// Checked by the type checker (`npm run typecheck`): the shapes written out here must
// stay those of @molrl/sandbox-reward, which the packages using them cannot name in
// their public types.
describe('the sandbox shapes', () => {
  it('accept what @molrl/sandbox-reward gives', () => {
    expectTypeOf<RewardOptions>().toExtend<SandboxRewardCallOptions>();
    expectTypeOf<Sandbox>().toExtend<RewardSandbox>();
    expectTypeOf<RunRecord>().toExtend<SandboxRunOutcome>();
    expectTypeOf<RunAnswer>().toEqualTypeOf<SandboxRunAnswer>();
    expectTypeOf<CompareFunction>().toExtend<NonNullable<SandboxRewardCallOptions['compare']>>();
    expectTypeOf<RewardResult>().toExtend<SandboxRewardResult>();
    expectTypeOf<RewardResult['stage']>().toEqualTypeOf<SandboxRewardResult['stage']>();
    expectTypeOf<typeof SandboxRewardExports>().toExtend<SandboxRewardModule>();
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
