/**
 * The Trainer's part of a checkpoint's trainer_state.json (a task adds its own
 * fields beside these), and reading it back with errors that name the file.
 */
import type { CheckpointState } from '@molrl/lora';
import type { LogWindowState } from './log-window.js';

export interface TrainerState extends CheckpointState {
  /** Optimizer steps taken, skipped ones included (the checkpoint's number). */
  globalStep: number;
  /** The data order's position: examples taken since the start. */
  examplesSeen: number;
  /** Steps whose update was skipped because their loss or gradient was not finite. */
  skippedSteps: number;
  /** The model's adapter-dropout seed counter (its RNG state). */
  dropoutSeed: number;
  /** Optimizer steps of the whole run: resuming with another number is an error. */
  maxSteps: number;
  /**
   * The run's settings (the trainer's args): resuming with other ones is an error,
   * except for the fields that do not change what is trained (`RESUMABLE_SETTINGS`).
   * Absent in checkpoints of earlier versions, whose tasks kept them as `config`.
   */
  args?: object;
  /**
   * The steps since the last metrics record when the checkpoint fell between two
   * (logSteps > 1); absent when there were none (and in checkpoints of earlier versions).
   */
  logWindow?: LogWindowState;
}

/** The counters every trainer_state.json of this Trainer holds (integers >= 0). */
export const TRAINER_STATE_COUNTERS = ['globalStep', 'dropoutSeed'] as const;

/** Checks the optional counters a checkpoint of an earlier version may lack. */
export function optionalCounter(state: Record<string, unknown>, field: string, file: string): number | undefined {
  const value = state[field];
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || (value as number) < 0)
    throw new Error(`loadCheckpoint: ${file}: field '${field}' must be an integer >= 0`);
  return value as number;
}

/**
 * The run's settings a checkpoint was written with (`args`; `config` in checkpoints of
 * earlier versions), or undefined when it has none. One that is there but not an object
 * is damage, refused naming the file: skipping it would skip the settings check.
 */
export function savedSettings(state: Record<string, unknown>, file: string): object | undefined {
  const field = state.args !== undefined ? 'args' : 'config';
  const value = state[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(
      `loadCheckpoint: ${file}: field '${field}' must be an object (the run's settings), got ${JSON.stringify(value)}`,
    );
  return value;
}
