/**
 * The grpo and eval phases score in a sandbox they are given and leave it
 * running for the caller; `runPipeline` makes one sandbox for both phases and
 * closes it; `PhaseSandbox` makes one on demand and closes it once.
 */
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { SandboxClosedError, type Sandbox } from '@molrl/sandbox-reward';
import { resolveConfig, type PipelineConfig } from './config.js';
import { createEnvironmentSandbox } from './env-text.js';
import { PhaseSandbox } from './phase-sandbox.js';
import { openRun, runPhase, runPipeline } from './pipeline.js';

// Counts the sandboxes the phases make (the real function runs).
vi.mock('./env-text.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('./env-text.js')>();
  return { ...real, createEnvironmentSandbox: vi.fn(real.createEnvironmentSandbox) };
});
const made = vi.mocked(createEnvironmentSandbox);
beforeEach(() => made.mockClear());

const MINIATURE = {
  data: { traces: 2, validation: 1, maxSteps: 2, maxTokens: 256, grpoTasks: 2, evalTasks: 2, mathProblems: 0 },
  mol: { maxSteps: 1, microBatchSize: 1, globalBatchSize: 1, saveSteps: 0, evalSteps: 1 },
  grpo: { numGenerations: 2, globalBatchSize: 2, microBatchSize: 2, maxSteps: 1, maxCompletionLength: 8 },
  eval: { maxTokens: 8, batchSize: 2, temperature: 0 },
};
const quiet = () => undefined;
const phaseOptions = { progress: 'silent' as const, log: quiet };

/** A run folder whose data and mol phases are done, made once and copied for each test. */
let trained: Promise<{ dir: string; config: PipelineConfig }> | null = null;
async function runAfterMol(): Promise<{ dir: string; config: PipelineConfig }> {
  trained ??= (async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'molrl-phase-sandbox-')), 'trained');
    const { run, config } = openRun(dir, resolveConfig({ overrides: [MINIATURE] }));
    for (const phase of ['data', 'mol'] as const) await runPhase(run, config, phase, phaseOptions);
    return { dir, config };
  })();
  const { dir, config } = await trained;
  const copy = join(mkdtempSync(join(tmpdir(), 'molrl-phase-sandbox-')), 'run');
  cpSync(dir, copy, { recursive: true });
  return { dir: copy, config };
}

async function stillRuns(sandbox: Sandbox): Promise<unknown> {
  return (await sandbox.run({ language: 'python', code: 'y = 6 * 7', resultVariable: 'y' })).result;
}

describe('PhaseSandbox', () => {
  it('makes one sandbox, closes it once, and makes a new one after', { timeout: 180_000 }, async () => {
    const phases = new PhaseSandbox();
    const first = await phases.get();
    expect(await phases.get()).toBe(first);
    expect(made).toHaveBeenCalledTimes(1);
    expect(await stillRuns(first)).toBe(42);
    await phases.close();
    await expect(stillRuns(first)).rejects.toBeInstanceOf(SandboxClosedError);
    await phases.close(); // nothing left to close
    const second = await phases.get();
    expect(second).not.toBe(first);
    expect(made).toHaveBeenCalledTimes(2);
    await phases.close();
  });
});

describe('the grpo and eval phases', () => {
  it('score in options.sandbox, make none of their own, and leave it running', { timeout: 240_000 }, async () => {
    const { dir, config } = await runAfterMol();
    const { run } = openRun(dir, config);
    const sandbox = await createEnvironmentSandbox({ workers: 1, pythonStandby: false });
    made.mockClear();
    try {
      await runPhase(run, config, 'grpo', { ...phaseOptions, sandbox });
      await runPhase(run, config, 'eval', { ...phaseOptions, sandbox });
      expect(made).not.toHaveBeenCalled();
      expect(await stillRuns(sandbox)).toBe(42);
    } finally {
      await sandbox.close();
    }
  });

  it('make and close one each without it; runPipeline makes one for both', { timeout: 240_000 }, async () => {
    const alone = await runAfterMol();
    const { run } = openRun(alone.dir, alone.config);
    await runPhase(run, alone.config, 'grpo', phaseOptions);
    await runPhase(run, alone.config, 'eval', phaseOptions);
    expect(made).toHaveBeenCalledTimes(2);
    for (const result of made.mock.results) {
      await expect(stillRuns(await (result.value as Promise<Sandbox>))).rejects.toBeInstanceOf(SandboxClosedError);
    }

    made.mockClear();
    const whole = await runAfterMol();
    await runPipeline(openRun(whole.dir, whole.config).run, whole.config, phaseOptions);
    expect(made).toHaveBeenCalledTimes(1);
    const shared = await (made.mock.results[0]!.value as Promise<Sandbox>);
    await expect(stillRuns(shared)).rejects.toBeInstanceOf(SandboxClosedError);
  });
});
