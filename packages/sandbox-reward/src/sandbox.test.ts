import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, SandboxClosedError, SandboxConfigError, type Sandbox } from './index.js';
import { pythonWorkerStarts } from './python/python-process.js';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await createSandbox({ workers: 1, pythonStandby: false, limits: { timeoutMs: 30_000 } });
  await sandbox.ready();
}, 240_000);

afterAll(async () => {
  await sandbox?.close();
});

describe('JavaScript runs', () => {
  it('captures console output and final_answer', async () => {
    const r = await sandbox.run({
      language: 'javascript',
      code: "console.log('a', 1, [1, 2], { k: 'v' }); console.error('oops'); final_answer(6 * 7)",
    });
    expect(r).toMatchObject({
      status: 'ok',
      stdout: 'a 1 [ 1, 2 ] { k: "v" }\n',
      stderr: 'oops\n',
      result: 42,
      resultText: '42',
      finalAnswer: true,
    });
    expect(r.ms).toBeGreaterThan(0);
  });

  it('reads a named top-level variable, let or var', async () => {
    expect(
      (await sandbox.run({ language: 'javascript', code: 'let total = 2 + 3', resultVariable: 'total' })).result,
    ).toBe(5);
    expect((await sandbox.run({ language: 'javascript', code: 'var t = "x"', resultVariable: 't' })).result).toBe('x');
    const missing = await sandbox.run({ language: 'javascript', code: 'let y = 1', resultVariable: 'nope' });
    expect(missing).toMatchObject({ status: 'ok', result: null, resultText: null });
  });

  it('converts results to JSON data', async () => {
    const r = await sandbox.run({
      language: 'javascript',
      code: 'final_answer({ big: 2n ** 70n, nan: NaN, list: [1, "two", null], nested: { ok: true } })',
    });
    expect(r.result).toEqual({
      big: '1180591620717411303424',
      nan: 'NaN',
      list: [1, 'two', null],
      nested: { ok: true },
    });
  });

  it('reports syntax and runtime errors with their line', async () => {
    const syntax = await sandbox.run({ language: 'javascript', code: 'let a = 1;\nlet b = (;' });
    expect(syntax).toMatchObject({
      status: 'syntax-error',
      error: { kind: 'syntax-error', name: 'SyntaxError', line: 2 },
    });
    const runtime = await sandbox.run({ language: 'javascript', code: 'console.log("before");\nnull.x;' });
    expect(runtime).toMatchObject({
      status: 'runtime-error',
      stdout: 'before\n',
      error: { kind: 'runtime-error', name: 'TypeError', line: 2 },
    });
    const thrown = await sandbox.run({ language: 'javascript', code: 'throw 42' });
    expect(thrown).toMatchObject({ status: 'runtime-error', error: { name: 'Uncaught', message: 'uncaught 42' } });
  });

  it('scores what promise jobs do after the last statement: answers, output and errors', async () => {
    const run = (code: string) => sandbox.run({ language: 'javascript', code });
    expect(await run('async function main() { final_answer(await Promise.resolve(42)) }\nmain();')).toMatchObject({
      status: 'ok',
      result: 42,
      finalAnswer: true,
    });
    expect(await run('(async () => console.log(await Promise.resolve(6 * 7)))();')).toMatchObject({
      status: 'ok',
      stdout: '42\n',
    });
    expect(
      await run("(async () => { for (let i = 0; i < 1000; i++) await null; final_answer('deep') })();"),
    ).toMatchObject({
      status: 'ok',
      result: 'deep',
    });
    expect(await run('Promise.resolve().then(() => {\n  null.x;\n});')).toMatchObject({
      status: 'runtime-error',
      error: { kind: 'runtime-error', name: 'TypeError', line: 2 },
    });
    // An answer given stands, whatever a job left behind does next; a forbidden call in a job is still forbidden.
    expect(await run('Promise.resolve().then(() => null.x);\nfinal_answer(1);')).toMatchObject({
      status: 'ok',
      result: 1,
    });
    expect(await run("(async () => { await null; require('fs') })();")).toMatchObject({ status: 'forbidden' });
    expect(await run("Promise.reject('plain')")).toMatchObject({
      status: 'runtime-error',
      error: { message: 'plain' },
    });
    // A named result variable a job sets (a top-level let, seen only in the code's scope).
    const variable = await sandbox.run({
      language: 'javascript',
      code: 'let answer;\n(async () => { answer = await Promise.resolve(5); })();',
      resultVariable: 'answer',
    });
    expect(variable).toMatchObject({ status: 'ok', result: 5 });
  });
});

