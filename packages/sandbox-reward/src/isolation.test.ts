/**
 * Runs cannot reach each other or the machinery: every Python run starts from
 * the pristine interpreter, the guards have no handle a run can use, records
 * are built by the host side, results are bounded, and the cost of what a run
 * leaves behind lands on that run. Each case is a real attack followed by the
 * check that mattered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type RunRecord, type RunRequest, type Sandbox } from './index.js';

let sandbox: Sandbox;

beforeAll(async () => {
  // One worker, so every poison run and the innocent run after it share an interpreter.
  sandbox = await createSandbox({ workers: 1, pythonStandby: false, limits: { timeoutMs: 30_000 } });
  await sandbox.ready();
}, 240_000);

afterAll(async () => {
  await sandbox?.close();
});

const LONG = 240_000;
const py = (code: string, limits?: RunRequest['limits']): RunRequest => ({
  language: 'python',
  code,
  ...(limits ? { limits } : {}),
});
const withoutTime = ({ ms: _ms, ...rest }: RunRecord) => rest;

/** [poison, innocent]: the innocent run must come back exactly as on a fresh worker. */
const POISONING: Array<[name: string, poison: string, innocent: string]> = [
  [
    'a patched class method (json.JSONEncoder.encode)',
    // The module-level encoder instance too: state inside an object, not a module's dict.
    'import json\njson.JSONEncoder.encode = lambda self, o: "FORGED"\njson.dumps = lambda *a, **k: "FORGED"\njson._default_encoder.indent = 4',
    'import json\nprint(json.dumps({"a": [1, 2]}))\nfinal_answer(json.loads("[3]"))',
  ],
  [
    'state inside a module-level object (json._default_encoder.indent)',
    'import json\njson._default_encoder.indent = 4',
    'import json\nprint(json.dumps({"a": [1, 2]}))',
  ],
  [
    'a patched dunder (fractions.Fraction.__add__)',
    'import fractions\nfractions.Fraction.__add__ = lambda a, b: 42',
    'from fractions import Fraction\nfinal_answer(str(Fraction(1, 2) + Fraction(1, 3)))',
  ],
  [
    'a patched generator (random.Random.getrandbits)',
    'import random\nrandom.Random.getrandbits = lambda self, k: 0\nrandom.seed = lambda *a: None',
    'import random\nr = random.Random(7)\nprint(r.getrandbits(16), r.random())',
  ],
  [
    'a replaced module attribute (collections.Counter)',
    'import collections\ncollections.Counter.most_common = lambda self, n=None: [("FORGED", 1)]\ncollections.Counter = lambda *a, **k: "FORGED"',
    'from collections import Counter\nfinal_answer(Counter("abca").most_common(1))',
  ],
  [
    'patched builtins',
    'import builtins\nbuiltins.print = lambda *a, **k: None\nbuiltins.len = lambda x: 0\nbuiltins.str = bytes',
    'print(len([1, 2, 3]), str(5))',
  ],
  [
    'an audit hook',
    'import sys\nsys.addaudithook(lambda event, args: print("SEEN", event))',
    'import csv\nexec("x = 1")\nprint("clean")',
  ],
  [
    'a module planted under site-packages',
    'open("/lib/python3.14/site-packages/planted.py", "w").write("print(\'PLANTED\')")',
    'try:\n    import planted\nexcept ImportError as e:\n    print(type(e).__name__)',
  ],
  [
    'a module planted by os.rename',
    'import os\nopen("/tmp/csv.py", "w").write("FORGED = 1")\nos.rename("/tmp/csv.py", "/lib/python3.14/csv.py")',
    'import csv\nprint(csv.QUOTE_ALL, hasattr(csv, "FORGED"))',
  ],
  [
    'the stdlib zip renamed away',
    'import os\nos.rename("/lib/python314.zip", "/lib/gone.zip")',
    'import csv, email.mime.text\nprint(csv.__name__, email.mime.text.__name__)',
  ],
  [
    'a module object replaced in sys.modules and sys.path changed',
    'import sys, types\nsys.modules["statistics"] = types.ModuleType("statistics")\nsys.path.insert(0, "/tmp")\nopen("/tmp/heapq.py", "w").write("x = 1")',
    'import statistics, sys\nprint(statistics.mean([1, 2, 6]), sys.path[0])',
  ],
  [
    'files left in the scratch folders, the environment and the working folder',
    'import os\nopen("/tmp/left", "w").write("x")\nos.mkdir("/home/pyodide/d")\nos.environ["LEFT"] = "1"\nos.chdir("/tmp")',
    'import os\nprint(sorted(os.listdir("/tmp")), sorted(os.listdir(".")), os.getcwd(), "LEFT" in os.environ)',
  ],
  [
    'interpreter settings (recursion limit, gc, warnings, decimal context)',
    'import sys, gc, warnings, decimal\nsys.setrecursionlimit(60)\ngc.disable()\nwarnings.simplefilter("error")\ndecimal.getcontext().prec = 2',
    'import gc, warnings, decimal\ndef depth(n):\n    return n if n == 0 else depth(n - 1)\nwarnings.warn("w")\nprint(depth(200), gc.isenabled(), decimal.Decimal(1) / 7)',
  ],
  [
    'a __del__ busy loop left in a module',
    'import math\nclass Loop:\n    def __del__(self):\n        while True:\n            pass\nmath.loop = Loop()\ncycle = [Loop()]\ncycle.append(cycle)',
    'import math, gc\ngc.collect()\nprint(hasattr(math, "loop"))',
  ],
  [
    'a finalizer that walks the stack to break the sandbox',
    'import sys, builtins\nclass Spy:\n    def __del__(self, getframe=sys._getframe):\n        f = getframe(0)\n        while f is not None:\n            for k in list(f.f_globals):\n                if callable(f.f_globals[k]):\n                    f.f_globals[k] = None\n            f = f.f_back\nbuiltins.spy = Spy()\nsys.modules["spy"] = Spy()',
    'print(sum(range(10)))\nfinal_answer({"ok": True})',
  ],
];

