/**
 * The same miniature run on another backend gives the cpu run's results.
 *
 * The data phase runs once (it does not touch the model); its folder is
 * copied, and MoL, GRPO and evaluation then run on cpu and on the other
 * backend from the same seed. MoL's per-step loss must agree within 1e-3
 * relative. Evaluation is greedy (temperature 0), so its completions must be
 * the same text. GRPO samples on the host from each backend's logits with
 * the same seeded generator: logits equal up to float noise draw the same
 * tokens unless two candidates are within that noise of a tie, so its
 * per-step rewards, completion lengths and the sampled completions themselves
 * (grpo/completions.jsonl) must be equal, and a difference is reported as that
 * (the step and both values) rather than hidden.
 *
 * webgpu runs on whatever adapter Dawn finds (lavapipe in CI); without one
 * the test is skipped with the reason. gpu.js runs in its cpu mode (its
 * kernels transpiled to JavaScript); without the optional gpu.js package
 * that test is skipped likewise.
 */
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMetrics } from '@molrl/progress';
import { useBackend } from './backend.js';
import { resolveConfig, type PipelineConfig } from './config.js';
import { openRun, runPhase, runPipeline } from './pipeline.js';
import { RunFolder } from './run-folder.js';

const MINIATURE = {
  data: { traces: 3, validation: 1, maxSteps: 3, maxTokens: 384, grpoTasks: 2, evalTasks: 2, mathProblems: 1 },
  mol: { maxSteps: 3, microBatchSize: 1, globalBatchSize: 1, saveSteps: 0, evalSteps: 3 },
  grpo: { numGenerations: 2, globalBatchSize: 2, microBatchSize: 2, maxSteps: 2, maxCompletionLength: 8 },
  eval: { maxTokens: 8, batchSize: 2, temperature: 0 },
};
const quiet = () => undefined;

/** Why `choice` cannot run here, or null when it can. */
async function unavailable(choice: string): Promise<string | null> {
  try {
    await useBackend(choice);
    return null;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await useBackend('cpu');
  }
}

/** A run folder holding the finished data phase, made once and copied for each backend. */
let dataRun: Promise<{ dir: string; config: PipelineConfig }> | null = null;
function withData(): Promise<{ dir: string; config: PipelineConfig }> {
  dataRun ??= (async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'molrl-parity-')), 'data');
    const { run, config } = openRun(dir, resolveConfig({ overrides: [MINIATURE] }));
    await runPhase(run, config, 'data', { progress: 'silent', log: quiet });
    return { dir, config };
  })();
  return dataRun;
}

const runs = new Map<string, Promise<RunFolder>>();
/** MoL, GRPO and evaluation of the miniature run on `backend`. */
function modelPhasesOn(backend: string): Promise<RunFolder> {
  let pending = runs.get(backend);
  if (!pending) {
    pending = (async () => {
      const { dir, config } = await withData();
      const copy = join(dir, '..', backend.replace(':', '-'));
      cpSync(dir, copy, { recursive: true });
      const moved = openRun(copy, { ...config, backend });
      await runPipeline(moved.run, moved.config, { progress: 'silent', log: quiet });
      return moved.run;
    })();
    runs.set(backend, pending);
  }
  return pending;
}

type Row = Record<string, unknown>;
const rows = (file: string): Row[] => readMetrics(file) as Row[];

function expectClose(got: number, want: number, rel: number, abs: number, what: string): void {
  const tolerance = Math.max(rel * Math.abs(want), abs);
  if (!(Math.abs(got - want) <= tolerance))
    expect.fail(`${what}: ${got} vs cpu ${want} (|diff| ${Math.abs(got - want)} > ${tolerance})`);
}

/** MoL's logged losses, per step: training rows and validation rows. */
function molLosses(run: RunFolder): Row[] {
  return rows(join(run.molDir, 'metrics.jsonl')).map(({ time: _time, ...row }) => row);
}

function completions(run: RunFolder, stage: string): string[] {
  return readFileSync(run.path('eval', stage, 'samples.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const s = JSON.parse(line) as { suite: string; item: unknown; completion: string };
      return `${s.suite}/${String(s.item)}: ${s.completion}`;
    });
}

