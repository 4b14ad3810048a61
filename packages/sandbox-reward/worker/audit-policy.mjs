// The Python audit hook, a JavaScript function installed into the interpreter
// through a JsProxy held only by the interpreter's list of audit hooks: it has
// no Python frame, closure, default or global that user code could reach or
// rewrite, and what it decides is recorded in runControl, out of Python's
// reach. A refused event ends the run (`forbidden`) before the operation runs.
// Module creation reaches it as the event `molrl.create_module` (guest.py).
import { runControl } from './run-control.mjs';

// Audit events that mean "reach outside the interpreter", "inspect or hook the
// interpreter's private state" or "build code objects": always a violation.
const BLOCKED_EVENTS = new Set([
  'os.system',
  'os.exec',
  'os.posix_spawn',
  'os.spawn',
  'os.fork',
  'os.forkpty',
  'os.kill',
  'os.killpg',
  'os.startfile',
  'os.add_dll_directory',
  'os.setns',
  'os.unshare',
  'subprocess.Popen',
  '_posixsubprocess.fork_exec',
  'pty.spawn',
  'socket.__new__',
  'socket.connect',
  'socket.bind',
  'socket.getaddrinfo',
  'socket.gethostbyname',
  'socket.gethostbyaddr',
  'socket.gethostname',
  'socket.sendto',
  'socket.sethostname',
  'socket.sendmsg',
  'urllib.Request',
  'http.client.connect',
  'ftplib.connect',
  'smtplib.connect',
  'poplib.connect',
  'imaplib.open',
  'nntplib.connect',
  'telnetlib.Telnet.open',
  'webbrowser.open',
  'gc.get_objects',
  'gc.get_referrers',
  'gc.get_referents',
  'gc.get_freeze_count',
  'sys._current_frames',
  'sys._current_exceptions',
  'sys.remote_exec',
  'remote_debugging.attach',
  'sys.addaudithook',
  'sys.settrace',
  'sys.setprofile',
  'sys._settraceallthreads',
  'sys._setprofileallthreads',
  'sys.monitoring.register_callback',
  'sys.set_asyncgen_hooks_firstiter',
  'sys.set_asyncgen_hooks_finalizer',
  '_thread.start_new_thread',
  '_thread.start_joinable_thread',
  'code.__new__',
  'marshal.loads',
  'marshal.load',
  'mmap.__new__',
  'resource.setrlimit',
  'resource.prlimit',
  'cpython._PySys_ClearAuditHooks',
  'cpython.PyInterpreterState_New',
  'cpython.PyInterpreterState_Clear',
  'sys.unraisablehook',
]);

/** The guard module's two functions, given the interpreter's blocked module names. */
export function createAuditPolicy(blockedModules) {
  const blocked = new Set(blockedModules);
  const topLevel = (name) => String(name).split('.')[0];

  /** The first item of an audit event's argument tuple, when it is a plain string. */
  const firstString = (args) => {
    try {
      const value = args.get(0);
      if (typeof value === 'string') return value;
      value?.destroy?.();
    } catch {
      // an argument that cannot be read is treated as not a string
    }
    return null;
  };

  function audit(event, args) {
    try {
      if (!runControl.active) return;
      if (typeof event !== 'string') return runControl.forbid('an audit event without a name');
      if (BLOCKED_EVENTS.has(event) || event.startsWith('ctypes.')) return runControl.forbid(event);
      if (event === 'molrl.create_module') return runControl.forbid('creating a module at run time');
      if (event === 'import' || event === 'molrl.find_spec') {
        const name = firstString(args);
        if (name === null) return runControl.forbid('import of a non-str module name');
        if (blocked.has(topLevel(name))) return runControl.forbid(`import ${name}`);
      }
    } finally {
      args?.destroy?.();
    }
  }

  return { audit };
}
