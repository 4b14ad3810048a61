import { describe, expect, it } from 'vitest';
import type { Backend } from './backend.js';
import { createBackend, listBackends, registerBackend } from './backends.js';

describe('createBackend', () => {
  it('loads the built-in gpujs backend lazily by name', async () => {
    const backend = await createBackend('gpujs', { mode: 'cpu' });
    expect(backend.name).toBe('gpujs');
    const s = backend.upload(new Float32Array([1, 2]), 'float32');
    expect(Array.from(await backend.read(s))).toEqual([1, 2]);
    await backend.dispose();
  });

  it('creates a registered backend and waits until it is ready', async () => {
    let readied = false;
    const cpu = await createBackend('cpu');
    const wrapped: Backend = Object.assign(Object.create(cpu) as Backend, {
      name: 'cpu',
      ready: async () => {
        readied = true;
      },
    });
    registerBackend('test-wrapped', () => wrapped);
    expect(listBackends()).toContain('test-wrapped');
    expect(await createBackend('test-wrapped')).toBe(wrapped);
    expect(readied).toBe(true);
    expect(() => registerBackend('', () => wrapped)).toThrow(/non-empty/);
  });

  it('each backend refuses an option it does not read, and a wrong-typed one, before it starts', async () => {
    await expect(createBackend('cpu', { pool_bytes: 0 })).rejects.toThrow(
      "cpu.create: unknown option 'pool_bytes' (did you mean 'poolBytes'?); known: profile, poolBytes, poolSlack, gemm",
    );
    await expect(createBackend('cpu', { profile: 'yes' })).rejects.toThrow(
      'cpu backend: options.profile must be a boolean, got yes',
    );
    await expect(createBackend('gpujs', { mode: 'cpu', thread: true })).rejects.toThrow(
      "gpujs.create: unknown option 'thread'; known: mode, threads",
    );
    await expect(createBackend('gpujs', { mode: 'cpu', threads: 1 })).rejects.toThrow(
      'gpujs.create: options.threads must be a boolean, got 1',
    );
    // Checked before a device is asked for: no adapter is needed to see these.
    await expect(createBackend('webgpu', { shader_f16: false })).rejects.toThrow(
      "webgpu.create: unknown option 'shader_f16' (did you mean 'shaderF16'?)",
    );
    await expect(createBackend('webgpu', { maxDispatchesPerSubmit: Number.NaN })).rejects.toThrow(
      'webgpu.create: options.maxDispatchesPerSubmit must be an integer >= 1, got NaN',
    );
    await expect(createBackend('webgpu', { powerPreference: 'fast' })).rejects.toThrow(
      "webgpu.create: options.powerPreference must be 'high-performance' or 'low-power', got \"fast\"",
    );
    await expect(createBackend('webgpu', { dawnFlags: 'backend=vulkan' })).rejects.toThrow(
      'webgpu.create: options.dawnFlags must be an array of strings, got "backend=vulkan"',
    );
  });
});
