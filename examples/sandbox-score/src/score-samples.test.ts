import { createSandbox, type Sandbox } from '@molrl/sandbox-reward';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SAMPLES } from './completions.js';
import { scoreSamples } from './score-samples.js';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await createSandbox({ workers: 1, pythonStandby: false });
  await sandbox.ready();
}, 240_000);

afterAll(async () => {
  await sandbox?.close();
});

it('every sample reaches the stage it is meant to', { timeout: 180_000 }, async () => {
  // Generous, so that only the runaway samples time out on a loaded machine.
  const scored = await scoreSamples(sandbox, SAMPLES, 15_000);
  for (const s of scored)
    expect({ name: s.sample.name, stage: s.stage }).toEqual({ name: s.sample.name, stage: s.sample.expectedStage });
  const weights = { 'no-code': 0, 'syntax-error': 0, parses: 0.1, forbidden: 0, executes: 0.4, correct: 1 };
  for (const s of scored) {
    expect(s.multiStage).toBe(weights[s.sample.expectedStage]);
    expect(s.binary).toBe(s.sample.expectedStage === 'correct' ? 1 : 0);
  }
});
