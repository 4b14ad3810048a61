// The pristine interpreter: a copy of the whole WebAssembly heap (every
// Python object, the allocator, the C stack), the stack pointer and the
// JavaScript-side state a run can change (open files, the working folder,
// inode numbers, the scratch folders, timers), taken once after the
// interpreter is set up, and put back after every run. Nothing is undone
// piece by piece: bytes are overwritten, so whatever a run did to the
// interpreter (patched classes, planted modules, hooks, finalizers) is gone
// without any of its code running.
// The heap's bytes are put back by a HeapImage (heap-image.mjs): the pages the
// run marked, or every block that differs.

import { HeapImage } from './heap-image.mjs';

export class HeapSnapshot {
  /**
   * @param module Pyodide's Emscripten module (`pyodide._module`).
   * @param scratch the ScratchFolders, renewed on every restore.
   * @param tracker the PageTracker whose dirty map says what a run wrote (null: always whole).
   */
  constructor(module, scratch, tracker = null) {
    const FS = module.FS;
    this.module = module;
    this.scratch = scratch;
    this.tracker = tracker;
    this.image = new HeapImage(() => module.HEAPU8, tracker);
    this.stackPointer = module.stackSave();
    // The globals instructions can set, and the function table's entries.
    this.globals = (tracker?.globals ?? []).map((global) => [global, global.value]);
    this.tableLength = module.wasmTable.length;
    this.table = Array.from({ length: this.tableLength }, (_, i) => module.wasmTable.get(i));
    this.cwd = FS.cwd();
    this.nextInode = FS.nextInode;
    // A stream's flags and position live in its `shared` record.
    this.streams = FS.streams.map((stream) =>
      stream ? { stream, fields: { ...stream }, shared: stream.shared, sharedFields: { ...stream.shared } } : null,
    );
  }

  /** The heap size at snapshot time, in bytes. */
  get size() {
    return this.image.size;
  }

  /** How the last restore went: 'pages' (the marked pages) or 'whole', and the pages written. */
  get last() {
    return this.image.last;
  }

  /** Whether every byte of the heap equals the snapshot (and memory grown since is zero). */
  matches() {
    return this.image.matches();
  }

  /**
   * Put the interpreter back as it was at snapshot time (`tracked`: every
   * write of the run was marked). Returns false when something outside what
   * can be restored changed (the function table grew or an entry was
   * replaced: code was loaded), in which case the worker must not be used again.
   */
  restore(tracked = false) {
    const module = this.module;
    const FS = module.FS;
    // Checked before the heap is restored (the flag lives in the heap).
    const checkTable = !tracked || this.tracker?.tableTouched;
    this.image.restore(tracked);
    this.tracker?.clearTableFlag();
    for (const [global, value] of this.globals) global.value = value;
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
    return module.wasmTable.length === this.tableLength && (!checkTable || this.tableUnchanged());
  }

  /** Whether every function-table entry is the one at snapshot time. */
  tableUnchanged() {
    const table = this.module.wasmTable;
    for (let i = 0; i < this.tableLength; i++) if (table.get(i) !== this.table[i]) return false;
    return true;
  }
}
