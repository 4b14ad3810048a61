import { describe, expect, it } from 'vitest';
import {
  learningRateSchedule,
  resolveTrainingArgs,
  trainingArgs,
  warmupStepsOf,
  TRAINING_ARGS_DEFAULTS,
  type TrainingArgs,
} from './args.js';

describe('TrainingArgs', () => {
  it('fills the defaults and names each bad field', () => {
    const a = trainingArgs({ outputDir: '/tmp/x' });
    expect(a).toMatchObject({ learningRate: 5e-5, maxSteps: -1, logSteps: 1, skipNonFiniteSteps: false });
    const bad = (fields: object) => () => trainingArgs({ outputDir: '/tmp/x', ...fields });
    expect(bad({ learningRate: '1e-3' })).toThrow(`trainingArgs: learningRate must be a number > 0, got "1e-3"`);
    expect(bad({ globalBatchSize: 10, microBatchSize: 3 })).toThrow(
      'trainingArgs: globalBatchSize must be a multiple of microBatchSize (3), got 10',
    );
    expect(bad({ maxSteps: 0 })).toThrow('maxSteps must be -1 or a positive integer, got 0');
    // NaN and the infinities as themselves (JSON would write null).
    expect(bad({ learningRate: Number.NaN })).toThrow('learningRate must be a number > 0, got NaN');
    expect(bad({ learningRate: Infinity })).toThrow('learningRate must be a number > 0, got Infinity');
    expect(bad({ progress: 'quiet' })).toThrow("progress must be one of 'auto', 'bar', 'lines', 'silent'");
    expect(bad({ adamBetas: [0.9] })).toThrow('adamBetas must be two numbers in [0, 1), got [0.9]');
    expect(bad({ skipNonFiniteSteps: 'yes' })).toThrow('skipNonFiniteSteps must be true or false');
    expect(bad({ resumeFromCheckpoint: '' })).toThrow(
      'resumeFromCheckpoint must be true, false or a checkpoint folder',
    );
    expect(bad({ learning_rate: 1 })).toThrow(
      "trainingArgs: unknown field 'learning_rate' (did you mean 'learningRate'?)",
    );
  });

  it('a trainer config adds its own fields and defaults', () => {
    type MyConfig = TrainingArgs & { klWeight: number };
    const defaults = { ...TRAINING_ARGS_DEFAULTS, klWeight: 1 };
    const c = resolveTrainingArgs<MyConfig>({ outputDir: '/o', klWeight: 2 }, defaults, 'MyConfig');
    expect(c.klWeight).toBe(2);
    expect(() => resolveTrainingArgs({ outputDir: '/o', kl: 2 } as never, defaults, 'MyConfig')).toThrow(
      /^MyConfig: unknown field 'kl'$/, // nothing close enough to suggest
    );
    expect(() => resolveTrainingArgs({ outputDir: '/o', klWieght: 2 } as never, defaults, 'MyConfig')).toThrow(
      "MyConfig: unknown field 'klWieght' (did you mean 'klWeight'?)",
    );
  });

  it('schedules warmup then linear, cosine or constant, with transformers formulas', () => {
    const args = (lrSchedulerType: 'linear' | 'cosine' | 'constant') =>
      trainingArgs({ outputDir: '/o', learningRate: 1, warmupRatio: 0.25, lrSchedulerType });
    expect(warmupStepsOf(args('linear'), 8)).toBe(2);
    expect([0, 1, 2, 5, 8].map(learningRateSchedule(args('linear'), 8, 2))).toEqual([0, 0.5, 1, 0.5, 0]);
    expect(learningRateSchedule(args('cosine'), 8, 2)(5)).toBeCloseTo(0.5, 10);
    expect([0, 1, 2, 7].map(learningRateSchedule(args('constant'), 8, 2))).toEqual([0, 0.5, 1, 1]);
    expect(learningRateSchedule(args('constant'), 8, 0)(0)).toBe(1);
  });
});
