// The Python sandbox worker: one Node process running one Pyodide interpreter.
//
// It is started by the host (src/python/python-process.ts) with Node's
// permission model: file reads limited to the Pyodide package folder and this
// folder, no file writes, no child processes, no worker threads, no native
// addons, and an empty environment. The host talks to it over the IPC channel
// only; a run that overstays its time limit is ended by the host killing this
// process. Plain JavaScript (not TypeScript) because it runs under `node`
// directly, with no loader, inside the permission sandbox.
import { readFileSync, constants as fsConstants } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { hardenGlobals } from './harden-globals.mjs';

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
// refused grow makes malloc fail, which Python reports as MemoryError.
let memoryLimitBytes = 256 * 2 ** 20;
const wasmGrow = WebAssembly.Memory.prototype.grow;
WebAssembly.Memory.prototype.grow = function grow(deltaPages) {
  if (this.buffer.byteLength + deltaPages * 65536 > memoryLimitBytes) {
    throw new RangeError('sandbox memory limit reached');
  }
  return wasmGrow.call(this, deltaPages);
};

// The host's first message says how to start: from its memory snapshot of a
// freshly loaded interpreter (fast), or from scratch, optionally making one.
const init = await new Promise((resolve) => process.once('message', resolve));
const here = dirname(fileURLToPath(import.meta.url));
const { loadPyodide } = await import(pathToFileURL(join(pyodideDir, 'pyodide.mjs')).href);
const pyodide = await loadPyodide({
  indexURL: pyodideDir.endsWith('/') ? pyodideDir : pyodideDir + '/',
  env: { HOME: '/home/pyodide' },
  stdout: () => {},
  stderr: () => {},
  // Pyodide's `js` module is this object: empty, not the real globalThis.
  jsglobals: {},
  ...(init.snapshot ? { _loadSnapshot: init.snapshot } : {}),
  ...(init.makeSnapshot ? { _makeSnapshot: true } : {}),
});
if (!init.snapshot) {
  pyodide.runPython(readFileSync(join(here, 'preload.py'), 'utf8'), { filename: '<molrl-preload>' });
  if (init.makeSnapshot) send({ type: 'snapshot', bytes: pyodide.makeMemorySnapshot() });
}
for (const name of ['js', 'pyodide_js']) {
  try {
    pyodide.unregisterJsModule(name);
  } catch {
    // already gone
  }
}

const guestSource = readFileSync(join(here, 'guest.py'), 'utf8');
const guest = pyodide.globals.get('dict')();
pyodide.runPython(guestSource, { globals: guest, filename: '<molrl-sandbox>' });
const baselineHeapBytes = pyodide._module.HEAP8.buffer.byteLength;
const begin = guest.get('begin');
const finish = guest.get('finish');
const environment = JSON.parse(guest.get('check_environment')());
guest.destroy?.();

hardenGlobals();

const nowMs = () => now();

onMessage('message', (message) => {
  if (!message || message.type !== 'run') return;
  const started = nowMs();
  memoryLimitBytes = Math.max(message.memoryBytes, baselineHeapBytes);
  let record;
  let recycle = false;
  let leftovers;
  try {
    const prepared = begin(JSON.stringify(message));
    if (typeof prepared === 'string') {
      record = prepared;
    } else {
      try {
        record = prepared();
      } finally {
        prepared.destroy();
      }
    }
    const finished = finish(record);
    try {
      record = JSON.parse(finished.get(0));
    } finally {
      leftovers = finished;
    }
  } catch (error) {
    // A fatal interpreter error (e.g. the WebAssembly stack overflowed): report
    // it and let the host replace this process.
    recycle = true;
    const text = String(error?.message ?? error);
    const memory = /memory|allocation/i.test(text);
    record = {
      status: memory ? 'memory' : 'runtime-error',
      stdout: '',
      stderr: '',
      result: null,
      resultText: null,
      finalAnswer: false,
      error: { name: error?.name ?? 'Error', message: text.slice(0, 4096), line: null, traceback: '' },
    };
  }
  record.ms = nowMs() - started;
  send({ type: 'result', id: message.id, record, recycle });
  // Freed only now, from JavaScript: finalizers of what the run left behind
  // run with no sandbox frame beneath them (and after the answer is sent).
  try {
    leftovers?.destroy();
  } catch {
    recycle = true;
  }
  if (recycle) setTimeout(() => exit(0), 10);
});

send({ type: 'ready', python: environment.python, heapBytes: baselineHeapBytes, replaced: environment.replaced });
