/**
 * The process-level layer of the Python sandbox, measured on its own: a Node
 * process started with exactly the worker's flags and environment tries what
 * a script that got past the Python layer would try.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { pyodideDir, WORKER_DIR, workerNodeFlags } from './python-process.js';

const dir = mkdtempSync(join(tmpdir(), 'molrl-confinement-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function confined(script: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...workerNodeFlags(pyodideDir()), '--input-type=module', '-e', script], {
    env: {},
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const attempt = (body: string) =>
  `try { ${body}; console.log('ALLOWED') } catch (e) { console.log(e.code ?? e.message) }`;

it('denies file writes, reads outside Pyodide, child processes and worker threads', { timeout: 120_000 }, () => {
  const canary = join(dir, 'canary');
  const r = confined(
    [
      "import fs from 'node:fs';",
      "import cp from 'node:child_process';",
      "import { Worker } from 'node:worker_threads';",
      attempt(`fs.writeFileSync(${JSON.stringify(canary)}, 'x')`),
      attempt("fs.readFileSync('/etc/passwd', 'utf8')"),
      attempt(`cp.execSync('touch ${canary}')`),
      attempt("new Worker('1', { eval: true })"),
      attempt("process.binding('fs')"),
      attempt(
        `fs.readFileSync(${JSON.stringify(join(pyodideDir(), 'package.json'))}, 'utf8').length > 0 || (() => { throw new Error('empty') })()`,
      ),
      'console.log(JSON.stringify(Object.keys(process.env)))',
    ].join('\n'),
  );
  expect(r.stderr).not.toMatch(/Error: Cannot find|SyntaxError/);
  expect(r.stdout.trim().split('\n')).toEqual([
    'ERR_ACCESS_DENIED',
    'ERR_ACCESS_DENIED',
    'ERR_ACCESS_DENIED',
    'ERR_ACCESS_DENIED',
    'ERR_ACCESS_DENIED',
    // The one thing it may read: the Pyodide package.
    'ALLOWED',
    '[]',
  ]);
  expect(existsSync(canary)).toBe(false);
});

it('leaves JavaScript reached from Python nothing to climb to once hardened', { timeout: 120_000 }, () => {
  const harden = pathToFileURL(join(WORKER_DIR, 'harden-globals.mjs')).href;
  const r = confined(
    [
      `import { hardenGlobals } from ${JSON.stringify(harden)};`,
      'const log = console.log;',
      'hardenGlobals();',
      "const tryIt = (f) => { try { const v = f(); log(typeof v === 'function' ? 'FUNCTION' : String(v)) } catch (e) { log(e.name) } };",
      "tryIt(() => Function('return process')())",
      "tryIt(() => eval('process'))",
      "tryIt(() => (function () {}).constructor('return process')())",
      "tryIt(() => (async function () {}).constructor('return process')())",
      "tryIt(() => (function* () {}).constructor('return process')())",
      "tryIt(() => [].map.constructor('return process')())",
      "tryIt(() => Reflect.construct(Function, ['return process'])())",
      'tryIt(() => typeof process)',
      'tryIt(() => typeof fetch)',
      'tryIt(() => typeof require)',
      // What Pyodide needs afterwards still works.
      'tryIt(() => (() => 1) instanceof Function)',
      'tryIt(() => Function.prototype.apply.call(Math.max, null, [1, 3]))',
    ].join('\n'),
  );
  expect(r.stderr).not.toMatch(/SyntaxError|Cannot find/);
  expect(r.stdout.trim().split('\n')).toEqual([
    'EvalError',
    'EvalError',
    'TypeError',
    'TypeError',
    'TypeError',
    'TypeError',
    'EvalError',
    'undefined',
    'undefined',
    'undefined',
    'true',
    '3',
  ]);
});