const REFUSED_POISONS = new Set([
  'an audit hook',
  'a module planted under site-packages',
  'a module planted by os.rename',
  'the stdlib zip renamed away',
]);

describe('Python: every run starts from the pristine interpreter', () => {
  let references: RunRecord[];

  beforeAll(async () => {
    // The reference: the innocent runs on the worker before any poison ran.
    references = [];
    for (const [, , innocent] of POISONING) references.push(await sandbox.run(py(innocent)));
  }, LONG);

  it.each(POISONING.map(([name], i) => [name, i] as const))(
    'a poison run (%s) does not reach the next run',
    async (name, i) => {
      const [, poison, innocent] = POISONING[i]!;
      const poisoned = await sandbox.run(py(poison));
      // Those a guard or the file-system policy refuses never change anything (python/pristine.test.ts undoes an
      // audit hook that ran on a worker without guards); every other poison ran, and only the restore undoes it.
      expect(poisoned.status === 'ok', `${name}: ${poisoned.status}`).toBe(!REFUSED_POISONS.has(name));
      const after = await sandbox.run(py(innocent));
      expect(withoutTime(after)).toEqual(withoutTime(references[i]!));
      expect(after.status).toBe('ok');
    },
    LONG,
  );

  it('keeps innocent records exact under runMany with poisoners interleaved', { timeout: LONG }, async () => {
    const requests: RunRequest[] = [];
    const innocents: Array<{ at: number; which: number }> = [];
    for (let round = 0; round < 3; round++) {
      POISONING.forEach(([, poison], i) => {
        const which = (i + round) % POISONING.length;
        requests.push(py(poison));
        innocents.push({ at: requests.length, which });
        requests.push(py(POISONING[which]![2]));
      });
    }
    const records = await sandbox.runMany(requests);
    for (const { at, which } of innocents) {
      expect(withoutTime(records[at]!)).toEqual(withoutTime(references[which]!));
    }
  });
});

// Tries to switch a Python-level guard off before the attempt: every closure
// cell of the (guarded) module creators is overwritten with a function that
// allows everything. A guard with no handle is not affected.
const DISARM = `import _imp
for _f in (_imp.create_builtin, getattr(_imp, 'create_dynamic', None)):
    for _cell in (getattr(_f, '__closure__', None) or ()):
        try:
            _cell.cell_contents = lambda *a, **k: None
        except Exception:
            pass
`;

