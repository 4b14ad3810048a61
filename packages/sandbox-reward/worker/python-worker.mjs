// The Python sandbox worker: one Node process running one Pyodide interpreter.
//
// It is started by the host (src/python/python-process.ts) with Node's
// permission model: file reads limited to the Pyodide package folder and this
// folder, no file writes, no child processes, no worker threads, no native
// addons, and an empty environment. The host talks to it over the IPC channel,
// and at start sends it the memory snapshot's bytes on one more pipe (fd 4),
// which it reads once and closes. Plain JavaScript (not TypeScript) because it
// runs under `node` directly, with no loader, inside the permission sandbox.
//
// Every run starts from the same pristine interpreter: after set-up, the
// worker snapshots the WebAssembly heap and the file-system state
// (heap-snapshot.mjs) and restores it after each run: the pages the run wrote,
// which the rewritten interpreter marks as it writes them (write-tracking.mjs,
// dirty-pages.mjs), or the whole heap when a run wrote in a way not tracked. Within a run, the
// interpreter's guards live in JavaScript (audit-policy.mjs, fs-policy.mjs,
// run-control.mjs), and the record is read out of the heap by the C-API
// driver (python-run.mjs).
import { readFileSync, constants as fsConstants } from 'node:fs';
import { Socket } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import vm from 'node:vm';
import { createAuditHook } from './audit-policy.mjs';
import { PageTracker } from './dirty-pages.mjs';
import { createDevicesAndScratch, installFsPolicy, OutputCapture } from './fs-policy.mjs';
import { hardenGlobals } from './harden-globals.mjs';
import { HeapSnapshot } from './heap-snapshot.mjs';
import { PythonRunner } from './python-run.mjs';
import { RunEnded, runControl } from './run-control.mjs';

const pyodideDir = process.argv[2];
if (!pyodideDir) throw new Error('python-worker: missing the Pyodide folder argument');

// Keep what this file needs from `process` before the globals are stripped.
const send = process.send.bind(process);
const onMessage = process.on.bind(process);
const exit = process.exit.bind(process);
const now = performance.now.bind(performance);

// Pyodide's NODEFS reads open-flag constants through process.binding, which the
// permission model forbids; hand it the same constants from node:fs.
const realBinding = process.binding;
process.binding = (name) => {
  if (name === 'constants') return { fs: fsConstants };
  return realBinding.call(process, name);
};

// The memory limit of a run is enforced where the WebAssembly heap grows: a
// refused grow makes malloc fail, which Python reports as MemoryError. The
// scratch files and pipes (JavaScript memory) share it: fs-policy.mjs.
let memoryLimitBytes = 256 * 2 ** 20;
let scratchFolders = null;
const wasmGrow = WebAssembly.Memory.prototype.grow;
WebAssembly.Memory.prototype.grow = function grow(deltaPages) {
  const over = () => this.buffer.byteLength + deltaPages * 65536 + (scratchFolders?.used ?? 0) > memoryLimitBytes;
  if (over() && (scratchFolders?.measure(), over())) {
    throw new RangeError('sandbox memory limit reached');
  }
  return wasmGrow.call(this, deltaPages);
};

// Every WebAssembly module that reaches the heap is compiled from rewritten
// bytes that mark the pages they write; installed before Pyodide compiles.
const tracker = new PageTracker();
tracker.install();

// A FinalizationRegistry that never calls back, for Pyodide: a JavaScript
// proxy of a Python object that is garbage-collected after a restore must
// never decrement a reference count in the restored heap.
globalThis.FinalizationRegistry = class FinalizationRegistry {
  register() {}
  unregister() {
    return false;
  }
};

/**
 * Read the given byte lengths, one after another, from fd 4, which the host
 * writes and ends: views of one buffer, null for a length of 0. Fewer or more
 * bytes than announced is an error (the worker then exits before it is ready).
 */
function readBulk(lengths) {
  const total = lengths.reduce((a, b) => a + b, 0);
  const whole = new Uint8Array(total);
  let received = 0;
  return new Promise((resolve, reject) => {
    const pipe = new Socket({ fd: 4, readable: true, writable: false });
    pipe.on('data', (chunk) => {
      if (received + chunk.length > total) {
        pipe.destroy();
        reject(new Error(`python-worker: the host sent more than the ${total} bytes it announced`));
        return;
      }
      whole.set(chunk, received);
      received += chunk.length;
    });
    pipe.on('error', reject);
    pipe.on('end', () => {
      pipe.destroy();
      if (received !== total) {
        reject(new Error(`python-worker: the host sent ${received} of the ${total} bytes it announced`));
        return;
      }
      let at = 0;
      resolve(lengths.map((n) => (n ? whole.subarray(at, (at += n)) : null)));
    });
  });
}

