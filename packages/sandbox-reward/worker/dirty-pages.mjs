// Which pages of the interpreter's heap a run can have written: the dirty map
// that write-tracking.mjs's instructions fill, plus what JavaScript wrote.
//
// Every way to write linear memory is covered, or the run is restored whole:
// - WebAssembly: every module that can reach a memory is compiled from its
//   rewritten bytes (WebAssembly.Module, compile, instantiate are wrapped before
//   Pyodide loads); a module that cannot be rewritten, or one compiled before
//   the wrapping, turns the tracking off for good.
// - JavaScript called by WebAssembly: every imported function of every
//   instance is wrapped. A function known to write nothing to the heap is
//   passed through; a function known to write only its out-arguments marks
//   them after it returns; any other call makes the run `untracked`, and its
//   restore copies the whole heap.
// - The worker's own writes into the heap (the run driver) mark what they write.
// - Tampering: a store into the dirty map (or the guard page before or after
//   it) marks the map's own pages, since every mark is written after its store;
//   the restore sees that and copies the whole heap.
import { createHash } from 'node:crypto';
import {
  DIRTY_MAP_EXPORT,
  GLOBAL_EXPORT_PREFIX,
  instrumentMemoryWrites,
  MAP_BYTES,
  PAGE_SHIFT,
  PAGE_SIZE,
} from './write-tracking.mjs';

export { MAP_BYTES };

// Imported functions (Emscripten's JavaScript side) that write nothing into
// the heap: checked against the glue code of the Pyodide version in use.
const WRITES_NOTHING = new Set([
  '_PyEM_TrampolineCall_JS', // calls a table entry (WebAssembly, itself tracked)
  '_Py_CheckEmscriptenSignals_Helper', // reads and clears a JavaScript Int32Array
  '_emscripten_get_now',
  'emscripten_get_now',
  '_emscripten_date_now',
  'emscripten_date_now',
  'fd_close',
  '__syscall_openat', // the file system's nodes are JavaScript objects
]);

const u32 = (x) => Number(x) >>> 0;

/**
 * Imported functions that write only into memory named by their arguments:
 * name -> (args, heap) => [[pointer, bytes], ...] written (a superset is fine).
 * Computed after the call returns (also when it throws).
 */
const WRITES_ARGUMENTS = new Map([
  ['fd_write', (a) => [[u32(a[3]), 4]]],
  ['fd_seek', (a) => [[u32(a[3]), 8]]],
  ['clock_time_get', (a) => [[u32(a[2]), 8]]],
  ['_localtime_js', (a) => [[u32(a[1]), 64]]],
  ['__syscall_fstat64', (a) => [[u32(a[1]), 96]]],
  ['__syscall_stat64', (a) => [[u32(a[1]), 96]]],
  ['__syscall_lstat64', (a) => [[u32(a[1]), 96]]],
  ['__syscall_newfstatat', (a) => [[u32(a[2]), 96]]],
  ['__syscall_getcwd', (a) => [[u32(a[0]), u32(a[1])]]],
  ['__syscall_getdents64', (a) => [[u32(a[1]), u32(a[2])]]],
  ['random_get', (a) => [[u32(a[0]), u32(a[1])]]],
  ['fd_fdstat_get', (a) => [[u32(a[1]), 24]]],
]);

/**
 * Reads into buffers described by an iovec array: exact only for one iovec
 * (the glue reads it once, before it writes), which is what CPython's reads
 * use; with more, the call is untracked.
 * name -> index of [iov, iovcnt, pnum] in the arguments.
 */
const READS_INTO_IOVEC = new Map([
  ['fd_read', [1, 2, 3]],
  ['fd_pread', [1, 2, 4]],
]);

export class PageTracker {
  constructor() {
    /** False once anything could write the heap without being tracked. */
    this.enabled = true;
    this.disabledBecause = null;
    /** Set by any untracked call during the current run. */
    this.untrackedWrites = false;
    /** The tracked instances' exported map-address globals. */
    this.mapGlobals = [];
    /** Every global an instruction of a tracked module can set (exported by the rewrite). */
    this.globals = [];
    this.heap = null;
    this.base = 0;
    this.guardStart = 0;
    this.guardEnd = 0;
    /** JavaScript functions handed to WebAssembly that write nothing into the heap. */
    this.pureFunctions = new WeakSet();
    this.trustedModules = new WeakSet();
    /** Where marks go before the map is placed: the first rewritten module's stack end. */
    this.bootMap = null;
    /**
     * A rewrite made earlier (by another worker of the pool): { sourceHash,
     * bytes, bootMap }, used for a module whose bytes hash to sourceHash.
     */
    this.prebuilt = null;
    /** The largest rewrite this worker made itself, to hand to the pool ({ sourceHash, bytes, bootMap }). */
    this.ownRewrite = null;
  }

