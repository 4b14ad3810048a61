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
});
