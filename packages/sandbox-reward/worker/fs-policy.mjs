// The interpreter's file system as a run sees it, enforced in Emscripten's
// JavaScript file-system layer (below Python, so no Python object can switch
// it off):
//
// - /tmp and /home/pyodide are the run's scratch folders: fresh, empty
//   in-memory file systems for every run; the only places a run may create,
//   change, remove or list anything (besides listing the standard library's
//   empty sys.path folders).
// - Everything else (the standard library under /lib, /dev) is read-only:
//   every operation that would change a node outside the scratch folders is
//   refused where Emscripten's in-memory file system carries it out, whatever
//   path, symlink or descriptor led there.
// - Reading or stat-ing is allowed under /lib, the scratch folders and a few
//   devices; anything else ends the run as `forbidden`.
// - stdout and stderr are counting devices: bytes past the run's output
//   budget end the run with `output-limit`.
// - Scratch files and pipe buffers live in JavaScript memory, outside the
//   WebAssembly heap the memory limit watches: they share the run's memory
//   limit with the heap, and a write (or truncate) past it fails with ENOSPC.
import { runControl } from './run-control.mjs';

export const SCRATCH_DIRS = ['/tmp', '/home/pyodide'];
const READ_PREFIXES = ['/lib/', '/tmp/', '/home/pyodide/'];
const READABLE = new Set([
  '/lib',
  '/tmp',
  '/home/pyodide',
  '/dev/null',
  '/dev/zero',
  '/dev/urandom',
  '/dev/random',
  '/dev/molrl-stdout',
  '/dev/molrl-stderr',
]);
// The standard library's folders on sys.path (empty: the library is a zip):
// the import system lists them, and their listing reveals nothing.
const LISTABLE = new Set(['/lib/python3.14', '/lib/python3.14/site-packages', '/lib/python3.14/lib-dynload']);
// Ancestors of readable folders: stat-able (path resolution walks them), not readable.
const STATABLE = new Set(['/', '/home', '/dev']);

/** Output captured from the run's stdout and stderr devices, within one shared byte budget. */
export class OutputCapture {
  constructor() {
    this.reset(0);
  }

  reset(limit) {
    this.left = limit;
    this.exceeded = false;
    this.chunks = { stdout: [], stderr: [] };
  }

  write(which, bytes) {
    const kept = bytes.length > this.left ? bytes.subarray(0, this.left) : bytes;
    if (kept.length) this.chunks[which].push(kept.slice());
    this.left -= kept.length;
    if (kept.length < bytes.length) {
      this.exceeded = true;
      runControl.end('output-limit', 'the run wrote more than its output limit');
    }
  }

  /** Captured text; a multi-byte character cut by the limit is dropped. */
  text(which) {
    const chunks = this.chunks[which];
    const total = chunks.reduce((n, c) => n + c.length, 0);
    const all = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      all.set(c, at);
      at += c.length;
    }
    let end = total;
    // Step back over a trailing, incomplete UTF-8 sequence.
    let back = 0;
    while (back < 3 && end - back - 1 >= 0 && (all[end - back - 1] & 0xc0) === 0x80) back++;
    const lead = end - back - 1 >= 0 ? all[end - back - 1] : 0;
    const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    if (lead >= 0xc0 && need > back + 1) end = end - back - 1;
    return new TextDecoder().decode(all.subarray(0, end));
  }
}

/** Create the stdout/stderr devices and mount fresh scratch file systems. */
export function createDevicesAndScratch(FS, MEMFS, output) {
  const device = (which) => ({
    open() {},
    close() {},
    read() {
      return 0;
    },
    write(stream, buffer, offset, length) {
      output.write(which, new Uint8Array(buffer.buffer, buffer.byteOffset + offset, length));
      return length;
    },
  });
  const stdoutDev = FS.makedev(64, 0);
  const stderrDev = FS.makedev(64, 1);
  FS.registerDevice(stdoutDev, device('stdout'));
  FS.registerDevice(stderrDev, device('stderr'));
  FS.mkdev('/dev/molrl-stdout', 0o222, stdoutDev);
  FS.mkdev('/dev/molrl-stderr', 0o222, stderrDev);
  // File descriptors 0-2 become /dev/null and the two devices (the old
  // streams are dropped, not closed: closing them would reach the host's).
  for (const [fd, path, flags] of [
    [0, '/dev/null', 0],
    [1, '/dev/molrl-stdout', 1],
    [2, '/dev/molrl-stderr', 1],
  ]) {
    const stream = FS.open(path, flags);
    FS.streams[stream.fd] = null;
    stream.fd = fd;
    FS.streams[fd] = stream;
  }
  const scratch = new ScratchFolders(FS, MEMFS);
  scratch.renew();
  return scratch;
}

