export type {
  RewardSandbox,
  SandboxRewardCallOptions,
  SandboxRewardModule,
  SandboxRewardResult,
  SandboxRunAnswer,
  SandboxRunOutcome,
} from './sandbox-types.js';
export {
  isMissingPackage,
  loadSandboxReward,
  sandboxRewardMissing,
  type SandboxRewardUse,
} from './load-sandbox-reward.js';
