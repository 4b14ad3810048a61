export {
  groupAdvantages,
  groupStds,
  rewardStdMetrics,
  ADVANTAGE_STD_EPSILON,
  type RewardScaling,
  type GroupAdvantagesOptions,
  type RewardStdMetrics,
} from './advantages.js';
export {
  grpoLoss,
  grpoLossAsync,
  grpoLossTensors,
  GRPO_LOSS_TYPES,
  type GrpoLossType,
  type GrpoLossInput,
  type GrpoLossMetrics,
  type GrpoLossResult,
  type GrpoLossTensors,
  type ImportanceSamplingLevel,
} from './loss.js';
export { defaultRewardScaling, grpoConfig, GRPO_DEFAULTS, type GRPOConfig } from './trainer/config.js';
export { completionLengthMetrics, completionMask, type CompletionMask } from './trainer/completion-mask.js';
export { COMPLETIONS_FILE, type CompletionRecord } from './trainer/completion-log.js';
export { completionLogps, type CompletionLogpsOptions, type SequenceBatch, type TokenLogps } from './trainer/logps.js';
export {
  tokenLogProbs,
  DEFAULT_LOGPROB_ROW_CHUNK,
  DEFAULT_LOGPROB_VOCAB_CHUNK,
  type TokenLogProbsOptions,
  type TokenLogProbsResult,
} from './token-logprobs.js';
export {
  sandboxReward,
  scoreRewards,
  nanMeanStd,
  type ChatMessage,
  type GrpoExample,
  type RewardBatch,
  type RewardFunction,
  type RewardScores,
  type RewardValues,
  type SandboxRewardOptions,
} from './trainer/rewards.js';
// The sandbox's shapes, from @molrl/sandbox-api (a dependency without dependencies).
export type { RewardSandbox, SandboxRewardCallOptions, SandboxRunOutcome } from '@molrl/sandbox-api';
export {
  ModelRollouts,
  OpenAIRollouts,
  vllmLoraSync,
  type VllmLoraSyncOptions,
  type Completion,
  type ModelRolloutsOptions,
  type OpenAIRolloutsOptions,
  type RolloutPrompt,
  type RolloutRequest,
  type RolloutSource,
  type SamplingConfig,
  type TextCodec,
} from './trainer/rollout.js';
export { epochOrder, promptIndices } from './trainer/prompt-order.js';
export { GrpoTask, type GrpoMicroBatch, type GrpoTaskOptions, type GrpoTaskState } from './trainer/grpo-task.js';
export {
  saveCheckpoint,
  loadCheckpoint,
  latestCheckpoint,
  checkpointDir,
  pruneCheckpoints,
  TRAINER_STATE_FILE,
  OPTIMIZER_FILE,
  type GrpoTrainerState,
} from './trainer/checkpoint.js';
export {
  GrpoTrainer,
  trainGrpo,
  type GrpoTrainerOptions,
  type GrpoTrainOptions,
  type GrpoTrainResult,
  type GrpoStepMetrics,
} from './trainer/trainer.js';