/** The scratch folders: a new, empty in-memory file system on each, per run. */
export class ScratchFolders {
  constructor(FS, MEMFS) {
    this.FS = FS;
    this.MEMFS = MEMFS;
    this.mounts = new Set();
    /** Bytes scratch files and pipes hold: exact after measure(), an upper bound between (frees are not followed). */
    this.used = 0;
  }

  /**
   * The bytes held now by every scratch file and pipe a run can still reach:
   * through the folders or an open descriptor (an unlinked file kept open counts).
   */
  measure() {
    const seen = new Set();
    let total = 0;
    const visit = (node) => {
      if (!node || seen.has(node)) return;
      seen.add(node);
      if (node.pipe) {
        if (!seen.has(node.pipe)) {
          seen.add(node.pipe);
          for (const bucket of node.pipe.buckets) total += bucket.buffer.length;
        }
      } else if (ArrayBuffer.isView(node.contents)) total += node.contents.length;
      else if (node.contents && typeof node.contents === 'object' && this.has(node))
        for (const child of Object.values(node.contents)) visit(child);
    };
    for (const mount of this.mounts) visit(mount.root);
    for (const stream of this.FS.streams)
      if (stream && (this.has(stream.node) || stream.node?.pipe)) visit(stream.node);
    this.used = total;
    return total;
  }

  /**
   * Make room for `bytes` more within `room()` (what the memory limit leaves beside
   * the heap), measuring exactly before refusing; a refusal is ENOSPC, as a full disk.
   */
  reserve(bytes, room) {
    if (bytes <= 0 || this.used + bytes <= room()) return;
    if (this.measure() + bytes <= room()) return;
    throw new this.FS.ErrnoError(ENOSPC);
  }

  renew() {
    const FS = this.FS;
    this.mounts.clear();
    this.used = 0;
    for (const dir of SCRATCH_DIRS) {
      const node = FS.lookupPath(dir, { follow_mount: false }).node;
      if (FS.isMountpoint(node)) FS.unmount(dir);
      this.mounts.add(FS.mount(this.MEMFS, {}, dir).mount);
    }
  }

  has(node) {
    return node != null && this.mounts.has(node.mount);
  }
}

// Emscripten's (WASI's) errno for "no space left on device".
const ENOSPC = 51;

/**
 * Refuse (ending the run) every file-system operation outside the policy above,
 * and hold scratch files and pipes within `room()` bytes (what the run's memory
 * limit leaves beside the heap).
 */