describe('Python runs', () => {
  it('captures print output and final_answer', async () => {
    const r = await sandbox.run({
      language: 'python',
      code: "import sys\nprint('a', 1, [1, 2])\nprint('oops', file=sys.stderr)\nfinal_answer(6 * 7)\nprint('never')",
    });
    expect(r).toMatchObject({
      status: 'ok',
      stdout: 'a 1 [1, 2]\n',
      stderr: 'oops\n',
      result: 42,
      resultText: '42',
      finalAnswer: true,
    });
  });

  it('reads a named variable', async () => {
    const r = await sandbox.run({ language: 'python', code: 'answer = sum(range(10))', resultVariable: 'answer' });
    expect(r).toMatchObject({ status: 'ok', result: 45, finalAnswer: false });
  });

  it('converts results to JSON data', async () => {
    const r = await sandbox.run({
      language: 'python',
      code: "final_answer({'big': 2 ** 70, 'inf': float('inf'), 'items': (1, 'two', None), 'frac': __import__('fractions').Fraction(1, 3)})",
    });
    expect(r.result).toEqual({ big: '1180591620717411303424', inf: 'inf', items: [1, 'two', null], frac: '1/3' });
  });

  it('reports syntax and runtime errors with their line and traceback', async () => {
    const syntax = await sandbox.run({ language: 'python', code: 'x = 1\ny = (\n' });
    expect(syntax).toMatchObject({
      status: 'syntax-error',
      error: { kind: 'syntax-error', name: 'SyntaxError', line: 2 },
    });
    const runtime = await sandbox.run({ language: 'python', code: "print('before')\ndef f():\n    return 1 / 0\nf()" });
    expect(runtime).toMatchObject({
      status: 'runtime-error',
      stdout: 'before\n',
      error: { name: 'ZeroDivisionError', line: 3 },
    });
    expect(runtime.error?.traceback).toContain('ZeroDivisionError: division by zero');
    expect(runtime.error?.traceback).not.toContain('molrl-sandbox');
  });

  it('treats exit(0) as success and other exit codes as errors; stdin is closed', async () => {
    expect((await sandbox.run({ language: 'python', code: "print('x')\nraise SystemExit(0)" })).status).toBe('ok');
    expect((await sandbox.run({ language: 'python', code: 'import sys\nsys.exit(3)' })).status).toBe('runtime-error');
    expect(await sandbox.run({ language: 'python', code: 'print(repr(input()))' })).toMatchObject({
      status: 'runtime-error',
      error: { name: 'EOFError' },
    });
  });

  it('keeps runs independent', async () => {
    await sandbox.run({ language: 'python', code: 'leak = 1\nimport random\nrandom.seed(0)' });
    const r = await sandbox.run({ language: 'python', code: "print('leak' in globals())" });
    expect(r.stdout).toBe('False\n');
  });
});

