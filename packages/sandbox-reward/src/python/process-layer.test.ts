/**
 * The process layer on its own: a worker started with the interpreter's
 * guards switched off (no audit hook, no module or file-system policy, and
 * Pyodide's JavaScript bridge left in place) is attacked the way a run that
 * defeated the guards would attack. What must still hold is what the process
 * itself guarantees: no host file read or written, no process started, no
 * network connection made, no host environment seen.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../limits.js';
import { PyodideSnapshot, PythonProcess, pyodideDir } from './python-process.js';

const SECRET = 'molrl-process-layer-secret-5d1e';
let dir: string;
let server: Server;
let port = 0;
let connections = 0;
let worker: PythonProcess;

beforeAll(async () => {
  process.env.MOLRL_PROCESS_LAYER_SECRET = SECRET;
  dir = mkdtempSync(join(tmpdir(), 'molrl-process-layer-'));
  writeFileSync(join(dir, 'secret.txt'), SECRET);
  server = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
  worker = new PythonProcess(pyodideDir(), new PyodideSnapshot(), false);
  await worker.ready;
}, 240_000);

afterAll(async () => {
  worker?.kill();
  await worker?.whenExited;
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
  delete process.env.MOLRL_PROCESS_LAYER_SECRET;
});

const limits = { ...DEFAULT_LIMITS, timeoutMs: 60_000 };

it('keeps the host safe when the interpreter guards are off', { timeout: 240_000 }, async () => {
  const canary = join(dir, 'canary');
  // Each attempt prints what it got; the assertions are on the host's side.
  const attack = `
import os, sys
def attempt(name, f):
    try:
        print(name, 'GOT', repr(f())[:200])
    except BaseException as e:
        print(name, 'REFUSED', type(e).__name__)
attempt('import ctypes', lambda: __import__('ctypes'))
attempt('host environment', lambda: dict(os.environ))
attempt('os.system', lambda: os.system('touch ${canary}'))
def node_fs():
    import pyodide_js
    pyodide_js.mountNodeFS('/host', '/')
    return open('/host${join(dir, 'secret.txt')}').read()
attempt('read a host file', node_fs)
def write_host():
    with open('/host${canary}', 'w') as f:
        f.write('x')
attempt('write a host file', write_host)
def connect():
    import socket
    s = socket.create_connection(('127.0.0.1', ${port}), timeout=2)
    return s
attempt('connect', connect)
def bridge():
    import js
    return [k for k in dir(js)]
attempt('js globals', bridge)
def process_object():
    import pyodide_js
    return pyodide_js._module.ENV
attempt('module environment', process_object)
`;
  const record = await worker.run(attack, limits, undefined);
  const output = record.stdout + record.stderr + JSON.stringify(record.error ?? {});
  expect(output).not.toContain(SECRET);
  expect(existsSync(canary)).toBe(false);
  expect(connections).toBe(0);
  // The guards really were off: what they refuse ran here.
  expect(record.stdout).toMatch(/import ctypes (GOT|REFUSED ModuleNotFoundError|REFUSED ImportError)/);
  expect(record.stdout).toContain('host environment GOT');
});

it(
  'retires a worker whose state could not be restored with the record of the run that broke it',
  { timeout: 240_000 },
  async () => {
    // With the guards off, the run reaches the WebAssembly function table and
    // replaces an entry, which the heap restore cannot undo. The worker must say
    // so in its answer: it used to answer first and exit 10 ms later, so the
    // pool handed it the next run, which ran on the tampered interpreter (or was
    // blamed for the exit).
    const tamper = `
import pyodide_js
t = pyodide_js._module.wasmTable
free = [i for i in range(1, t.length) if t.get(i) is None]
t.set(free[0] if free else t.length - 1, t.get(1))
final_answer('tampered')
`;
    const record = await worker.run(tamper, limits, undefined);
    expect(record.result).toBe('tampered');
    expect(worker.retired).toBe(true);
    const exit = await worker.whenExited;
    expect(exit.signal).toBeNull();
  },
);
