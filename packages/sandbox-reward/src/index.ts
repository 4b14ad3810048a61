export { createSandbox, type Sandbox } from './sandbox.js';
export { mapSandbox, type SandboxMapping } from './map-sandbox.js';
export { SandboxConfigError, SandboxClosedError } from './errors.js';
export { DEFAULT_LIMITS } from './limits.js';
export type { Language, Limits, RunError, RunRecord, RunRequest, RunStatus, SandboxOptions } from './types.js';
export {
  multiStageReward,
  binaryReward,
  PAPER_WEIGHTS,
  type RewardOptions,
  type RewardResult,
  type RewardStage,
  type RewardWeights,
  type ResultSource,
} from './reward/reward.js';
export { extractCode, type ExtractedCode, type CodeFormat } from './reward/extract-code.js';
export {
  autoMatch,
  exactMatch,
  normalizedMatch,
  numericMatch,
  normalizeAnswer,
  parseNumber,
  DEFAULT_TOLERANCE,
  type Comparison,
  type CompareFunction,
  type RunAnswer,
  type Tolerance,
} from './reward/compare.js';
