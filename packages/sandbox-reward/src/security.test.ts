/**
 * Escape and abuse attempts. Each one is really attempted; each asserts the
 * status the sandbox reports AND that the host is unharmed (no canary file,
 * no network connection, environment unchanged, no host prototype touched)
 * AND that the sandbox still serves a plain run afterwards.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Language, type RunRecord, type RunStatus, type Sandbox } from './index.js';

const SECRET = 'molrl-secret-canary-7f3a';
let sandbox: Sandbox;
let canaryDir: string;
let server: Server;
let port = 0;
let connections = 0;
let envBefore: string;

beforeAll(async () => {
  process.env.MOLRL_TEST_SECRET = SECRET;
  envBefore = JSON.stringify(process.env);
  canaryDir = mkdtempSync(join(tmpdir(), 'molrl-sandbox-canary-'));
  server = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
  // Generous default: legitimate runs must not time out on a loaded machine.
  sandbox = await createSandbox({ workers: 2, limits: { timeoutMs: 30_000 } });
  await sandbox.ready();
}, 240_000);

afterAll(async () => {
  await sandbox?.close();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  rmSync(canaryDir, { recursive: true, force: true });
  delete process.env.MOLRL_TEST_SECRET;
});

const canary = (name: string) => join(canaryDir, name);

async function attempt(
  language: Language,
  code: string,
  expected: RunStatus | RunStatus[],
  timeoutMs?: number,
): Promise<RunRecord> {
  const record = await sandbox.run({ language, code, ...(timeoutMs ? { limits: { timeoutMs } } : {}) });
  const allowed = Array.isArray(expected) ? expected : [expected];
  expect(
    allowed,
    `${language} attempt ended ${record.status}: ${record.error?.name}: ${record.error?.message}`,
  ).toContain(record.status);
  await expectHostUnharmed(language);
  return record;
}

async function expectHostUnharmed(language: Language): Promise<void> {
  expect(JSON.stringify(process.env)).toBe(envBefore);
  expect(connections).toBe(0);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(typeof Array.prototype.push).toBe('function');
  const followUp = await sandbox.run({
    language,
    code: language === 'python' ? 'print(6 * 7)' : 'console.log(6 * 7)',
  });
  expect(followUp.status).toBe('ok');
  expect(followUp.stdout).toBe('42\n');
}

const PY_LONG = 180_000;

describe('Python escapes', () => {
  it('cannot read host files', { timeout: PY_LONG }, async () => {
    const r = await attempt('python', "print(open('/etc/passwd').read())", 'forbidden');
    expect(r.stdout).not.toContain('root:');
    await attempt('python', "import pathlib\nprint(pathlib.Path('/etc/hostname').read_text())", 'forbidden');
    await attempt('python', "import io\nio.open('/proc/self/environ', 'rb').read()", 'forbidden');
  });

  it('sees no host environment variables', { timeout: PY_LONG }, async () => {
    const r = await attempt(
      'python',
      'import os\nprint(dict(os.environ))\nprint(os.getenv("MOLRL_TEST_SECRET"))',
      'ok',
    );
    expect(r.stdout).not.toContain(SECRET);
    expect(r.stdout).toContain('None');
  });

  it('cannot write host files', { timeout: PY_LONG }, async () => {
    // Outside the scratch folders: refused.
    await attempt(
      'python',
      `open(${JSON.stringify(canary('etc-write'))}.replace('/tmp/', '/etc/'), 'w').write('x')`,
      'forbidden',
    );
    // Inside the sandbox's /tmp the write lands in the interpreter's in-memory
    // file system, never on the host disk.
    const path = canary('tmp-write');
    await attempt(
      'python',
      `import os\nos.makedirs(${JSON.stringify(canaryDir)}, exist_ok=True)\nopen(${JSON.stringify(path)}, 'w').write('x')`,
      'ok',
    );
    expect(existsSync(path)).toBe(false);
  });

  it('cannot spawn processes', { timeout: PY_LONG }, async () => {
    const path = canary('spawned');
    await attempt('python', `import os\nos.system('touch ${path}')`, 'forbidden');
    await attempt('python', `import subprocess\nsubprocess.run(['touch', '${path}'])`, 'forbidden');
    await attempt('python', `import os\nos.popen('touch ${path}').read()`, 'forbidden');
    await attempt('python', `import os\nos.execv('/usr/bin/touch', ['touch', '${path}'])`, 'forbidden');
    expect(existsSync(path)).toBe(false);
  });

  it('cannot open sockets', { timeout: PY_LONG }, async () => {
    await attempt('python', `import socket\ns = socket.socket()\ns.connect(('127.0.0.1', ${port}))`, 'forbidden');
    await attempt('python', `import socket\nsocket.create_connection(('127.0.0.1', ${port}))`, 'forbidden');
    await attempt('python', `import urllib.request\nurllib.request.urlopen('http://127.0.0.1:${port}/')`, 'forbidden');
    expect(connections).toBe(0);
  });

  it("cannot import Pyodide's JavaScript bridge or host modules", { timeout: PY_LONG }, async () => {
    await attempt('python', 'import js\nprint(js.process.env)', 'forbidden');
    await attempt('python', 'import pyodide_js', 'forbidden');
    await attempt('python', "from pyodide.code import run_js\nrun_js('process.exit(1)')", 'forbidden');
    await attempt('python', 'from pyodide.ffi import create_proxy', 'forbidden');
    await attempt('python', 'import importlib\nimportlib.import_module("js")', 'forbidden');
    await attempt('python', 'import ctypes', 'forbidden');
    await attempt(
      'python',
      'import _imp\nfrom importlib.machinery import ModuleSpec\ncore = _imp.create_builtin(ModuleSpec("_pyodide_core", None))',
      'forbidden',
    );
    await attempt(
      'python',
      'import _imp\nfrom importlib.machinery import ModuleSpec\nfresh = _imp.create_builtin(ModuleSpec("_imp", None))',
      'forbidden',
    );
  });

  it('finds no JavaScript object by walking the interpreter', { timeout: PY_LONG }, async () => {
    // Every class, the functions in their dicts and those functions' globals,
    // every loaded module: no JsProxy instance and no `js` module anywhere.
    const r = await attempt(
      'python',
      `import sys, types
found = []
def check(x, where):
    t = type(x)
    if 'JsProxy' in t.__name__ or t.__module__ in ('pyodide.ffi', '_pyodide_core') and t.__name__.startswith('Js'):
        found.append(where)
    if isinstance(x, types.ModuleType) and getattr(x, '__name__', None) in ('js', 'pyodide_js'):
        found.append(where)
seen = set()
stack = [object]
while stack:
    c = stack.pop()
    try:
        subs = type.__subclasses__(c)
    except TypeError:
        continue
    for s in subs:
        if id(s) in seen:
            continue
        seen.add(id(s))
        stack.append(s)
        for k, v in list(vars(s).items()):
            check(v, f'{s.__name__}.{k}')
            g = getattr(v, '__globals__', None)
            if isinstance(g, dict):
                for gk, gv in list(g.items()):
                    check(gv, f'{s.__name__}.{k}.__globals__[{gk}]')
for name, m in list(sys.modules.items()):
    check(m, name)
    for k, v in list(getattr(m, '__dict__', {}).items()):
        check(v, f'{name}.{k}')
frame = sys._getframe()
depth = 0
while frame is not None:
    for k in ('begin', 'finish', 'baseline', 'take_violations'):
        if k in frame.f_globals:
            found.append(f'frame {depth} globals {k}')
    frame = frame.f_back
    depth += 1
print(len(seen) > 100, found)`,
      'ok',
    );
    expect(r.stdout.trim()).toBe('True []');
  });

  it('cannot list objects through gc', { timeout: PY_LONG }, async () => {
    await attempt('python', 'import gc\nprint(len(gc.get_objects()))', 'forbidden');
    await attempt('python', 'import gc, sys\ngc.get_referrers(sys.modules)', 'forbidden');
  });

  it('cannot leave patched builtins or modules behind for the next run', { timeout: PY_LONG }, async () => {
    // Run the poison on every worker, then check every worker.
    const poison =
      'import builtins, math, json\nbuiltins.print = lambda *a, **k: None\nmath.pi = 3\njson.dumps = lambda *a, **k: "hacked"\nbuiltins.abs = None';
    await sandbox.runMany([0, 1, 2, 3].map(() => ({ language: 'python' as const, code: poison })));
    const checks = await sandbox.runMany(
      [0, 1, 2, 3].map(() => ({
        language: 'python' as const,
        code: 'import math, json\nprint(math.pi, json.dumps(1), abs(-2))',
      })),
    );
    for (const c of checks) expect(c.stdout).toBe('3.141592653589793 1 2\n');
  });

  it('gives finalizers no sandbox frame to tamper with', { timeout: PY_LONG }, async () => {
    // Objects whose __del__ walks the stack looking for the sandbox's own
    // functions, left where the end-of-run cleanup frees them.
    const spy = `import sys, math, builtins
class Spy:
    # Defaults, because the run's globals are gone by the time it is freed.
    def __del__(self, getframe=sys._getframe, callable=callable, list=list):
        f = getframe(0)
        while f is not None:
            g = f.f_globals
            if 'begin' in g or 'baseline' in g:
                # The sandbox's namespace: break every function in it, so the
                # rest of the cleanup (and the run's record) would fail.
                for name in list(g):
                    if callable(g[name]):
                        g[name] = None
            f = f.f_back
local_spy = Spy()
math.spy = Spy()
builtins.spy = Spy()
sys.modules['spy_module'] = Spy()
cycle = [Spy()]
cycle.append(cycle)
print('planted')`;
    const planted = await sandbox.runMany([0, 1, 2, 3].map(() => ({ language: 'python' as const, code: spy })));
    for (const r of planted) expect(r).toMatchObject({ status: 'ok', stdout: 'planted\n' });
    const after = await sandbox.runMany(
      [0, 1, 2, 3].map(() => ({ language: 'python' as const, code: "import math\nprint(hasattr(math, 'spy'))" })),
    );
    for (const r of after) expect(r).toMatchObject({ status: 'ok', stdout: 'False\n' });
    await attempt('python', "open('/etc/passwd')", 'forbidden');
  });

  it('stops an infinite loop and a long sleep with timeout', { timeout: PY_LONG }, async () => {
    await attempt('python', 'while True:\n    pass', 'timeout', 500);
    await attempt('python', 'import time\ntime.sleep(3600)', 'timeout', 500);
  });

  it('turns deep recursion into an error', { timeout: PY_LONG }, async () => {
    const r = await attempt('python', 'def f(n):\n    return f(n + 1)\nf(0)', 'runtime-error');
    expect(r.error?.name).toBe('RecursionError');
    await attempt('python', 'import sys\nsys.setrecursionlimit(10**7)\ndef f(n):\n    return f(n + 1)\nf(0)', [
      'runtime-error',
      'memory',
    ]);
  });

  it('bounds memory bombs', { timeout: PY_LONG }, async () => {
    await attempt('python', "x = 'a' * (2 ** 30)", 'memory');
    await attempt('python', 'x = [0] * (2 ** 28)', 'memory');
    await attempt('python', 'xs = []\nwhile True:\n    xs.append(bytearray(10 ** 7))', 'memory');
  });

  it(
    'holds scratch files and pipes (JavaScript memory) to the memory limit: ENOSPC past it',
    { timeout: PY_LONG },
    async () => {
      const full = async (code: string) => {
        const r = await attempt('python', code, 'runtime-error');
        expect(r.error?.message).toMatch(/No space left on device/);
      };
      // Files filling /tmp, a write far past the end, truncate() to a size, a file unlinked but held open, a pipe nobody reads.
      await full(
        "chunk = b'x' * 2 ** 26\nfor i in range(40):\n    with open(f'/tmp/f{i}', 'wb') as f:\n        f.write(chunk)",
      );
      await full("f = open('/tmp/s', 'wb')\nf.seek(2 ** 30)\nf.write(b'x')\nf.close()");
      await full("import os\nopen('/tmp/t', 'wb').close()\nos.truncate('/tmp/t', 2 ** 30)");
      await full(
        "import os\nkept = []\nfor i in range(40):\n    f = open(f'/tmp/u{i}', 'wb')\n    os.unlink(f'/tmp/u{i}')\n    f.write(b'x' * 2 ** 23)\n    f.flush()\n    kept.append(f)",
      );
      await full("import os\nr, w = os.pipe()\nfor i in range(400):\n    os.write(w, b'x' * 2 ** 20)");
      // What is freed is room again: 300 MiB written through one file, removed each time.
      const churn = await attempt(
        'python',
        "import os\nfor i in range(30):\n    with open('/tmp/c', 'wb') as f:\n        f.write(b'x' * 10 * 2 ** 20)\n    os.unlink('/tmp/c')\nfinal_answer(i)",
        'ok',
      );
      expect(churn.result).toBe(29);
    },
  );

  it('cuts output floods', { timeout: PY_LONG }, async () => {
    const r = await attempt('python', "while True:\n    print('x' * 1000)", 'output-limit');
    expect(r.stdout.length).toBeLessThanOrEqual(sandbox.limits.outputBytes);
    await attempt('python', "import sys\nwhile True:\n    sys.stderr.write('y' * 10000)", 'output-limit');
  });

  it('refuses fork and thread bombs', { timeout: PY_LONG }, async () => {
    await attempt('python', 'import os\nwhile True:\n    os.fork()', 'forbidden');
    await attempt(
      'python',
      'import threading\nwhile True:\n    threading.Thread(target=lambda: None).start()',
      'forbidden',
    );
    await attempt('python', 'import _thread\n_thread.start_new_thread(print, (1,))', 'forbidden');
  });

  it('cannot abort the interpreter (its worker would be replaced, seconds of CPU)', { timeout: PY_LONG }, async () => {
    for (const code of [
      'import signal\nsignal.raise_signal(signal.SIGABRT)',
      'import _signal\n_signal.raise_signal(6)',
      'import os\nos.abort()',
    ]) {
      const r = await attempt('python', code, 'runtime-error');
      expect(r.error?.name).toMatch(/^(AttributeError|SystemExit)$/);
    }
    await attempt('python', 'import os, signal\nos.kill(os.getpid(), signal.SIGABRT)', 'forbidden');
  });

  it('refuses a caught violation too', { timeout: PY_LONG }, async () => {
    await attempt(
      'python',
      "try:\n    open('/etc/passwd').read()\nexcept Exception:\n    pass\nprint('carried on')",
      'forbidden',
    );
  });
});

describe('JavaScript escapes', () => {
  it('cannot read host files or environment variables', async () => {
    await attempt('javascript', "require('fs').readFileSync('/etc/passwd', 'utf8')", 'forbidden');
    await attempt('javascript', 'console.log(JSON.stringify(process.env))', 'forbidden');
    await attempt('javascript', "import('node:fs').then((fs) => fs.readFileSync('/etc/passwd'))", 'forbidden');
    const r = await attempt('javascript', 'console.log(Object.keys(globalThis).join(","))', 'ok');
    expect(r.stdout).not.toContain(SECRET);
  });

  it('cannot write files or spawn processes', async () => {
    const path = canary('js-spawned');
    await attempt('javascript', `require('child_process').execSync('touch ${path}')`, 'forbidden');
    await attempt('javascript', `require('fs').writeFileSync('${path}', 'x')`, 'forbidden');
    expect(existsSync(path)).toBe(false);
  });

  it('cannot open sockets', async () => {
    await attempt('javascript', `fetch('http://127.0.0.1:${port}/')`, 'forbidden');
    await attempt('javascript', `new WebSocket('ws://127.0.0.1:${port}/')`, 'forbidden');
    await attempt('javascript', `new XMLHttpRequest()`, 'forbidden');
    expect(connections).toBe(0);
  });

  it('finds no host object through constructor chains', async () => {
    await attempt('javascript', "this.constructor.constructor('return process')().exit(1)", 'forbidden');
    await attempt('javascript', 'console.log.constructor(\'return process.mainModule.require("fs")\')()', 'forbidden');
    const r = await attempt(
      'javascript',
      "const g = Function('return this')(); console.log(typeof g.require, Object.getOwnPropertyNames(g).filter((k) => /^(global|process|Buffer|require)$/.test(k)).join(','))",
      'ok',
    );
    // The names exist (feature tests work) but are the sandbox's refusing stand-ins.
    expect(r.stdout).toBe('function require,process,Buffer\n');
  });

  it('cannot pollute host prototypes, nor the next run', async () => {
    await attempt(
      'javascript',
      "Object.prototype.polluted = 'yes'; Array.prototype.push = null; globalThis.leak = 1",
      'ok',
    );
    const r = await attempt('javascript', 'console.log(({}).polluted, typeof [].push, typeof leak)', 'ok');
    expect(r.stdout).toBe('undefined function undefined\n');
  });

  it('stops infinite loops and long sleeps with timeout', async () => {
    await attempt('javascript', 'while (true) {}', 'timeout', 300);
    await attempt('javascript', 'const t = Date.now(); while (Date.now() - t < 60000) {}', 'timeout', 300);
    await attempt('javascript', 'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)', 'timeout', 300);
    await attempt('javascript', 'for (;;) { try { for (;;) {} } catch (e) {} }', 'timeout', 300);
  });

  it('enforces the CPU-time limit', { timeout: 180_000 }, async () => {
    const r = await sandbox.run({
      language: 'javascript',
      // A fixed amount of work (hundreds of ms of CPU), however loaded the machine.
      code: 'let x = 0; for (let i = 0; i < 2e8; i++) x += i % 7;',
      limits: { cpuMs: 20, timeoutMs: 120_000 },
    });
    expect(r.status).toBe('timeout');
    expect(r.error?.name).toBe('CpuTimeLimit');
  });

  it('turns deep recursion into an error', async () => {
    const r = await attempt('javascript', 'function f(n) { return f(n + 1) + 1 } f(0)', 'runtime-error');
    expect(r.error?.name).toBe('RangeError');
  });

  it('bounds memory bombs and replaces the isolate', async () => {
    await attempt('javascript', 'const a = []; for (;;) a.push(new Array(1e6).fill(1))', 'memory');
    await attempt('javascript', "let s = 'x'; for (;;) s += s", 'memory');
    await attempt('javascript', 'new ArrayBuffer(2 ** 31)', 'memory');
    await attempt('javascript', 'new WebAssembly.Memory({ initial: 30000 })', 'forbidden');
    // Resizable and growable buffers take their memory outside the heap limit, as WebAssembly's do.
    for (const code of [
      'const b = new ArrayBuffer(0, { maxByteLength: 2 ** 29 }); b.resize(2 ** 29)',
      'new SharedArrayBuffer(0, { maxByteLength: 2 ** 29 }).grow(2 ** 29)',
      'Reflect.construct(new Uint8Array(1).buffer.constructor, [0, { maxByteLength: 2 ** 29 }])',
      'ArrayBuffer.prototype.resize.call(new ArrayBuffer(8), 16)',
    ])
      await attempt('javascript', code, 'forbidden');
  });

  it('keeps fixed-length buffers as they are', async () => {
    const r = await attempt(
      'javascript',
      'class X extends ArrayBuffer {}; const b = new ArrayBuffer(16); new Uint8Array(b)[3] = 7; ' +
        'final_answer([b.byteLength, new Uint8Array(b)[3], b.resizable, new Uint8Array(2).buffer instanceof ArrayBuffer, ' +
        'new X(4) instanceof X, new SharedArrayBuffer(8).byteLength, ArrayBuffer.isView(new Uint8Array(1))])',
      'ok',
    );
    expect(r.result).toEqual([16, 7, false, true, true, 8, true]);
  });

  it('cuts output floods', async () => {
    const r = await attempt('javascript', "for (;;) console.log('x'.repeat(1000))", 'output-limit');
    expect(r.stdout.length).toBeLessThanOrEqual(sandbox.limits.outputBytes);
    await attempt(
      'javascript',
      "for (;;) { try { console.error('y'.repeat(1000)) } catch (e) {} }",
      ['output-limit', 'timeout'],
      500,
    );
  });

  it('refuses worker bombs', async () => {
    await attempt('javascript', "for (;;) new Worker('data:,')", 'forbidden');
  });
});