export function installFsPolicy(FS, MEMFS, PIPEFS, PATH_FS, scratch, room) {
  const pathOf = (node) => {
    try {
      return FS.getPath(node);
    } catch {
      return '(unknown)';
    }
  };
  const childPath = (parent, name) => `${pathOf(parent).replace(/\/$/, '')}/${name}`;
  const requireScratch = (node, what) => {
    if (!scratch.has(node)) runControl.forbid(what);
  };

  // Node and stream operations of the in-memory file system: shared by every
  // node of its kind, so wrapping them once covers every node, old and new.
  const ops = MEMFS.ops_table;
  const capacity = (node) => (ArrayBuffer.isView(node.contents) ? node.contents.length : 0);
  for (const kind of ['dir', 'file', 'link', 'chrdev']) {
    const nodeOps = ops[kind].node;
    const setattr = nodeOps.setattr;
    nodeOps.setattr = (node, attr) => {
      requireScratch(node, `changing ${pathOf(node)}`);
      if (attr.size === undefined) return setattr(node, attr);
      // truncate() to a size allocates it.
      const before = capacity(node);
      scratch.reserve(attr.size - before, room);
      const result = setattr(node, attr);
      scratch.used += capacity(node) - before;
      return result;
    };
  }
  const dirOps = ops.dir.node;
  const wrap = (name, check) => {
    const original = dirOps[name];
    dirOps[name] = (...args) => {
      check(...args);
      return original(...args);
    };
  };
  wrap('mknod', (parent, name) => requireScratch(parent, `creating ${childPath(parent, name)}`));
  wrap('symlink', (parent, name) => requireScratch(parent, `creating ${childPath(parent, name)}`));
  wrap('unlink', (parent, name) => requireScratch(parent, `removing ${childPath(parent, name)}`));
  wrap('rmdir', (parent, name) => requireScratch(parent, `removing ${childPath(parent, name)}`));
  wrap('rename', (node, newDir, newName) => {
    requireScratch(node.parent, `moving ${pathOf(node)}`);
    requireScratch(newDir, `moving to ${childPath(newDir, newName)}`);
  });
  wrap('readdir', (node) => {
    if (!LISTABLE.has(pathOf(node))) requireScratch(node, `listing ${pathOf(node)}`);
  });
  const fileStream = ops.file.stream;
  const msync = fileStream.msync;
  fileStream.msync = (stream, ...args) => {
    requireScratch(stream.node, `writing ${pathOf(stream.node)}`);
    // It writes back through stream.write (below), which holds it to the budget.
    return msync(stream, ...args);
  };
  const write = fileStream.write;
  fileStream.write = (stream, buffer, offset, length, position, canOwn) => {
    const node = stream.node;
    requireScratch(node, `writing ${pathOf(node)}`);
    // A write past the end allocates up to its last byte (a seek far out included).
    const before = capacity(node);
    scratch.reserve(position + length - before, room);
    const result = write(stream, buffer, offset, length, position, canOwn);
    scratch.used += capacity(node) - before;
    return result;
  };
  const pipeWrite = PIPEFS.stream_ops.write;
  const pipeCapacity = (pipe) => pipe.buckets.reduce((n, bucket) => n + bucket.buffer.length, 0);
  PIPEFS.stream_ops.write = (stream, buffer, offset, length, ...rest) => {
    const pipe = stream.node.pipe;
    const before = pipeCapacity(pipe);
    scratch.reserve(length, room);
    const result = pipeWrite(stream, buffer, offset, length, ...rest);
    scratch.used += pipeCapacity(pipe) - before;
    return result;
  };
  const mmap = fileStream.mmap;
  fileStream.mmap = (stream, length, position, prot, flags) => {
    if (prot & 2) requireScratch(stream.node, `mapping ${pathOf(stream.node)} for writing`);
    return mmap(stream, length, position, prot, flags);
  };

  // Path-level checks: what may be read or stat-ed, and listing (other file
  // systems than the in-memory one, e.g. /proc/self/fd, have their own ops).
  const resolve = (path) => {
    try {
      return PATH_FS.resolve(String(path));
    } catch {
      return String(path);
    }
  };
  const readable = (full) => READABLE.has(full) || READ_PREFIXES.some((p) => full.startsWith(p));
  const guardPath = (name, allowed, verb) => {
    const original = FS[name];
    FS[name] = function (path, ...rest) {
      if (runControl.active && typeof path === 'string') {
        const full = resolve(path);
        if (!allowed(full)) runControl.forbid(`${verb} ${full}`);
      }
      return original.call(this, path, ...rest);
    };
  };
  guardPath('open', readable, 'opening');
  guardPath('readlink', readable, 'reading');
  guardPath('stat', (full) => readable(full) || STATABLE.has(full), 'reading');
  guardPath('lstat', (full) => readable(full) || STATABLE.has(full), 'reading');
  const readdir = FS.readdir;
  FS.readdir = function (path, ...rest) {
    if (runControl.active) {
      let node = null;
      try {
        node = FS.lookupPath(String(path), { follow: true }).node;
      } catch {
        // a missing folder fails below as usual
      }
      if (node && !scratch.has(node) && !LISTABLE.has(pathOf(node))) runControl.forbid(`listing ${resolve(path)}`);
    }
    return readdir.call(this, path, ...rest);
  };
}