function expectParity(cpu: RunFolder, other: RunFolder, backend: string): void {
  // MoL: the same steps, each loss part within 1e-3 relative (KL starts at 0: an absolute floor there).
  const [a, b] = [molLosses(cpu), molLosses(other)];
  expect(b.map((r) => r.step)).toEqual(a.map((r) => r.step));
  expect(a.filter((r) => typeof r.loss === 'number').length).toBe(MINIATURE.mol.maxSteps);
  a.forEach((want, i) => {
    const got = b[i]!;
    for (const [key, value] of Object.entries(want)) {
      if (typeof value !== 'number' || key === 'step' || key === 'epoch' || key === 'lr') continue;
      if (/tokens$/.test(key)) expect(got[key], `mol step ${String(want.step)} ${key}`).toBe(value);
      else
        expectClose(
          got[key] as number,
          value,
          1e-3,
          key.includes('kl') ? 1e-5 : 0,
          `${backend}: mol step ${String(want.step)} ${key}`,
        );
    }
  });

  // GRPO: rewards and completion lengths per step are equal (host sampling, seeded alike).
  const [ga, gb] = [rows(join(cpu.grpoDir, 'metrics.jsonl')), rows(join(other.grpoDir, 'metrics.jsonl'))];
  expect(gb.length).toBe(ga.length);
  expect(ga.length).toBe(MINIATURE.grpo.maxSteps);
  ga.forEach((want, i) => {
    for (const key of ['reward', 'rewards/multi_stage/mean', 'completions/mean_length', 'num_tokens'])
      expect(gb[i]![key], `${backend}: grpo step ${String(want.step)} ${key} (a near-tie in sampling?)`).toBe(
        want[key],
      );
    expectClose(
      gb[i]!.loss as number,
      want.loss as number,
      1e-3,
      1e-6,
      `${backend}: grpo step ${String(want.step)} loss`,
    );
    // Entropy is folded from non-negative terms (onlineSoftmax), so it keeps its relative precision
    // even this small (~0.004 for the miniature model).
    expectClose(
      gb[i]!.entropy as number,
      want.entropy as number,
      1e-3,
      1e-7,
      `${backend}: grpo step ${String(want.step)} entropy`,
    );
  });

  // GRPO's sampled completions themselves: the same text for the same prompts at every step.
  const sampled = (run: RunFolder) =>
    rows(join(run.grpoDir, 'completions.jsonl')).map((r) => `${String(r.step)}: ${String(r.completion)}`);
  expect(sampled(cpu).length).toBe(MINIATURE.grpo.maxSteps * MINIATURE.grpo.globalBatchSize);
  expect(sampled(other), `${backend}: grpo completions (a near-tie in sampling?)`).toEqual(sampled(cpu));

  // Evaluation: greedy, so the very same completions for every stage.
  for (const stage of ['base', 'mol', 'grpo']) {
    expect(completions(other, stage), `${backend}: eval ${stage}`).toEqual(completions(cpu, stage));
  }
  const state = JSON.parse(readFileSync(other.stateFile, 'utf8')) as { phases: Record<string, { backend?: string }> };
  expect([state.phases.mol?.backend, state.phases.grpo?.backend, state.phases.eval?.backend]).toEqual([
    backend,
    backend,
    backend,
  ]);
}

const webgpuMissing = await unavailable('webgpu');
if (webgpuMissing) console.warn(`pipeline parity on webgpu skipped: ${webgpuMissing}`);
const gpujsMissing = await unavailable('gpujs:cpu');
if (gpujsMissing) console.warn(`pipeline parity on gpujs:cpu skipped: ${gpujsMissing}`);

describe('a miniature run on another backend matches the cpu run', () => {
  it.skipIf(!!webgpuMissing)('webgpu', { timeout: 600_000 }, async () => {
    const cpu = await modelPhasesOn('cpu');
    const webgpu = await modelPhasesOn('webgpu');
    expectParity(cpu, webgpu, 'webgpu');
  });

  it.skipIf(!!gpujsMissing)('gpujs in its cpu mode', { timeout: 900_000 }, async () => {
    const cpu = await modelPhasesOn('cpu');
    const gpujs = await modelPhasesOn('gpujs:cpu');
    expectParity(cpu, gpujs, 'gpujs:cpu');
  });
});