  disable(reason) {
    if (this.enabled) this.disabledBecause = reason;
    this.enabled = false;
  }

  /** Mark [pointer, pointer + length) as written (clamped to the memory). */
  markRange(pointer, length) {
    const heap = this.heap?.();
    if (!heap || !this.base || length <= 0) return;
    const end = Math.min(pointer + length, heap.length);
    if (pointer >= end) return;
    for (let page = pointer >>> PAGE_SHIFT, last = (end - 1) >>> PAGE_SHIFT; page <= last; page++) {
      heap[this.base + page] = 1;
    }
  }

  /** Wrap WebAssembly's entry points: call before anything is compiled. */
  install() {
    installCompileHooks(this);
  }

  adopt(instance) {
    const global = instance.exports[DIRTY_MAP_EXPORT];
    if (global instanceof WebAssembly.Global) {
      this.mapGlobals.push(global);
      if (this.base) global.value = this.base;
    }
    for (const [name, value] of Object.entries(instance.exports)) {
      if (name.startsWith(GLOBAL_EXPORT_PREFIX) && value instanceof WebAssembly.Global) this.globals.push(value);
    }
  }

  /** Whether an instruction changed the function table since the flag was cleared. */
  get tableTouched() {
    const heap = this.heap?.();
    return Boolean(heap && this.base && heap[this.base + MAP_BYTES]);
  }

  clearTableFlag() {
    const heap = this.heap?.();
    if (heap && this.base) heap[this.base + MAP_BYTES] = 0;
  }

  /** The wrapper a function imported by WebAssembly gets. */
  wrapImport(name, fn) {
    if (this.pureFunctions.has(fn) || WRITES_NOTHING.has(name)) return fn;
    let wrapper;
    const marks = WRITES_ARGUMENTS.get(name);
    const iovec = READS_INTO_IOVEC.get(name);
    if (marks) {
      wrapper = (...args) => {
        try {
          return fn(...args);
        } finally {
          for (const [pointer, length] of marks(args)) this.markRange(pointer, length);
        }
      };
    } else if (iovec) {
      const [iovAt, countAt, numAt] = iovec;
      wrapper = (...args) => {
        const heap = this.heap?.();
        const iov = u32(args[iovAt]);
        let buffer = -1;
        let length = 0;
        if (u32(args[countAt]) === 1 && heap && iov + 8 <= heap.length) {
          const view = new DataView(heap.buffer);
          buffer = view.getUint32(iov, true);
          length = view.getUint32(iov + 4, true);
        } else {
          this.untrackedWrites = true;
        }
        try {
          return fn(...args);
        } finally {
          if (buffer >= 0) this.markRange(buffer, length);
          this.markRange(u32(args[numAt]), 4);
        }
      };
    } else {
      wrapper = (...args) => {
        this.untrackedWrites = true;
        return fn(...args);
      };
    }
    // Emscripten keeps a signature on its functions (`sig`) and reads it back.
    Object.assign(wrapper, fn);
    Object.defineProperty(wrapper, 'name', { value: fn.name });
    return wrapper;
  }

  /**
   * Put the dirty map in its own allocation (with a guard page on each side)
   * and point every tracked module at it. `malloc` is the interpreter's.
   */
  placeMap(malloc, heap) {
    this.heap = heap;
    const size = MAP_BYTES + 3 * PAGE_SIZE;
    const pointer = malloc(size);
    if (!pointer) throw new Error('write tracking: no memory for the dirty map');
    this.base = Math.ceil(pointer / PAGE_SIZE) * PAGE_SIZE + PAGE_SIZE;
    this.guardStart = (this.base >>> PAGE_SHIFT) - 1;
    this.guardEnd = ((this.base + MAP_BYTES) >>> PAGE_SHIFT) + 1;
    heap().fill(0, pointer, pointer + size);
    for (const global of this.mapGlobals) global.value = this.base;
  }