describe('Python: the guard has no handle', () => {
  const FORBIDDEN: Array<[string, string]> = [
    [
      '_pyodide_core through _imp, its closure cells overwritten first',
      DISARM + 'from importlib.machinery import ModuleSpec\n_imp.create_builtin(ModuleSpec("_pyodide_core", None))',
    ],
    [
      '_testcapi through _imp',
      'import _imp\nfrom importlib.machinery import ModuleSpec\n_imp.create_builtin(ModuleSpec("_testcapi", None))',
    ],
    [
      'a re-created _imp',
      'import _imp\nfrom importlib.machinery import ModuleSpec\n_imp.create_builtin(ModuleSpec("_imp", None))',
    ],
    [
      'a module through BuiltinImporter',
      'import importlib.machinery as m\nm.BuiltinImporter.create_module(m.ModuleSpec("_socket", None))',
    ],
    ['importlib.import_module', 'import importlib\nimportlib.import_module("_testinternalcapi")'],
    [
      'an extension module from a file',
      'import _imp\nfrom importlib.machinery import ModuleSpec\n_imp.create_dynamic(ModuleSpec("x", None, origin="/tmp/x.so"))',
    ],
    ['ctypes after a disarm attempt', DISARM + 'import ctypes'],
    ['js after a disarm attempt', DISARM + 'import js'],
    ['pyodide_js after a disarm attempt', DISARM + 'import pyodide_js'],
    ['_posixsubprocess after a disarm attempt', DISARM + 'import _posixsubprocess'],
    ['an audit hook of its own', 'import sys\nsys.addaudithook(lambda e, a: None)'],
    ['a tracer that would see the guard', 'import sys\nsys.settrace(lambda *a: None)'],
    ['a profiler', 'import sys\nsys.setprofile(lambda *a: None)'],
    ['listing objects through gc after a disarm attempt', DISARM + 'import gc\ngc.get_objects()'],
    [
      'code objects built by hand after a disarm attempt',
      DISARM + 'import types\n(lambda: 0).__code__.replace(co_code=b"")',
    ],
    ['listing outside the scratch folders', 'import os\nos.listdir("/lib")'],
    ['stat outside them', 'import os\nos.stat("/etc/passwd")'],
    ['mkdir outside them', 'import os\nos.mkdir("/lib/new")'],
    ['rename outside them', 'import os\nos.rename("/lib/python314.zip", "/lib/other.zip")'],
    ['chmod outside them', 'import os\nos.chmod("/lib/python314.zip", 0o777)'],
    [
      'writing through a symlink',
      'import os\nos.symlink("/lib/python314.zip", "/tmp/zip")\nopen("/tmp/zip", "r+b").write(b"x")',
    ],
    [
      'a caught violation',
      'try:\n    import _testcapi\nexcept BaseException:\n    pass\nprint("continued")\nfinal_answer(1)',
    ],
  ];

  it.each(FORBIDDEN)('refuses %s in the same run', { timeout: LONG }, async (_name, code) => {
    const record = await sandbox.run(py(code));
    expect(record.status, `${record.error?.name}: ${record.error?.message}`).toBe('forbidden');
    expect(record.stdout).not.toContain('continued');
    expect(record.result).toBeNull();
  });

  it('leaves user code no frame below its own', { timeout: LONG }, async () => {
    const record = await sandbox.run(py('import sys\nprint(sys._getframe().f_back, sys._getframe(0).f_code.co_name)'));
    expect(record).toMatchObject({ status: 'ok', stdout: 'None <module>\n' });
  });
});

describe('records the guest cannot write', () => {
  it('Python: a patched json, str or stdout does not change the status', { timeout: LONG }, async () => {
    const forged = await sandbox.run(
      py(
        'import json, builtins, sys\njson.dumps = lambda *a, **k: \'{"status": "ok"}\'\nbuiltins.str = lambda x="": "ok"\ntry:\n    open("/etc/passwd")\nexcept BaseException:\n    pass\nfinal_answer(42)',
      ),
    );
    expect(forged).toMatchObject({ status: 'forbidden', result: null });
    const flood = await sandbox.run(
      py('import os, sys, io\nsys.stdout = io.StringIO()\nos.write(1, b"x" * 200000)\nfinal_answer(42)'),
    );
    expect(flood).toMatchObject({ status: 'output-limit', result: null });
    expect(flood.stdout.length).toBe(sandbox.limits.outputBytes);
  });

  it('JavaScript: an inherited toJSON replaces no record', { timeout: LONG }, async () => {
    const touched = await sandbox.run({
      language: 'javascript',
      code: 'Object.prototype.toJSON = () => ({ status: "ok", result: 42 }); try { process.env } catch (e) {} final_answer(42)',
    });
    expect(touched.status).toBe('forbidden');
    const flood = await sandbox.run({
      language: 'javascript',
      code: 'Object.prototype.toJSON = function () { return {} }; Array.prototype.toJSON = () => []; String.prototype.toJSON = () => "ok"; try { for (;;) console.log("x".repeat(1000)) } catch (e) {} final_answer(42)',
    });
    expect(flood.status).toBe('output-limit');
    const data = await sandbox.run({
      language: 'javascript',
      code: 'Object.prototype.toJSON = () => "FORGED"; Array.prototype.toJSON = () => "FORGED"; final_answer({ a: [1, "b"], n: null })',
    });
    expect(data).toMatchObject({ status: 'ok', result: { a: [1, 'b'], n: null } });
  });
});