// The host's first message says how to start: from its memory snapshot of a
// freshly loaded interpreter (fast), or from scratch, optionally making one;
// `guard: false` (tests of the process layer only) leaves the interpreter's
// guards out.
const init = await new Promise((resolve) => process.once('message', resolve));
const guarded = init.guard !== false;
// The snapshot's bytes, then the rewritten interpreter's, follow on fd 4 (raw bytes, not a message).
const [snapshotBytes, trackedBytes] = await readBulk([init.snapshotBytes ?? 0, init.trackedWasm?.byteLength ?? 0]);
// The pool's rewrite of the interpreter, made by its first worker: this one
// need not rewrite it again (it is used only for bytes with the same hash).
if (init.trackedWasm)
  tracker.prebuilt = {
    sourceHash: init.trackedWasm.sourceHash,
    bootMap: init.trackedWasm.bootMap,
    bytes: trackedBytes,
  };
const here = dirname(fileURLToPath(import.meta.url));
const { loadPyodide } = await import(pathToFileURL(join(pyodideDir, 'pyodide.mjs')).href);
const pyodide = await loadPyodide({
  indexURL: pyodideDir.endsWith('/') ? pyodideDir : pyodideDir + '/',
  // A fixed hash seed: set order and str hashes are the same in every worker.
  env: { HOME: '/home/pyodide', PYTHONHASHSEED: '0' },
  stdout: () => {},
  stderr: () => {},
  // Pyodide's `js` module is this object: empty, not the real globalThis.
  jsglobals: {},
  ...(snapshotBytes ? { _loadSnapshot: snapshotBytes } : {}),
  ...(init.makeSnapshot ? { _makeSnapshot: true } : {}),
});
if (!snapshotBytes) {
  pyodide.runPython(readFileSync(join(here, 'preload.py'), 'utf8'), { filename: '<molrl-preload>' });
  if (init.makeSnapshot) {
    send({ type: 'snapshot', bytes: pyodide.makeMemorySnapshot() });
    if (tracker.ownRewrite) send({ type: 'tracked-wasm', ...tracker.ownRewrite });
  }
}

const module = pyodide._module;
let aborted = false;
const previousOnAbort = module.onAbort;
module.onAbort = (what) => {
  aborted = true;
  previousOnAbort?.(what);
};

// The interpreter set-up (guest.py), then the guards, then the snapshot.
const output = new OutputCapture();
const scratch = createDevicesAndScratch(module.FS, module.MEMFS, output);
scratchFolders = scratch;
const setupNamespace = pyodide.globals.get('dict')();
pyodide.runPython(readFileSync(join(here, 'guest.py'), 'utf8'), {
  globals: setupNamespace,
  filename: '<molrl-sandbox>',
});
const setupResult = setupNamespace.get('setup')();
const blockedModules = setupNamespace.get('BLOCKED_MODULES').toJs();
const objects = {};
for (const name of ['final_answer', 'answers', 'FinalAnswer', 'prepare', 'describe', 'text_of', 'builtins']) {
  const proxy = setupResult.get(name);
  objects[name] = module.PyProxy_getPtr(proxy);
  // Pinned: held by no Python object, only by this reference count.
  module._Py_IncRef(objects[name]);
  proxy.destroy();
}
const environment = { python: setupResult.get('python'), replaced: setupResult.get('replaced').toJs() };

if (guarded) {
  // A C-level audit hook: the interpreter holds a function pointer, no Python object.
  const auditHook = createAuditHook(module, blockedModules);
  tracker.pureFunctions.add(auditHook);
  if (module._PySys_AddAuditHook(module.addFunction(auditHook, 'iiii'), 0) !== 0) {
    throw new Error('python-worker: the interpreter refused the audit hook');
  }
  setupNamespace.get('install_guards')();
  setupNamespace.get('remove_js_bridge')();
  for (const name of ['js', 'pyodide_js']) {
    try {
      pyodide.unregisterJsModule(name);
    } catch {
      // already gone
    }
  }
  installFsPolicy(module.FS, module.MEMFS, module.PIPEFS, module.PATH_FS, scratch, () =>
    Math.max(0, memoryLimitBytes - module.HEAPU8.length),
  );
}
// Dropping the bridge cleared the path finders: fill their caches again.
setupNamespace.get('warm_import_caches')();
setupResult.destroy();
setupNamespace.clear();
setupNamespace.destroy();
module._PyGC_Collect();

// Pyodide checks this every few dozen bytecode steps (and on each call); the
// getter turns the check into the run's deadline and its end.
const quiet = new Int32Array(1);
Object.defineProperty(module, 'Py_EmscriptenSignalBuffer', {
  configurable: false,
  get() {
    runControl.check();
    return quiet;
  },
  set() {},
});
module.HEAP8[module._Py_EMSCRIPTEN_SIGNAL_HANDLING] = 1;

// A run that overstays its limit inside one long C-level operation (which
// never reaches the signal check) is stopped by V8 itself: the run is called
// from a script with a timeout, whose watchdog terminates the execution.
const watchdog = vm.createContext({ task: null });
const callTask = new vm.Script('task()');
const withTimeout = (task, ms) => {
  watchdog.task = task;
  try {
    return callTask.runInContext(watchdog, { timeout: Math.max(1, Math.ceil(ms)) });
  } finally {
    watchdog.task = null;
  }
};

