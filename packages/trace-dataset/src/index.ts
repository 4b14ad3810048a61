export type { LabelledTrace, RawMessage, TokenLabel, Trace, TraceMessage, TraceStep } from './types.js';
export { labelTrace, labelCounts, renderTrace, LABEL_TRACE_OPTION_NAMES, type LabelTraceOptions } from './label.js';
export {
  contentText,
  normalizeMessages,
  splitEmbeddedObservations,
  DEFAULT_OBSERVATION_PATTERN,
  mapRoles,
  roleLabelsWithFeedback,
  DEFAULT_ROLE_LABELS,
  SMOLAGENTS_ROLE_MAP,
  type MappedMessages,
  type MapRolesOptions,
  type RoleLabels,
  type RoleMap,
} from './messages.js';
export { parseTrace, extractCodeBlocks, lastFinalAnswer, TraceParseError, type TraceSchema } from './parse-trace.js';
export {
  externalApiUse,
  declaredTools,
  DEFAULT_EXTERNAL_API_RULE,
  type ExternalApiRule,
  type ExternalApiVerdict,
} from './external-api.js';
export { applyThinkMode, EMPTY_THINK_BLOCK, type ThinkMode } from './think.js';
export { fitContext, DEFAULT_MAX_LENGTH, type ContextPolicy, type OverLengthPolicy } from './context.js';
export {
  packTraces,
  mixedBatches,
  feedbackShare,
  type PackedRow,
  type PackOptions,
  type MixedBatchOptions,
} from './pack.js';
export {
  readTraces,
  readRows,
  readJsonlRows,
  readParquetRows,
  resolveSource,
  hubDataFiles,
  formatOf,
  type HubSource,
  type TraceSource,
  type TraceEvent,
  type RowEvent,
  type RejectedRow,
} from './read.js';
export { splitSizes, assignSplits, PAPER_SPLITS, type SplitSizes, type SplitName } from './splits.js';
export { histogramSvg, histogramBins, niceTicks, type HistogramOptions, type Bin } from './svg.js';
export { traceRowsToParquet, writeTraceRows, writeJsonlAtomic, TRACE_PARQUET_SCHEMA, type TraceRow } from './write.js';
export { buildDataset, type BuildOptions, type Manifest, type TokenStats } from './build.js';
export { Rng } from './rng.js';
export {
  generateTasks,
  taskKind,
  TASK_KINDS,
  ALL_TASK_KINDS,
  type Task,
  type TaskKind,
  type GenerateTasksOptions,
  type LibraryKnowledge,
  type Mistake,
  type MistakeKind,
} from './env/tasks.js';
export { DEPOT_TASK_KINDS } from './env/depot-tasks.js';
export {
  withDepotLibrary,
  depot,
  DEPOT_MODULE,
  DEPOT_PREAMBLE,
  DEPOT_PYTHON_SOURCE,
  DEPOT_REGIONS,
  DEPOT_ZONES,
} from './env/depot-library.js';
export { ScriptedPolicy, type PolicyOptions, type Decision, type Feedback } from './env/policy.js';
export {
  CODE_AGENT_SYSTEM_PROMPT,
  ONE_STEP_SYSTEM_PROMPT,
  oneStepPrompt,
  oneStepUserMessage,
  solveSignature,
  harnessCall,
  taskMessage,
} from './env/prompts.js';
export {
  generateTraces,
  writeEnvironmentDataset,
  decisionText,
  toolCallText,
  observationText,
  type GenerateOptions,
  type GeneratedTrace,
  type EnvironmentDatasetOptions,
  type EnvironmentManifest,
} from './env/generate.js';
export { CHATML_VERBATIM_TEMPLATE } from './chatml.js';
export { embeddedDatasetDir, EMBEDDED_COUNT, EMBEDDED_SEED } from './embedded.js';
