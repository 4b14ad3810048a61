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
  }

  renew() {
    const FS = this.FS;
    this.mounts.clear();
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

/** Refuse (ending the run) every file-system operation outside the policy above. */
export function installFsPolicy(FS, MEMFS, PATH_FS, scratch) {
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
  for (const kind of ['dir', 'file', 'link', 'chrdev']) {
    const nodeOps = ops[kind].node;
    const setattr = nodeOps.setattr;
    nodeOps.setattr = (node, attr) => {
      requireScratch(node, `changing ${pathOf(node)}`);
      return setattr(node, attr);
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
  for (const name of ['write', 'msync']) {
    const original = fileStream[name];
    fileStream[name] = (stream, ...args) => {
      requireScratch(stream.node, `writing ${pathOf(stream.node)}`);
      return original(stream, ...args);
    };
  }
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
