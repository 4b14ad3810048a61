export {
  TRAINING_ARGS_DEFAULTS,
  LR_SCHEDULER_TYPES,
  trainingArgs,
  resolveTrainingArgs,
  badField,
  warmupStepsOf,
  learningRateSchedule,
  type TrainingArgs,
  type LrSchedulerType,
} from './args.js';
export { closestName, didYouMean } from './closest-name.js';
export { DataOrder, epochOrder, type TakeOptions } from './data-order.js';
export type { EvalRecord, MicroBatchLoss, StepContext, StepRecord, TrainingTask } from './task.js';
export { Trainer, type TrainerOptions, type TrainOptions, type TrainResult } from './trainer.js';
export { TRAINER_STATE_COUNTERS, type TrainerState } from './trainer-state.js';
export { RESUMABLE_SETTINGS, changedSettings } from './resume-settings.js';
export { NonFiniteStepError } from './non-finite.js';
export { countReads, type ReadCounter } from './read-counter.js';
export { readScalars } from './read-scalars.js';
