export {
  molLoss,
  DEFAULT_ROW_CHUNK,
  DEFAULT_VOCAB_CHUNK,
  type MolLossOptions,
  type MolLossResult,
  type MolLossChunking,
} from './mol-loss.js';
export { fusedMolLoss, type FusedMolLossOptions } from './fused-mol-loss.js';
export {
  planRows,
  TOKEN_LABELS,
  type TokenLabel,
  type MolMode,
  type Normalization,
  type LossCounts,
  type RowPlan,
  type RowPlanOptions,
} from './row-plan.js';
export {
  MolTrainer,
  trainMol,
  readTrainerState,
  type MolTrainerOptions,
  type TrainOptions,
  type TrainResult,
  type StepMetrics,
  type EvalMetrics,
} from './trainer/trainer.js';
export {
  molTrainingConfig,
  MOL_TRAINING_DEFAULTS,
  MOL_LORA_DEFAULTS,
  type MolTrainingConfig,
} from './trainer/config.js';
export { MolTask, type MolMicroBatch, type MolTaskState } from './trainer/mol-task.js';
export { makeMicroBatch, checkRow, type TrainingRow, type MicroBatch } from './trainer/batch.js';
export { epochOrder, stepRows, stepsPerEpoch } from './trainer/data-order.js';
export {
  saveCheckpoint,
  loadCheckpoint,
  latestCheckpoint,
  checkpointDir,
  pruneCheckpoints,
  TRAINER_STATE_FILE,
  OPTIMIZER_FILE,
  type TrainerState,
} from './trainer/checkpoint.js';
export { baseDistribution, type BaseDistribution, type BaseDistributionOptions } from './base-distribution.js';
