/**
 * MoL checkpoints: `@molrl/lora`'s training checkpoints (PEFT adapter, AdamW
 * moments, trainer_state.json; written whole or not at all) holding the
 * Trainer's state (step, data position, dropout RNG counter) and MoL's
 * (epoch and step in it, config). `MolTrainer` writes and reads them through
 * `@molrl/train`'s Trainer; these functions are for tools that handle them.
 */
import { loadTrainingCheckpoint, saveTrainingCheckpoint, type LoraHandle } from '@molrl/lora';
import type { AdamW } from '@molrl/tensor';
import type { TrainerState as SharedTrainerState } from '@molrl/train';
import type { MolTaskState } from './mol-task.js';

export { OPTIMIZER_FILE, TRAINER_STATE_FILE, checkpointDir, latestCheckpoint, pruneCheckpoints } from '@molrl/lora';

/** trainer_state.json of a MoL checkpoint. examplesSeen and skippedSteps are absent from those of earlier versions. */
export interface TrainerState extends Omit<SharedTrainerState, 'examplesSeen' | 'skippedSteps'>, MolTaskState {
  examplesSeen?: number;
  skippedSteps?: number;
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