const runner = new PythonRunner(module, objects, tracker);
const MAX_KEPT_GROWTH = 32 * 2 ** 20;
tracker.placeMap(module._malloc, () => module.HEAPU8);
const baselineHeapBytes = module.HEAPU8.length;
const snapshot = new HeapSnapshot(module, scratch, tracker);
tracker.untrackedWrites = false;
const restores = { pages: 0, whole: 0 };

hardenGlobals();

function emptyRecord(status, name, message) {
  return {
    status,
    result: null,
    resultText: null,
    finalAnswer: false,
    error: { name, message, line: null, traceback: '' },
  };
}

/** The record of a run cut short by a JavaScript exception (ended, timed out, crashed). */
function recordOfThrow(error, limits) {
  if (error instanceof RunEnded) {
    if (error.kind === 'timeout') {
      return emptyRecord('timeout', 'Timeout', `the run exceeded its time limit (${limits.timeoutMs} ms)`);
    }
    if (error.kind === 'output-limit') {
      return emptyRecord('output-limit', 'OutputLimit', `the run wrote more than ${limits.outputBytes} bytes`);
    }
    return emptyRecord('forbidden', 'SandboxViolation', error.message);
  }
  if (error?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
    return emptyRecord('timeout', 'Timeout', `the run exceeded its time limit (${limits.timeoutMs} ms)`);
  }
  if (error?.name === 'ExitStatus') {
    // os._exit(): the interpreter was asked to exit.
    return error.status === 0
      ? { ...emptyRecord('ok', '', ''), error: null }
      : emptyRecord('runtime-error', 'SystemExit', `the run exited with status ${error.status}`);
  }
  if (error instanceof RangeError && /call stack/i.test(error.message)) {
    return emptyRecord('runtime-error', 'RecursionError', 'maximum recursion depth exceeded (the stack overflowed)');
  }
  const text = String(error?.message ?? error);
  return emptyRecord(
    /memory|allocation/i.test(text) ? 'memory' : 'runtime-error',
    error?.name ?? 'Error',
    text.slice(0, 4096),
  );
}

onMessage('message', (message) => {
  if (message?.type === 'check') {
    // A self-check on request: does every byte of the heap equal the snapshot now?
    send({
      type: 'checked',
      id: message.id,
      pristine: snapshot.matches(),
      tracking: tracker.enabled ? 'on' : `off (${tracker.disabledBecause})`,
      dirtyMap: tracker.base,
      lastRestore: snapshot.last,
      restores,
    });
    return;
  }
  if (!message || message.type !== 'run') return;
  const started = now();
  const limits = { timeoutMs: message.timeoutMs, outputBytes: message.outputBytes };
  memoryLimitBytes = Math.max(message.memoryBytes, baselineHeapBytes);
  output.reset(message.outputBytes);
  runControl.begin(message.timeoutMs);
  let record;
  let recycle = false;
  // Only a run that ended by returning or by a RunEnded (thrown from a call,
  // never between a store and its mark) may be restored page by page.
  let endedAtACall = true;
  try {
    record = withTimeout(
      () => runner.run(message.code, message.resultVariable ?? null, message.resultBytes),
      message.timeoutMs + 50,
    );
    // User code that ran during the extraction may have ended the run.
    if (runControl.ended) record = recordOfThrow(runControl.ended, limits);
  } catch (error) {
    endedAtACall = error instanceof RunEnded;
    record = recordOfThrow(runControl.ended ?? error, limits);
    if (!(error instanceof RunEnded) && error?.code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
      recycle = aborted || !(error instanceof RangeError || error?.name === 'ExitStatus');
    }
  } finally {
    runControl.finish();
  }
  if (output.exceeded && record.status !== 'forbidden') {
    record = emptyRecord('output-limit', 'OutputLimit', `the run wrote more than ${limits.outputBytes} bytes`);
  }
  record.stdout = output.text('stdout');
  record.stderr = output.text('stderr');
  record.ms = now() - started;
  // A heap grown far past the snapshot would cost every later restore its
  // zeroing: the process is replaced instead.
  if (module.HEAPU8.length - snapshot.size > MAX_KEPT_GROWTH) recycle = true;
  // Code was loaded (the function table grew): the restore cannot undo that.
  if (module.wasmTable.length !== snapshot.tableLength) recycle = true;
  const heapBytes = module.HEAPU8.length;
  // Put the interpreter back before answering: a worker that could not be
  // restored must say so with this record, so the host takes no next run to it
  // (a run sent before it exits would find the state this one left, or be
  // blamed for the exit).
  let restored;
  try {
    restored = snapshot.restore(tracker.tracked && endedAtACall);
    restores[snapshot.last.mode]++;
  } catch {
    restored = false;
  }
  tracker.untrackedWrites = false;
  output.reset(0);
  if (!restored || aborted) recycle = true;
  send({ type: 'result', id: message.id, record, recycle, heapBytes });
  if (recycle) setTimeout(() => exit(0), 10);
});

send({
  type: 'ready',
  python: environment.python,
  heapBytes: baselineHeapBytes,
  replaced: environment.replaced,
});
