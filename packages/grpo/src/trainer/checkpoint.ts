/**
 * GRPO checkpoints: `@molrl/lora`'s training checkpoints (PEFT adapter, AdamW
 * moments, trainer_state.json; written whole or not at all) holding the GRPO
 * trainer's state.
 */
import type { LoraHandle } from '@molrl/lora';
import { loadTrainingCheckpoint, saveTrainingCheckpoint } from '@molrl/lora';
import type { AdamW } from '@molrl/tensor';
import type { GRPOConfig } from './config.js';

export { OPTIMIZER_FILE, TRAINER_STATE_FILE, checkpointDir, latestCheckpoint, pruneCheckpoints } from '@molrl/lora';

export interface GrpoTrainerState {
  /** Optimizer steps taken. */
  globalStep: number;
  /** Rollout batches generated (each gives numIterations optimizer steps); also the sampling-seed counter. */
  rolloutBatches: number;
  /** Prompts consumed so far (the position in the seeded per-epoch prompt order). */
  promptsSeen: number;
  /** The model's adapter-dropout seed counter. */
  dropoutSeed: number;
  config: GRPOConfig;
}

export function saveCheckpoint(
  outputDir: string,
  state: GrpoTrainerState,
  lora: LoraHandle,
  optimizer: AdamW,
): Promise<string> {
  return saveTrainingCheckpoint(outputDir, state, lora, optimizer);
}

export function loadCheckpoint(dir: string, lora: LoraHandle, optimizer: AdamW): Promise<GrpoTrainerState> {
  return loadTrainingCheckpoint<GrpoTrainerState>(dir, lora, optimizer, [
    'globalStep',
    'rolloutBatches',
    'promptsSeen',
    'dropoutSeed',
  ]);
}
