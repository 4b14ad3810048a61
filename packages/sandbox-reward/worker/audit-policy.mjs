// The Python audit hook, a JavaScript function installed as a C-level hook
// (PySys_AddAuditHook): the interpreter holds it as a function pointer, so it
// has no Python object, frame, closure, default or global that user code could
// reach or rewrite, and what it decides is recorded in runControl, out of
// Python's reach. A refused event ends the run (`forbidden`) before the
// operation runs. Module creation reaches it as the event
// `molrl.create_module` (guest.py).
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

/**
 * The interpreter's audit hook, as a C-level hook (`PySys_AddAuditHook`): a
 * JavaScript function called with the event name (a C string) and the
 * arguments tuple, given the interpreter's blocked module names. It reads both
 * through the C API; nothing of it exists as a Python object.
 */
export function createAuditHook(module, blockedModules) {
  const m = module;
  const blocked = new Set(blockedModules);
  const topLevel = (name) => String(name).split('.')[0];
  const decoder = new TextDecoder();
  const cString = (pointer) => {
    const heap = m.HEAPU8;
    const end = heap.indexOf(0, pointer);
    return decoder.decode(heap.subarray(pointer, end < 0 ? heap.length : end));
  };

  /** The first item of the arguments tuple, when it is exactly a str; else null. */
  const firstString = (args) => {
    if (!args || m._Py_TYPE(args) !== m._PyTuple_Type || m._PyTuple_Size(args) < 1) return null;
    const item = m._PyTuple_GetItem(args, 0);
    if (!item || m._Py_TYPE(item) !== m._PyUnicode_Type) return null;
    const text = m._PyUnicode_AsUTF8AndSize(item, 0);
    return text ? cString(text) : null;
  };

  return function molrlAuditHook(eventPointer, args) {
    if (!runControl.active) return 0;
    const event = cString(eventPointer);
    if (BLOCKED_EVENTS.has(event) || event.startsWith('ctypes.')) runControl.forbid(event);
    if (event === 'molrl.create_module') runControl.forbid('creating a module at run time');
    if (event === 'import' || event === 'molrl.find_spec') {
      const name = firstString(args);
      if (name === null) runControl.forbid('import of a non-str module name');
      if (blocked.has(topLevel(name))) runControl.forbid(`import ${name}`);
    }
    return 0;
  };
}
