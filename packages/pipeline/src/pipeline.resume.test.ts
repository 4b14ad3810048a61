/**
 * What a bad input or a failed run must not leave behind in a run folder: a
 * model that cannot be loaded is refused before the data phase and never
 * recorded, a non-finite MoL step fails the run (no phase marked done after
 * it, no evaluation), and a MoL phase that restarts without a checkpoint keeps
 * no metrics lines of the attempt before; a data phase stopped while it
 * generates writes none of its files.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMetrics } from '@molrl/progress';
import { NonFiniteStepError } from '@molrl/train';
import { main } from './cli.js';
import { DEFAULT_MODEL_DIR, resolveConfig } from './config.js';
import { openRun, prepareRun, runPhase, runPipeline } from './pipeline.js';
import { runData } from './phases/data.js';

const TINY = {
  data: { traces: 3, validation: 1, maxSteps: 3, maxTokens: 640, grpoTasks: 2, evalTasks: 2, mathProblems: 1 },
  mol: { maxSteps: 3, microBatchSize: 1, globalBatchSize: 1, saveSteps: 1, evalSteps: 2 },
  grpo: { numGenerations: 2, globalBatchSize: 2, microBatchSize: 2, maxSteps: 2, maxCompletionLength: 12 },
  eval: { maxTokens: 12, batchSize: 2 },
};
const tmp = () => mkdtempSync(join(tmpdir(), 'molrl-resume-'));
const quiet = () => undefined;

describe('the base model', () => {
  it('a --model that cannot be loaded is refused before any work, and not written to config.json', async () => {
    const out = join(tmp(), 'run');
    await expect(
      main(['run', '--out', out, '--model', '/no/such/model', '--progress', 'silent'], quiet),
    ).rejects.toThrow("--model '/no/such/model': no such folder");
    expect(existsSync(out)).toBe(false);
    const notAModel = tmp();
    writeFileSync(join(notAModel, 'config.json'), JSON.stringify({ model_type: 'qwen3' }));
    await expect(main(['data', '--out', out, '--model', notAModel, '--progress', 'silent'], quiet)).rejects.toThrow(
      `--model '${notAModel}':`,
    );
    expect(existsSync(join(out, 'config.json'))).toBe(false);
  });

  it('a run whose recorded model cannot be loaded stops before the data phase, and --model fixes it', async () => {
    const dir = join(tmp(), 'run');
    // What an earlier version could leave: a bad path in config.json.
    const { run, config } = openRun(dir, resolveConfig({ overrides: [TINY, { model: join(dir, 'missing-model') }] }));
    await expect(runPipeline(run, config, { progress: 'silent', log: quiet })).rejects.toThrow(
      `${run.configFile}: model '${join(dir, 'missing-model')}': no such folder`,
    );
    expect(run.isDone('data')).toBe(false);
    expect(existsSync(run.dataDir)).toBe(false);
    const lines: string[] = [];
    const fixed = await prepareRun(dir, { ...config, model: DEFAULT_MODEL_DIR }, { log: (l) => lines.push(l) });
    expect(fixed.config.model).toBe(DEFAULT_MODEL_DIR);
    expect(JSON.parse(readFileSync(run.configFile, 'utf8')).model).toBe(DEFAULT_MODEL_DIR);
    expect(lines.join('\n')).toMatch(/cannot be loaded .*no such folder.*; the run now uses/);
    // A loadable recorded model is not replaced: a different one is a configuration change.
    expect(() => openRun(dir, { ...config, model: join(dir, 'other') })).toThrow(/another configuration: model/);
    await expect(prepareRun(dir, { ...config, model: join(dir, 'other') })).rejects.toThrow(
      /another configuration: model/,
    );
  });
});

describe('the data phase', () => {
  it('stopped while it generates traces, it writes none of its files once the generation ends', async () => {
    const { run, config } = openRun(join(tmp(), 'run'), resolveConfig({ overrides: [TINY] }));
    const controller = new AbortController();
    const work = runData(run, config, { progress: 'silent', signal: controller.signal });
    controller.abort(new Error('stopped by the test'));
    // runPhase returns at the abort; the generation still finishes, and must then write nothing.
    await expect(work).rejects.toThrow('stopped by the test');
    const written = readdirSync(run.dataDir);
    for (const file of ['traces.jsonl', 'grpo-tasks.jsonl', 'eval-tasks.jsonl', 'manifest.json'])
      expect(written).not.toContain(file);
    await expect(runData(run, config, { signal: controller.signal })).rejects.toThrow('stopped by the test');
  });
});

describe('MoL in a run', () => {
  it(
    'a non-finite step fails the run naming the step; no later phase runs and nothing is marked done',
    { timeout: 240_000 },
    async () => {
      const tmpDir = tmp();
      const out = join(tmpDir, 'run');
      const configFile = join(tmpDir, 'tiny.json');
      writeFileSync(configFile, JSON.stringify({ ...TINY, mol: { ...TINY.mol, maxSteps: 8, learningRate: 1e30 } }));
      const run = main(['run', '--out', out, '--config', configFile, '--progress', 'silent'], quiet);
      await expect(run).rejects.toThrow(NonFiniteStepError);
      await expect(run).rejects.toThrow(/^MolTrainer: step \d+: the loss is NaN/);
      const state = JSON.parse(readFileSync(join(out, 'state.json'), 'utf8'));
      expect(Object.keys(state.phases)).toEqual(['data']);
      expect(existsSync(join(out, 'mol', 'adapter'))).toBe(false);
      expect(existsSync(join(out, 'eval'))).toBe(false);
      expect(existsSync(join(out, 'grpo'))).toBe(false);
    },
  );

  it(
    'restarting MoL without a checkpoint keeps no metrics lines of the attempt before',
    { timeout: 240_000 },
    async () => {
      const dir = join(tmp(), 'run');
      const { run, config } = openRun(dir, resolveConfig({ overrides: [TINY, { mol: { saveSteps: 0 } }] }));
      await runPhase(run, config, 'data', { progress: 'silent', log: quiet });
      // An attempt interrupted after logging two steps, before its first checkpoint.
      const stale = [1, 2].map((step) => JSON.stringify({ step, epoch: 0, loss: 9, ce: 9, kl: 0 }));
      mkdirSync(run.molDir, { recursive: true });
      writeFileSync(join(run.molDir, 'metrics.jsonl'), stale.join('\n') + '\n');
      await runPhase(run, config, 'mol', { progress: 'silent', log: quiet });
      const steps = readMetrics(join(run.molDir, 'metrics.jsonl'))
        .filter((r) => typeof r.loss === 'number')
        .map((r) => r.step);
      expect(steps).toEqual([1, 2, 3]);
      expect(readMetrics(join(run.molDir, 'metrics.jsonl')).some((r) => r.loss === 9)).toBe(false);
      expect(readFileSync(run.path('report.md'), 'utf8')).toMatch(/\b3 steps, mode `mol`/);
      expect(readdirSync(run.molDir).filter((n) => n.startsWith('checkpoint-'))).toEqual(['checkpoint-3']);
    },
  );
});
