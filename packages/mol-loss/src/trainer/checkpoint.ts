/**
 * MoL checkpoints: `@molrl/lora`'s training checkpoints (PEFT adapter, AdamW
 * moments, trainer_state.json; written whole or not at all) holding the MoL
 * trainer's state (step, data-loader position, dropout RNG counter, config).
 */
import type { LoraHandle } from '@molrl/lora';
import { loadTrainingCheckpoint, saveTrainingCheckpoint } from '@molrl/lora';
import type { AdamW } from '@molrl/tensor';
import type { MolTrainingConfig } from './config.js';

export { OPTIMIZER_FILE, TRAINER_STATE_FILE, checkpointDir, latestCheckpoint, pruneCheckpoints } from '@molrl/lora';

export interface TrainerState {
  /** Optimizer steps taken. */
  globalStep: number;
  /** Data-loader position: the epoch and the optimizer steps taken in it. */
  epoch: number;
  stepInEpoch: number;
  /** The model's dropout seed counter (the RNG state of adapter dropout). */
  dropoutSeed: number;
  /** Total optimizer steps of the run. */
  maxSteps: number;
  config: MolTrainingConfig;
}

export function saveCheckpoint(
  outputDir: string,
  state: TrainerState,
  lora: LoraHandle,
  optimizer: AdamW,
): Promise<string> {
  return saveTrainingCheckpoint(outputDir, state, lora, optimizer);
}

/** Restore adapter and optimizer from a checkpoint folder; returns its trainer state. */
export function loadCheckpoint(dir: string, lora: LoraHandle, optimizer: AdamW): Promise<TrainerState> {
  return loadTrainingCheckpoint<TrainerState>(dir, lora, optimizer, [
    'globalStep',
    'epoch',
    'stepInEpoch',
    'dropoutSeed',
    'maxSteps',
  ]);
}
