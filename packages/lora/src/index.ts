export * from './config.js';
export { LoraLinear, type AdapterState } from './lora-linear.js';
export * from './lora.js';
export {
  OPTIMIZER_FILE,
  TRAINER_STATE_FILE,
  checkpointDir,
  latestCheckpoint,
  listCheckpoints,
  loadTrainingCheckpoint,
  pruneCheckpoints,
  removeIncompleteCheckpoints,
  saveTrainingCheckpoint,
  type CheckpointFolder,
  type CheckpointState,
} from './checkpoint.js';
