// The pristine interpreter: a copy of the whole WebAssembly heap (every
// Python object, the allocator, the C stack), the stack pointer and the
// JavaScript-side state a run can change (open files, the working folder,
// inode numbers, the scratch folders, timers), taken once after the
// interpreter is set up, and put back after every run. Nothing is compared
// or undone piece by piece: the bytes are overwritten, so whatever a run did
// to the interpreter (patched classes, planted modules, hooks, finalizers) is
// gone without any of its code running.

// Restored byte ranges are runs of 64 KiB pages: non-zero ones are copied,
// all-zero ones are filled (cheaper than a copy).
const PAGE = 65536;

function pageRanges(bytes) {
  const ranges = [];
  for (let start = 0; start < bytes.length; start += PAGE) {
    const end = Math.min(start + PAGE, bytes.length);
    let zero = true;
    for (let i = start; i < end; i++) {
      if (bytes[i] !== 0) {
        zero = false;
        break;
      }
    }
    const last = ranges[ranges.length - 1];
    if (last && last.zero === zero && last.end === start) last.end = end;
    else ranges.push({ start, end, zero });
  }
  return ranges;
}

export class HeapSnapshot {
  /**
   * @param module Pyodide's Emscripten module (`pyodide._module`).
   * @param scratch the ScratchFolders, renewed on every restore.
   */
  constructor(module, scratch) {
    const FS = module.FS;
    this.module = module;
    this.scratch = scratch;
    this.bytes = module.HEAPU8.slice();
    this.ranges = pageRanges(this.bytes);
    this.stackPointer = module.stackSave();
    this.tableLength = module.wasmTable.length;
    this.cwd = FS.cwd();
    this.nextInode = FS.nextInode;
    // A stream's flags and position live in its `shared` record.
    this.streams = FS.streams.map((stream) =>
      stream ? { stream, fields: { ...stream }, shared: stream.shared, sharedFields: { ...stream.shared } } : null,
    );
  }

  /** The heap size at snapshot time, in bytes. */
  get size() {
    return this.bytes.length;
  }

  /**
   * Put the interpreter back as it was at snapshot time. Returns false when
   * something outside what can be restored changed (the function table grew:
   * code was loaded), in which case the worker must not be used again.
   */
  restore() {
    const module = this.module;
    const FS = module.FS;
    const heap = module.HEAPU8;
    for (const { start, end, zero } of this.ranges) {
      if (zero) heap.fill(0, start, end);
      else heap.set(this.bytes.subarray(start, end), start);
    }
    // Memory a run grew stays (WebAssembly memories do not shrink); zeroed.
    if (heap.length > this.bytes.length) heap.fill(0, this.bytes.length);
    module.stackRestore(this.stackPointer);

    // Open files: exactly the snapshot's, with their fields as they were.
    FS.streams.length = 0;
    this.streams.forEach((saved, fd) => {
      if (!saved) return;
      for (const key of Object.keys(saved.stream)) if (!(key in saved.fields)) delete saved.stream[key];
      Object.assign(saved.stream, saved.fields);
      for (const key of Object.keys(saved.shared)) if (!(key in saved.sharedFields)) delete saved.shared[key];
      Object.assign(saved.shared, saved.sharedFields);
      FS.streams[fd] = saved.stream;
    });
    for (const [which, timer] of Object.entries(module.timers ?? {})) {
      clearTimeout(timer?.id);
      delete module.timers[which];
    }
    for (const tty of Object.values(module.TTY?.ttys ?? {})) if (tty) tty.output = [];
    this.scratch.renew();
    FS.chdir(this.cwd);
    FS.nextInode = this.nextInode;
    return module.wasmTable.length === this.tableLength;
  }
}
