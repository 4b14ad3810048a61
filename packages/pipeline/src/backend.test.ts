/**
 * The backend choice of a run: which values are accepted (and how a bad one
 * is named), how config.json records it, and how an existing run moves to
 * another backend while every other field stays a refused change.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BACKEND_CHOICES, backendProblem, parseBackend } from './backend.js';
import { main } from './cli.js';
import { DEFAULT_CONFIG, resolveConfig } from './config.js';
import { openRun } from './pipeline.js';
import { RunFolder } from './run-folder.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'molrl-backend-'));
const quiet = () => undefined;

describe('backend choice', () => {
  it('accepts cpu, webgpu, gpujs and the gpu.js modes; anything else is named with the choices', () => {
    expect(BACKEND_CHOICES).toEqual(['cpu', 'webgpu', 'gpujs', 'gpujs:cpu', 'gpujs:webasm', 'gpujs:webgpu']);
    for (const c of BACKEND_CHOICES) expect(backendProblem(c)).toBeNull();
    expect(parseBackend('gpujs:cpu')).toEqual({ name: 'gpujs', options: { mode: 'cpu' } });
    expect(parseBackend('webgpu')).toEqual({ name: 'webgpu' });
    expect(() => parseBackend('cuda', 'x.json: backend')).toThrow(
      /^x\.json: backend must be one of 'cpu', 'webgpu', .*, got "cuda"$/,
    );
    expect(() => parseBackend('gpujs:gpu')).toThrow(/got "gpujs:gpu"/);
  });

  it('the config field is validated and defaults to cpu', () => {
    expect(DEFAULT_CONFIG.backend).toBe('cpu');
    expect(resolveConfig({ overrides: [{ backend: 'webgpu' }] }).backend).toBe('webgpu');
    expect(() => resolveConfig({ overrides: [{ backend: 'tpu' }] })).toThrow(/backend must be one of .*, got "tpu"/);
    expect(() => resolveConfig({ overrides: [{ backend: 1 }] })).toThrow(/backend must be one of/);
  });

  it('a bad --backend is refused before any work, naming the flag', async () => {
    const out = join(tmp(), 'run');
    await expect(main(['run', '--out', out, '--backend', 'tpu', '--progress', 'silent'], quiet)).rejects.toThrow(
      /^--backend must be one of 'cpu', .*, got 'tpu'$/,
    );
    expect(existsSync(out)).toBe(false);
  });
});

describe('a run and its backend', () => {
  it('config.json records the backend; a run made before the field read as cpu', () => {
    const dir = join(tmp(), 'r');
    const { run } = openRun(dir, resolveConfig({ overrides: [{ backend: 'gpujs:cpu' }] }));
    expect(JSON.parse(readFileSync(run.configFile, 'utf8')).backend).toBe('gpujs:cpu');
    const old = JSON.parse(readFileSync(run.configFile, 'utf8'));
    delete old.backend;
    writeFileSync(run.configFile, JSON.stringify(old));
    expect(new RunFolder(dir).readConfig().backend).toBe('cpu');
  });

  it('a config differing only in the backend moves the run there; any other difference is still refused', () => {
    const dir = join(tmp(), 'r');
    openRun(dir, structuredClone(DEFAULT_CONFIG));
    const lines: string[] = [];
    const moved = openRun(
      dir,
      { ...structuredClone(DEFAULT_CONFIG), backend: 'webgpu' },
      { log: (l) => lines.push(l) },
    );
    expect(moved.config.backend).toBe('webgpu');
    expect(JSON.parse(readFileSync(moved.run.configFile, 'utf8')).backend).toBe('webgpu');
    expect(lines.join('\n')).toMatch(/moves from backend 'cpu' to 'webgpu'/);
    expect(() => openRun(dir, { ...structuredClone(DEFAULT_CONFIG), backend: 'cpu', seed: 9 })).toThrow(
      /another configuration: seed \(run: 0, given: 9\)/,
    );
    // The refused change did not move the run either.
    expect(new RunFolder(dir).readConfig().backend).toBe('webgpu');
  });

  it('--backend on an existing run moves it; a --config without a backend keeps the run on its own', async () => {
    const tmpDir = tmp();
    const dir = join(tmpDir, 'r');
    openRun(dir, resolveConfig({ overrides: [{ seed: 3 }] }));
    // grpo refuses to start (data has not finished) after the run has been opened with the flag.
    await expect(main(['grpo', '--out', dir, '--backend', 'gpujs:cpu', '--progress', 'silent'], quiet)).rejects.toThrow(
      /phase 'data' has not finished/,
    );
    expect(new RunFolder(dir).readConfig().backend).toBe('gpujs:cpu');
    const file = join(tmpDir, 'same.json');
    writeFileSync(file, JSON.stringify({ seed: 3 }));
    await expect(main(['grpo', '--out', dir, '--config', file, '--progress', 'silent'], quiet)).rejects.toThrow(
      /phase 'data' has not finished/,
    );
    expect(new RunFolder(dir).readConfig().backend).toBe('gpujs:cpu');
    writeFileSync(file, JSON.stringify({ seed: 3, backend: 'cpu' }));
    await expect(main(['grpo', '--out', dir, '--config', file, '--progress', 'silent'], quiet)).rejects.toThrow(
      /phase 'data' has not finished/,
    );
    expect(new RunFolder(dir).readConfig().backend).toBe('cpu');
  });
});
