/**
 * GRPO checkpoints: `@molrl/lora`'s training checkpoints (PEFT adapter, AdamW
 * moments, trainer_state.json; written whole or not at all) holding the
 * Trainer's state (step, data position, dropout RNG counter) and GRPO's
 * (rollout batches, prompts seen, config). `GrpoTrainer` writes and reads them
 * through `@molrl/train`'s Trainer; these functions are for tools that handle them.
 */
import { loadTrainingCheckpoint, saveTrainingCheckpoint, type LoraHandle } from '@molrl/lora';
import type { AdamW } from '@molrl/tensor';
import type { TrainerState } from '@molrl/train';
import type { GrpoTaskState } from './grpo-task.js';

export { OPTIMIZER_FILE, TRAINER_STATE_FILE, checkpointDir, latestCheckpoint, pruneCheckpoints } from '@molrl/lora';

/** trainer_state.json of a GRPO checkpoint; those of earlier versions lack examplesSeen, skippedSteps and maxSteps. */
export type GrpoTrainerState = Omit<TrainerState, 'examplesSeen' | 'skippedSteps' | 'maxSteps'> &
  Partial<Pick<TrainerState, 'examplesSeen' | 'skippedSteps' | 'maxSteps'>> &
  GrpoTaskState;

export const saveCheckpoint: (
  outputDir: string,
  state: GrpoTrainerState,
  lora: LoraHandle,
  optimizer: AdamW,
) => Promise<string> = saveTrainingCheckpoint;

export const loadCheckpoint = (dir: string, lora: LoraHandle, optimizer: AdamW): Promise<GrpoTrainerState> =>
  loadTrainingCheckpoint<GrpoTrainerState>(dir, lora, optimizer, [
    'globalStep',
    'rolloutBatches',
    'promptsSeen',
    'dropoutSeed',
  ]);
