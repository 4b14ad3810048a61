import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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
    for (const p of ['data', 'mol', 'grpo']) mkdirSync(join(dir, p, 'checkpoint-1'), { recursive: true });
    mkdirSync(join(dir, '.grpo.removed-1-2')); // left by a process killed while removing
    expect(run.invalidateFrom('mol')).toEqual([join(dir, 'mol'), join(dir, 'grpo')]);
    expect([run.isDone('data'), run.isDone('mol')]).toEqual([true, false]);
    // The forgotten phases' folders go (no checkpoint of the old inputs to resume from); earlier ones stay.
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'data', 'state.json']);
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

  it('a corrupt state.json or config.json is an error naming the file', () => {
    const dir = join(tmp(), 'r');
    const { run } = openRun(dir, structuredClone(DEFAULT_CONFIG));
    writeFileSync(run.stateFile, '{"version": 1, "phases": {"data": {"finished": "x"');
    expect(() => run.isDone('data')).toThrow(new RegExp(`^${run.stateFile}:1:51: not valid JSON \\(`));
    writeFileSync(run.stateFile, JSON.stringify({ version: 1, phases: { mol: true } }));
    expect(() => run.readState()).toThrow(`${run.stateFile}: phases.mol must be a record with 'finished'`);
    writeFileSync(run.stateFile, JSON.stringify({ version: 2, phases: {} }));
    expect(() => run.readState()).toThrow(`${run.stateFile}: version must be 1, got 2; delete it to run every phase`);
    writeFileSync(run.stateFile, JSON.stringify({ version: 1, phases: { train: { finished: 'x' } } }));
    expect(() => run.readState()).toThrow(`${run.stateFile}: phases.train is not a phase`);
    const record = { finished: '2026-12-07T10:00:00.000Z', seconds: 12 };
    writeFileSync(run.stateFile, JSON.stringify({ version: 1, phases: { data: { ...record, seconds: '12' } } }));
    expect(() => run.readState()).toThrow(`${run.stateFile}: phases.data.seconds must be a number >= 0, got "12"`);
    writeFileSync(
      run.stateFile,
      JSON.stringify({ version: 1, phases: { data: { ...record, finished: 'yesterday' } } }),
    );
    expect(() => run.readState()).toThrow(
      `${run.stateFile}: phases.data.finished must be a date (ISO 8601), got "yesterday"`,
    );
    writeFileSync(run.stateFile, JSON.stringify({ version: 1, phases: { mol: { ...record, backend: 1 } } }));
    expect(() => run.readState()).toThrow(`${run.stateFile}: phases.mol.backend must be a string, got 1`);
    writeFileSync(run.stateFile, JSON.stringify({ version: 1, phases: { mol: { ...record, backend: 'cpu' } } }));
    expect(run.isDone('mol')).toBe(true);
    writeFileSync(run.configFile, '{"model": ');
    expect(() => run.readConfig()).toThrow(new RegExp(`^${run.configFile}:1:11: not valid JSON`));
  });

  it('new run folders are named by time and never reused', () => {
    const root = tmp();
    expect(newRunDir(root)).toMatch(/\d{8}-\d{6}$/);
  });
});
