export {
  DEFAULT_CONFIG,
  DEFAULT_MODEL_DIR,
  ConfigError,
  SEED_MAX,
  configDifferences,
  validateConfig,
  resolveConfig,
  mergeConfig,
  parseAssignments,
  readConfigFile,
  type PipelineConfig,
} from './config.js';
export { UsageError } from './config-error.js';
export { parseJsonText, readJsonFile } from './json-file.js';
export {
  BACKEND_CHOICES,
  BACKEND_NAMES,
  GPUJS_RUN_MODES,
  backendProblem,
  parseBackend,
  useBackend,
  type BackendName,
  type ParsedBackend,
} from './backend.js';
export {
  RunFolder,
  PHASES,
  newRunDir,
  checkFolderPath,
  createFolder,
  removeEmptyFolders,
  type Phase,
  type RunState,
  type PhaseRecord,
} from './run-folder.js';
export { lockRunFolder, LOCK_FILE, type RunLock, type RunLockHolder } from './run-lock.js';
export { openRun, prepareRun, runPhase, runPipeline, type PhaseOptions } from './pipeline.js';
export { checkLoraRank, checkModel, modelProblem, recordedModel } from './model-check.js';
export { runData, type DataManifest, type TaskRecord, type TraceRecord } from './phases/data.js';
export { runMol, traceRows, type MolSummary, type ProgressMode } from './phases/mol.js';
export { runGrpo, type GrpoSummary } from './phases/grpo.js';
export type { PhaseRunOptions } from './phases/run-options.js';
export {
  runEval,
  availableStages,
  codeAgentTestSuite,
  taskResults,
  STAGE_NAMES,
  type TaskResult,
} from './phases/eval.js';
export { loadBase, loadStage, loadTokenizer, textCodec, type Stage, type LoadedModel } from './load.js';
export { writeRunReport, evaluationTable, intervalTables } from './report/run-report.js';
export {
  taskMatrix,
  rateInterval,
  pairedDifference,
  formatInterval,
  formatDifference,
  type TaskMatrix,
} from './report/intervals.js';
export {
  readStageReport,
  readTaskResults,
  readProbe,
  readKnowledge,
  checkEvaluationReport,
  checkTaskResult,
  checkProbeResult,
} from './phases/eval-records.js';
export { heldOutLoss, answerSpan, type ProbeResult } from './probe.js';
export {
  buildPretrainCorpus,
  probeDocuments,
  oneStepChat,
  corpusTexts,
  PROBE_SEED,
  CORPUS_SEEDS,
  type PretrainCorpus,
  type CorpusOptions,
} from './pretrain-corpus.js';
export { lineChartSvg, ticks, type Series, type LineChartOptions } from './report/line-chart.js';
export {
  DEFAULT_ABLATION_SEEDS,
  runAblation,
  writeAblationReport,
  readAblationMeta,
  type AblationMeta,
  ablationPlan,
  middleCheckpoint,
  meanStd,
  formatCells,
  finalReward,
  rewardCurve,
  TABLE1_ROWS,
  TABLE2_ROWS,
  TABLE3_ROWS,
  type AblationOptions,
  type AblationRow,
} from './ablate.js';
export {
  COMPACT_AGENT_SYSTEM_PROMPT,
  oneStepMessages,
  oneStepAnswer,
  withCompactSystemPrompt,
  compactTrace,
  createEnvironmentSandbox,
  PHASE_SANDBOX_OPTIONS,
  withHarnessCall,
  harnessReward,
} from './env-text.js';
export { PhaseSandbox } from './phase-sandbox.js';
export { packLmRows, type LmRow } from './pack-text.js';
export { main, cli, stopsAtSafePoints, InterruptedError, USAGE, type MainOptions } from './cli.js';
