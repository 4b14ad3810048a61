export {
  DEFAULT_CONFIG,
  DEFAULT_MODEL_DIR,
  ConfigError,
  validateConfig,
  resolveConfig,
  mergeConfig,
  parseAssignments,
  readConfigFile,
  type PipelineConfig,
} from './config.js';
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
export { RunFolder, PHASES, newRunDir, type Phase, type RunState, type PhaseRecord } from './run-folder.js';
export { openRun, prepareRun, runPhase, runPipeline, type PhaseOptions } from './pipeline.js';
export { checkModel, modelProblem } from './model-check.js';
export { runData, type DataManifest, type TaskRecord, type TraceRecord } from './phases/data.js';
export { runMol, traceRows, type MolSummary, type ProgressMode } from './phases/mol.js';
export { runGrpo, type GrpoSummary } from './phases/grpo.js';
export { runEval, availableStages, STAGE_NAMES } from './phases/eval.js';
export { loadBase, loadStage, loadTokenizer, textCodec, type Stage, type LoadedModel } from './load.js';
export { writeRunReport, evaluationTable } from './report/run-report.js';
export { lineChartSvg, ticks, type Series, type LineChartOptions } from './report/line-chart.js';
export { runAblation, meanStd, formatCells, finalReward, type AblationOptions } from './ablate.js';
export {
  COMPACT_AGENT_SYSTEM_PROMPT,
  oneStepMessages,
  oneStepAnswer,
  withCompactSystemPrompt,
  compactTrace,
} from './env-text.js';
export { packLmRows, type LmRow } from './pack-text.js';
export { main, cli, stopsAtSafePoints, InterruptedError, USAGE, type MainOptions } from './cli.js';
