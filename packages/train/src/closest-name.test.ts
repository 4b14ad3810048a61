import { describe, expect, it } from 'vitest';
import { closestName, didYouMean } from './closest-name.js';

describe('closestName', () => {
  const fields = ['learningRate', 'maxSteps', 'microBatchSize', 'globalBatchSize', 'seed', 'beta'];

  it('finds the field a typo meant: one edit, a swap, letter case, a separator', () => {
    expect(closestName('maxStep', fields)).toBe('maxSteps');
    expect(closestName('maxStpes', fields)).toBe('maxSteps'); // two adjacent letters swapped: one edit
    expect(closestName('learningrate', fields)).toBe('learningRate');
    expect(closestName('learning_rate', fields)).toBe('learningRate');
    expect(closestName('micro_batch_size', fields)).toBe('microBatchSize');
  });

  it('takes the nearest of two candidates', () => {
    expect(closestName('microBatchSise', fields)).toBe('microBatchSize');
    expect(closestName('globlBatchSize', fields)).toBe('globalBatchSize');
  });

  it('suggests nothing when no candidate is near enough', () => {
    expect(closestName('optimiser', fields)).toBeUndefined(); // more than 3 edits from every field
    expect(closestName('kl', ['beta', 'seed'])).toBeUndefined();
    // Within 3 edits, but "ab" keeps less than 40% of "beta".
    expect(closestName('ab', ['beta'])).toBeUndefined();
    expect(closestName('maxSteps', [])).toBeUndefined();
  });

  it('never suggests the name itself', () => {
    expect(closestName('seed', ['seed'])).toBeUndefined();
  });
});

describe('didYouMean', () => {
  it('is the hint to append to an error, or nothing', () => {
    expect(didYouMean('sed', ['seed', 'beta'])).toBe(" (did you mean 'seed'?)");
    expect(didYouMean('--sed', ['--seed'], (m) => m)).toBe(' (did you mean --seed?)');
    expect(didYouMean('maxStep', ['maxSteps'], (m) => `'grpo.${m}'`)).toBe(" (did you mean 'grpo.maxSteps'?)");
    expect(didYouMean('optimiser', ['seed'])).toBe('');
  });
});