  /** Whether this run's writes are all in the map. */
  get tracked() {
    return this.enabled && this.base !== 0 && !this.untrackedWrites;
  }
}

/** Compile every module that reaches the memory from its rewritten bytes, and wrap every import. */
function installCompileHooks(tracker) {
  const RealModule = WebAssembly.Module;
  const RealInstance = WebAssembly.Instance;
  const realInstantiate = WebAssembly.instantiate;
  const touchesMemory = (module) =>
    RealModule.imports(module).some((i) => i.kind === 'memory') ||
    RealModule.exports(module).some((e) => e.kind === 'memory');

  // A module that reaches the memory is compiled from its rewritten bytes;
  // one that cannot be rewritten (or whose rewrite does not compile) is
  // compiled as it is, if it compiles at all, and turns the tracking off.
  const compileSync = (bytes) => {
    let rewritten = null;
    let failure = null;
    try {
      const source = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes.buffer ?? bytes);
      const sourceHash = createHash('sha256').update(source).digest('hex');
      const prebuilt = tracker.prebuilt?.sourceHash === sourceHash ? tracker.prebuilt : null;
      const result = prebuilt
        ? { instrumented: true, bytes: prebuilt.bytes, bootMap: prebuilt.bootMap }
        : instrumentMemoryWrites(source, tracker.bootMap ?? null);
      if (result.instrumented) {
        tracker.bootMap ??= result.bootMap;
        rewritten = new RealModule(result.bytes);
        if (!prebuilt && result.bytes.length > (tracker.ownRewrite?.bytes.length ?? 0)) {
          tracker.ownRewrite = { sourceHash, bytes: result.bytes, bootMap: result.bootMap };
        }
      }
    } catch (error) {
      failure = error;
    }
    if (rewritten) {
      tracker.trustedModules.add(rewritten);
      return rewritten;
    }
    const module = new RealModule(bytes);
    if (failure || touchesMemory(module)) {
      tracker.disable(`a module reaching the memory could not be rewritten: ${failure?.message ?? failure}`);
    } else {
      tracker.trustedModules.add(module);
    }
    return module;
  };
  const checkModule = (module) => {
    if (!tracker.trustedModules.has(module) && touchesMemory(module)) {
      tracker.disable('a module compiled outside the write tracking reaches the memory');
    }
  };
  const wrapImports = (module, imports) => {
    if (!imports) return imports;
    const wrapped = {};
    for (const { module: space, name, kind } of RealModule.imports(module)) {
      wrapped[space] ??= {};
      const value = imports[space]?.[name];
      wrapped[space][name] =
        kind === 'function' && typeof value === 'function' ? tracker.wrapImport(name, value) : value;
    }
    return wrapped;
  };

  function Module(bytes) {
    if (!new.target) throw new TypeError("WebAssembly.Module must be invoked with 'new'");
    return compileSync(bytes);
  }
  Module.prototype = RealModule.prototype;
  Module.imports = RealModule.imports;
  Module.exports = RealModule.exports;
  Module.customSections = RealModule.customSections;

  function Instance(module, imports) {
    if (!new.target) throw new TypeError("WebAssembly.Instance must be invoked with 'new'");
    checkModule(module);
    const instance = new RealInstance(module, wrapImports(module, imports));
    tracker.adopt(instance);
    return instance;
  }
  Instance.prototype = RealInstance.prototype;

  WebAssembly.Module = Module;
  WebAssembly.Instance = Instance;
  WebAssembly.compile = async (bytes) => compileSync(bytes);
  WebAssembly.instantiate = async (source, imports) => {
    const isModule = source instanceof RealModule;
    const module = isModule ? source : compileSync(source);
    checkModule(module);
    const instance = await realInstantiate(module, wrapImports(module, imports));
    tracker.adopt(instance);
    return isModule ? instance : { module, instance };
  };
  WebAssembly.compileStreaming = () => Promise.reject(new Error('compileStreaming is not available in the sandbox'));
  WebAssembly.instantiateStreaming = () =>
    Promise.reject(new Error('instantiateStreaming is not available in the sandbox'));
}
