/**
 * Every byte of the interpreter's heap equals the snapshot after every run:
 * checked directly (the worker compares its whole heap with the snapshot)
 * after poison runs, after runs restored page by page, after runs restored
 * whole, and after raw writes into the heap from a run with the guards off.
 * (Tampering with the dirty map is tested in write-tracking.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../limits.js';
import { PyodideSnapshot, PythonProcess, pyodideDir } from './python-process.js';

const LONG = 240_000;
const limits = { ...DEFAULT_LIMITS, timeoutMs: 30_000, memoryMb: 256 };

describe('a guarded worker', () => {
  let worker: PythonProcess;
  beforeAll(async () => {
    worker = new PythonProcess(pyodideDir(), new PyodideSnapshot());
    await worker.ready;
  }, LONG);
  afterAll(async () => {
    worker?.kill();
    await worker?.whenExited;
  });

  it('restores an ordinary run page by page, to the exact snapshot', { timeout: LONG }, async () => {
    const record = await worker.run('total = sum(j * j for j in range(20))\nprint(total)', limits, undefined);
    expect(record.stdout).toBe('2470\n');
    const check = await worker.check();
    expect(check.tracking).toBe('on');
    expect(check.lastRestore.mode).toBe('pages');
    // A small run writes a few hundred 4 KiB pages at most, not the ~30 MiB heap.
    expect(check.lastRestore.pages).toBeGreaterThan(0);
    expect(check.lastRestore.pages).toBeLessThan(1500);
    expect(check.pristine).toBe(true);
  });

  const POISONS: Array<[string, string]> = [
    ['a patched class', 'import json\njson.JSONEncoder.encode = lambda self, o: "FORGED"'],
    ['patched builtins', 'import builtins\nbuiltins.len = lambda x: 0\nbuiltins.print = None'],
    [
      'a finalizer loop left behind',
      'import math\nclass L:\n    def __del__(self):\n        while True: pass\nmath.l = L()',
    ],
    ['a forbidden rename', 'import os\nos.rename("/lib/python314.zip", "/lib/gone.zip")'],
    ['a grown heap', 'x = bytearray(24 * 2 ** 20)\nx[-1] = 1\nprint(len(x))'],
    ['an error with a traceback', 'def f(n):\n    return 1 / n\nf(0)'],
    ['a time-out', 'while True:\n    pass'],
    ['a long C-level operation', 'x = 10 ** (10 ** 7)'],
    ['file descriptors', 'import os\nr, w = os.pipe()\nos.write(w, b"x")\nprint(os.read(r, 1), os.dup(1))'],
    ['scratch files', 'import os\nopen("/tmp/a", "w").write("x" * 100000)\nos.mkdir("/home/pyodide/d")'],
  ];

  it.each(POISONS)('is pristine after %s', { timeout: LONG }, async (_name, code) => {
    await worker.run(code, { ...limits, timeoutMs: 1_000 }, undefined);
    const check = await worker.check();
    expect(check.pristine).toBe(true);
    // The next run sees the pristine interpreter.
    const next = await worker.run('import json\nprint(json.dumps([1, len("ab")]))', limits, undefined);
    expect(next).toMatchObject({ status: 'ok', stdout: '[1, 2]\n' });
  });

  it('restores a run whole when it called something whose writes are not tracked', { timeout: LONG }, async () => {
    // os.pipe() asks the JavaScript side to write two file descriptors into the heap.
    const record = await worker.run('import os\nprint(len(os.pipe()))', limits, undefined);
    expect(record.stdout).toBe('2\n');
    const check = await worker.check();
    expect(check.lastRestore.mode).toBe('whole');
    expect(check.pristine).toBe(true);
  });
});

describe('a worker whose guards are off (the run can write any byte of the heap)', () => {
  let worker: PythonProcess;
  beforeAll(async () => {
    worker = new PythonProcess(pyodideDir(), new PyodideSnapshot(), false);
    await worker.ready;
  }, LONG);
  afterAll(async () => {
    worker?.kill();
    await worker?.whenExited;
  });

  it('restores raw writes into objects of the snapshot and unused memory', { timeout: LONG }, async () => {
    // Through Pyodide's JavaScript bridge (left in when the guards are off):
    // rewrite the characters of a str the snapshot holds (json.__name__), and
    // poke bytes across the unused part of the C stack.
    const code = `import json, sys, pyodide_js
heap = pyodide_js._module.HEAPU8
name = json.__name__
start = id(name) + sys.getsizeof(name) - len(name) - 1
for i in range(len(name)):
    heap[start + i] = ord('X')
for address in range(4_200_000, 13_000_000, 700_001):
    heap[address] = 0x5A
print(json.__name__)`;
    const record = await worker.run(code, limits, undefined);
    expect(record.stdout).toBe('XXXX\n');
    const check = await worker.check();
    expect(check.lastRestore.mode).toBe('whole');
    expect(check.pristine).toBe(true);
    const next = await worker.run('import json\nprint(json.__name__)', limits, undefined);
    expect(next.stdout).toBe('json\n');
    expect((await worker.check()).pristine).toBe(true);
  });

  it('undoes an audit hook, which a guarded worker refuses and this one runs', { timeout: LONG }, async () => {
    // (isolation.test.ts's version never gets past the guard; here the restore alone must undo it. Files outside
    // the scratch folders are the JavaScript file-system policy's, which no Python object reaches.)
    const record = await worker.run(
      'import sys\nsys.addaudithook(lambda event, args: print("SEEN", event))\nexec("x = 1")',
      limits,
      undefined,
    );
    expect(record).toMatchObject({ status: 'ok', stdout: expect.stringContaining('SEEN exec') });
    expect((await worker.check()).pristine).toBe(true);
    const next = await worker.run('import csv\nexec("x = 1")\nprint("clean")', limits, undefined);
    expect(next).toMatchObject({ status: 'ok', stdout: 'clean\n' });
    expect((await worker.check()).pristine).toBe(true);
  });
});
