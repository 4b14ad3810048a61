/**
 * The paths an asynchronous device takes (no readSync: data only through
 * promises), exercised on the cpu backend behind an adapter that hides its
 * synchronous read and answers reads a tick later, as a GPU would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend, type Backend } from '@molrl/gpu-backend';
import {
  AdamW,
  Linear,
  crossEntropy,
  flushNumericsChecks,
  log,
  setBackend,
  setDebug,
  sum,
  tensor,
  tidy,
} from './index.js';

async function asyncCpu(): Promise<Backend> {
  const inner = await createBackend('cpu');
  return {
    name: 'cpu-async',
    ready: () => inner.ready(),
    alloc: (size, dtype) => inner.alloc(size, dtype),
    upload: (data, dtype) => inner.upload(data, dtype),
    read: async (storage) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return inner.read(storage);
    },
    readRaw: (storage) => inner.readRaw(storage),
    release: (storage) => inner.release(storage),
    run: (name, inputs, ...attrs) => inner.run(name, inputs, ...attrs),
    sync: () => inner.sync(),
    memory: () => inner.memory(),
    resetPeak: () => inner.resetPeak(),
    dispose: () => inner.dispose(),
  };
}

beforeAll(async () => {
  await setBackend(await asyncCpu());
});

afterAll(() => {
  setDebug({ checkNumerics: false });
});

describe('on a backend without synchronous reads', () => {
  it('trains and reads results through promises; dataSync names the reason it cannot', async () => {
    const model = new Linear(3, 2, { seed: 1 });
    const opt = new AdamW(model, { lr: 0.1, weightDecay: 0 });
    const x = tensor([
      [1, 0, 1],
      [0, 1, 0],
    ]);
    const y = tensor(Int32Array.from([1, 0]), [2]);
    const losses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const loss = tidy(() => crossEntropy(model.forward(x), y));
      loss.backward();
      opt.step();
      opt.zeroGrad();
      losses.push(await loss.item());
      loss.dispose();
    }
    expect(losses[9]!).toBeLessThan(losses[0]!);
    expect(() => x.dataSync()).toThrow(/backend 'cpu-async' reads asynchronously/);
  });
  it('numerics checks queue up and reject on the next read, naming the op', async () => {
    setDebug({ checkNumerics: true });
    const bad = sum(log(tensor([1, -1], [2])));
    await expect(bad.data()).rejects.toThrow(/checkNumerics: op 'log' produced NaN at flat index 1/);
    log(tensor([-2], [1]));
    await expect(flushNumericsChecks()).rejects.toThrow(/op 'log' produced NaN/);
    setDebug({ checkNumerics: false });
  });
});
