import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, resolveConfig } from './config.js';
import { openRun } from './pipeline.js';
import { newRunDir, RunFolder } from './run-folder.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'molrl-run-'));

describe('run folder', () => {
  it('writes the resolved config and records finished phases in state.json', () => {
    const dir = join(tmp(), 'r');
    const { run, config } = openRun(dir, resolveConfig({ overrides: [{ seed: 4 }] }));
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))).toEqual(config);
    expect(run.isDone('data')).toBe(false);
    run.markDone('data', { seconds: 1.5, traces: 3 });
    run.markDone('mol', { seconds: 2 });
    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
    expect(state.version).toBe(1);
    expect(state.phases.data).toMatchObject({ seconds: 1.5, traces: 3 });
    expect(typeof state.phases.data.finished).toBe('string');
    run.invalidateFrom('mol');
    expect([run.isDone('data'), run.isDone('mol')]).toEqual([true, false]);
    expect(() => run.requireDone('grpo', 'eval')).toThrow(/phase 'grpo' has not finished .*molrl grpo --out/);
  });

  it('an existing run keeps its config; a different one is an error naming the fields', () => {
    const dir = join(tmp(), 'r');
    openRun(dir, structuredClone(DEFAULT_CONFIG));
    expect(openRun(dir, null).config).toEqual(DEFAULT_CONFIG);
    expect(() => openRun(dir, resolveConfig({ overrides: [{ grpo: { maxSteps: 2 } }] }))).toThrow(
      new RegExp(`another configuration: grpo\\.maxSteps \\(run: ${DEFAULT_CONFIG.grpo.maxSteps}, given: 2\\)`),
    );
    expect(() => openRun(join(tmp(), 'none'), null)).toThrow(/no run here/);
    expect(() => new RunFolder(join(tmp(), 'none')).readConfig()).toThrow(/molrl run --out/);
  });

  it('new run folders are named by time and never reused', () => {
    const root = tmp();
    expect(newRunDir(root)).toMatch(/\d{8}-\d{6}$/);
  });
});