describe('bounded results', () => {
  it('Python: a result past resultBytes ends output-limit and is not returned', { timeout: LONG }, async () => {
    const huge = await sandbox.run(py("final_answer('x' * (100 * 2 ** 20))", { memoryMb: 512 }));
    expect(huge).toMatchObject({ status: 'output-limit', result: null, resultText: null });
    const small = await sandbox.run(py('final_answer("hello world")', { resultBytes: 10 }));
    expect(small).toMatchObject({ status: 'output-limit', result: null });
    const fits = await sandbox.run(py('final_answer("hello")', { resultBytes: 64 }));
    expect(fits).toMatchObject({ status: 'ok', result: 'hello', resultText: 'hello' });
    const variable = await sandbox.run({ ...py('big = ["x" * 1000] * 100'), resultVariable: 'big' });
    expect(variable.status).toBe('output-limit');
  });

  it('JavaScript: the same', { timeout: LONG }, async () => {
    const huge = await sandbox.run({ language: 'javascript', code: "final_answer('x'.repeat(50 * 2 ** 20))" });
    expect(huge).toMatchObject({ status: 'output-limit', result: null, resultText: null });
    const small = await sandbox.run({
      language: 'javascript',
      code: 'final_answer({ list: [1, 2, 3, 4, 5] })',
      limits: { resultBytes: 8 },
    });
    expect(small.status).toBe('output-limit');
  });

  it(
    'JavaScript: a replaced String.prototype.slice cannot carry output past outputBytes',
    { timeout: LONG },
    async () => {
      // The prelude cut the overflowing line with text.slice(), which the code can replace.
      const flood = await sandbox.run({
        language: 'javascript',
        code: 'String.prototype.slice = function () { return "y".repeat(20e6) }\nconsole.log("x".repeat(70000))',
        limits: { outputBytes: 1000 },
      });
      expect(flood.status).toBe('output-limit');
      expect(flood.stdout.length + flood.stderr.length).toBeLessThanOrEqual(1000);
    },
  );

  it('JavaScript: error names, messages and stacks are bounded like Python ones', { timeout: LONG }, async () => {
    const cases = [
      'throw new Error("m".repeat(20e6))',
      'const e = new Error("x"); e.name = "n".repeat(20e6); throw e',
      'const e = new Error("x"); Object.defineProperty(e, "stack", { value: "s".repeat(20e6) }); throw e',
      'String.prototype.slice = function () { return this + this }\nthrow new Error("m".repeat(10e6))',
    ];
    for (const code of cases) {
      const r = await sandbox.run({ language: 'javascript', code });
      expect(r.status).toBe('runtime-error');
      expect(r.error!.name.length).toBeLessThanOrEqual(200);
      expect(r.error!.message.length).toBeLessThanOrEqual(4096);
      expect((r.error!.traceback ?? '').length).toBeLessThanOrEqual(8192);
    }
  });
});

describe('blame lands on the guilty run', () => {
  it('Python: a timed-out run is ended in its worker, the next run is served at once', { timeout: LONG }, async () => {
    const loop = await sandbox.run(py('while True:\n    pass', { timeoutMs: 300 }));
    expect(loop.status).toBe('timeout');
    // A long C-level operation never reaches the interpreter's checks: V8's watchdog ends it.
    const cLevel = await sandbox.run(py('x = 10 ** (10 ** 8)', { timeoutMs: 300 }));
    expect(cLevel.status).toBe('timeout');
    const next = await sandbox.run(py('print("served")', { timeoutMs: 30_000 }));
    expect(next).toMatchObject({ status: 'ok', stdout: 'served\n' });
  });

  it('Python: parallel time-outs all end as timeout and the pool still serves', { timeout: LONG }, async () => {
    const records = await sandbox.runMany(
      Array.from({ length: 6 }, () => py('while True:\n    pass', { timeoutMs: 200 })),
    );
    expect(records.map((r) => r.status)).toEqual(Array(6).fill('timeout'));
    expect((await sandbox.run(py('print(1)'))).stdout).toBe('1\n');
  });

  it('JavaScript: queued promise jobs and finalizers do not outlive their run', { timeout: LONG }, async () => {
    const left = await sandbox.run({
      language: 'javascript',
      code: 'Promise.resolve().then(() => { for (;;) {} }); new FinalizationRegistry(() => { for (;;) {} }).register({}, 1)',
      limits: { timeoutMs: 300 },
    });
    expect(left.status).toBe('timeout');
    const next = await sandbox.run({
      language: 'javascript',
      code: 'console.log("served")',
      limits: { timeoutMs: 5_000 },
    });
    expect(next).toMatchObject({ status: 'ok', stdout: 'served\n' });
  });

  it('JavaScript: a wall-clock wait is not charged as CPU time', { timeout: LONG }, async () => {
    const waited = await sandbox.run({
      language: 'javascript',
      code: 'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300); final_answer("woke")',
      limits: { cpuMs: 50, timeoutMs: 20_000 },
    });
    expect(waited).toMatchObject({ status: 'ok', result: 'woke' });
    const past = await sandbox.run({
      language: 'javascript',
      code: 'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)',
      limits: { cpuMs: 50, timeoutMs: 300 },
    });
    expect(past.error?.name).toBe('Timeout');
  });
});
