export * from './safetensors/dtypes.js';
export * from './safetensors/reader.js';
export * from './safetensors/writer.js';
export * from './safetensors/checkpoint.js';
export * from './config.js';
export * from './presets.js';
export * from './hub.js';
export { SeededRandom } from './sampling/prng.js';
export {
  argmax,
  applyPenalties,
  drawFrom,
  hasPenalties,
  kthLargest,
  penalisedTokens,
  sampleFromCandidates,
  sampleToken,
  samplingDistribution,
  SAMPLING_OPTION_NAMES,
  topKCandidates,
  validateSamplingOptions,
  type PenaltyOverrides,
  type RowCandidates,
  type SamplingContext,
  type SamplingOptions,
  type TokenCounts,
} from './sampling/samplers.js';
export { TokenCounter } from './sampling/token-counter.js';
export { SamplerPool, sharedSamplerPool, type RowRequest } from './sampling/sampler-pool.js';
export {
  CANDIDATE_SLACK,
  candidateSamplingApplies,
  drawFromCandidates,
  planCandidates,
  selectCandidates,
  type CandidatePlan,
  type SelectedCandidates,
} from './sampling/candidate-step.js';
export * from './weights.js';
export { checkCheckpointHeaders } from './checkpoint-headers.js';
export {
  Linear,
  Qwen3Module,
  type LinearAdapter,
  type ForwardContext,
  type Qwen3Layer,
  type LayerCache,
  type DecoderInputs,
  type WeightDType,
} from './qwen3.js';
export * from './model.js';