describe('the pool', () => {
  it("starts a later sandbox's Python workers from the first one's snapshot", { timeout: 120_000 }, async () => {
    const before = pythonWorkerStarts();
    const later = await createSandbox({ workers: 2 });
    try {
      await later.ready();
      const records = await later.runMany([
        { language: 'python', code: 'x = 6 * 7', resultVariable: 'x' },
        { language: 'python', code: 'import json\ny = json.dumps([1])', resultVariable: 'y' },
      ]);
      expect(records.map((r) => [r.status, r.result])).toEqual([
        ['ok', 42],
        ['ok', '[1]'],
      ]);
      const after = pythonWorkerStarts();
      // Two workers and their two standbys, none of them a full load of Pyodide.
      expect(after.fromSnapshot - before.fromSnapshot).toBe(4);
      expect(after.full - before.full).toBe(0);
    } finally {
      await later.close();
    }
  });

  it('runMany returns records in request order across languages', async () => {
    const requests = Array.from({ length: 12 }, (_, i) =>
      i % 2 === 0
        ? { language: 'python' as const, code: `final_answer(${i})` }
        : { language: 'javascript' as const, code: `final_answer(${i})` },
    );
    const records = await sandbox.runMany(requests);
    expect(records.map((r) => r.result)).toEqual(requests.map((_, i) => i));
  });

  it('throws only for bad configuration, naming the option', async () => {
    await expect(createSandbox({ workers: 0 })).rejects.toThrow(/`workers`/);
    await expect(createSandbox({ limits: { memoryMb: 1 } })).rejects.toThrow(/`limits\.memoryMb`/);
    await expect(createSandbox({ wrokers: 2 } as never)).rejects.toThrow(/`wrokers`: unknown option/);
    await expect(sandbox.run({ language: 'ruby' as never, code: '' })).rejects.toThrow(/`request\.language`/);
    await expect(sandbox.run({ language: 'python', code: 1 as never })).rejects.toThrow(SandboxConfigError);
    await expect(
      sandbox.runMany([
        { language: 'python', code: 'print(1)' },
        { language: 'python', code: 'print(2)', limits: { timeoutMs: 0 } },
      ]),
    ).rejects.toThrow(/`requests\[1\]\.limits\.timeoutMs`/);
    await expect(sandbox.run({ language: 'python', code: '', resultVariable: 'a b' })).rejects.toThrow(
      /resultVariable/,
    );
  });

  it('refuses request fields and options it does not know, and the holes of a sparse runMany', async () => {
    // A misplaced limit was ignored: the run went on under the default limits.
    await expect(sandbox.run({ language: 'javascript', code: '1', timeoutMs: 100 } as never)).rejects.toThrow(
      /`request\.timeoutMs`: unknown request field \(known: language, code, limits, resultVariable; limits go in `limits`\)/,
    );
    await expect(
      sandbox.runMany([
        { language: 'javascript', code: '1' },
        { language: 'python', code: 'x = 1', resultVar: 'x' } as never,
      ]),
    ).rejects.toThrow(/`requests\[1\]\.resultVar`: unknown request field/);
    // map() skipped the hole: its record came back undefined.
    const sparse: unknown[] = [];
    sparse[1] = { language: 'javascript', code: 'final_answer(2)' };
    await expect(sandbox.runMany(sparse as never)).rejects.toThrow(
      /`requests\[0\]`: expected a request object, got undefined/,
    );
    await expect(createSandbox({ warmPython: 'no' } as never)).rejects.toThrow(
      /`warmPython`: expected a boolean, got "no"/,
    );
    await expect(createSandbox({ limits: [100] } as never)).rejects.toThrow(
      /`limits`: expected an object, got an array/,
    );
  });

  it('refuses work once closed', async () => {
    const other = await createSandbox({ workers: 1, warmPython: false });
    expect((await other.run({ language: 'javascript', code: 'final_answer(1)' })).result).toBe(1);
    await other.close();
    await expect(other.run({ language: 'javascript', code: '1' })).rejects.toThrow(SandboxClosedError);
  });

  it('ends runs in flight when closed', async () => {
    const other = await createSandbox({ workers: 1, warmPython: false });
    const inFlight = other.run({ language: 'javascript', code: 'while (true) {}', limits: { timeoutMs: 60_000 } });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await other.close();
    await expect(inFlight).rejects.toThrow(SandboxClosedError);
  });
});
