# The Python side of the sandbox worker. It is executed once, inside Pyodide,
# in a private namespace that user code never sees; the worker process then
# drives each run through three calls from JavaScript:
#
#   begin(request_json) -> per-run `execute` function, or a record (syntax error)
#   execute()           -> record JSON (runs the user code)
#   finish(record_json) -> record JSON (applies the violation flag, resets state)
#
# `execute` is built per run from FACTORY_SOURCE with a fresh globals dict and
# is called straight from JavaScript, so the user code's bottom frame has no
# Python caller: frame introspection (sys._getframe().f_back, tracebacks) only
# ever reaches that throwaway per-run namespace, never this module.
import builtins
import gc
import json
import os
import random
import sys
import time
import _imp

PRIVATE_FILENAME = '<molrl-sandbox>'
USER_FILENAME = '<code>'

# Modules whose only purpose is reaching the host (Pyodide's JavaScript bridge),
# processes or raw memory. Importing any of them is a violation.
BLOCKED_MODULES = frozenset({
    'js', 'pyodide_js', 'pyodide', '_pyodide', '_pyodide_core', 'micropip',
    'ctypes', '_ctypes', 'subprocess', '_posixsubprocess', 'multiprocessing',
    '_multiprocessing', 'pyodide_http', 'emscripten', '_emscripten_info',
})

# Audit events that mean "reach outside the interpreter" or "inspect the
# interpreter's private objects": always a violation.
BLOCKED_EVENTS = frozenset({
    'os.system', 'os.exec', 'os.posix_spawn', 'os.spawn', 'os.fork', 'os.forkpty',
    'os.kill', 'os.killpg', 'os.startfile', 'os.add_dll_directory',
    'subprocess.Popen', '_posixsubprocess.fork_exec',
    'socket.__new__', 'socket.connect', 'socket.bind', 'socket.getaddrinfo',
    'socket.gethostbyname', 'socket.gethostbyaddr', 'socket.gethostname',
    'socket.sendto', 'socket.sethostname', 'urllib.Request', 'http.client.connect',
    'ftplib.connect', 'smtplib.connect', 'poplib.connect', 'imaplib.open',
    'nntplib.connect', 'telnetlib.Telnet.open', 'webbrowser.open',
    'gc.get_objects', 'gc.get_referrers', 'gc.get_referents', 'gc.get_freeze_count',
    'sys._current_frames', 'sys._current_exceptions', 'sys.remote_exec',
    '_thread.start_new_thread', '_thread.start_joinable_thread', 'code.__new__', 'marshal.loads', 'marshal.load',
    'function.__new__', 'cpython._PySys_ClearAuditHooks', 'sys.monitoring.register_callback',
    'mmap.__new__', 'resource.setrlimit', 'resource.prlimit',
})

READ_PREFIXES = ('/lib/', '/usr/lib/', '/tmp/', '/home/pyodide/')
WRITE_PREFIXES = ('/tmp/', '/home/pyodide/')
READABLE_FILES = frozenset({'/dev/null', '/dev/urandom', '/dev/random', '/dev/zero'})
SCRATCH_DIRS = ('/tmp', '/home/pyodide')


class SandboxViolation(PermissionError):
    """Raised inside the sandbox when user code reaches for a forbidden capability."""


BLOCKED_IMPORT_FINDER = '''
class BlockedImportFinder:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if type(name) is str and name.partition('.')[0] in BLOCKED:
            audit('molrl.blocked_import', name)
        return None
'''


def install_guards():
    """Install the audit hook and the import guards. Everything they need lives
    in this function's closure; once it returns, nothing reachable from Python
    refers to the hook (gc introspection is itself denied)."""
    violations = []
    blocked_modules = BLOCKED_MODULES
    blocked_events = BLOCKED_EVENTS
    read_prefixes = READ_PREFIXES
    write_prefixes = WRITE_PREFIXES
    readable_files = READABLE_FILES
    str_split = str.split
    str_startswith = str.startswith
    normpath = os.path.normpath
    getcwd = os.getcwd
    fsdecode = os.fsdecode
    violation_type = SandboxViolation
    original_create_builtin = _imp.create_builtin
    guarded_functions = []

    def deny(what):
        if len(violations) < 16:
            violations.append(what)
        raise violation_type(f'forbidden in the sandbox: {what}')

    def check_path(path, mode):
        if type(path) is int:
            return
        if type(path) is bytes:
            path = fsdecode(path)
        if type(path) is not str:
            deny('open() of a path-like object (pass a str path)')
        full = normpath(path if str_startswith(path, '/') else getcwd() + '/' + path)
        writing = type(mode) is str and any(c in mode for c in 'wax+')
        if type(mode) is int:
            writing = (mode & 3) != 0
        if writing:
            if not any(str_startswith(full + '/', p) for p in write_prefixes):
                deny(f'writing {full}')
        elif full not in readable_files and not any(str_startswith(full + '/', p) for p in read_prefixes):
            deny(f'reading {full}')

    def hook(event, args):
        if event in blocked_events:
            deny(event)
        elif event == 'import':
            name = args[0]
            if type(name) is not str:
                deny('import of a non-str module name')
            if str_split(name, '.')[0] in blocked_modules:
                deny(f'import {name}')
        elif event == 'open':
            check_path(args[0], args[1] if len(args) > 1 else 'r')
        elif event == 'object.__getattr__':
            # The guarded wrappers keep the originals they wrap in their defaults.
            if any(args[0] is f for f in guarded_functions):
                deny(f'introspection of a sandbox guard ({args[1]})')
        elif event == 'molrl.blocked_import':
            deny(f'import {args[0]}')
        elif str_startswith(event, 'ctypes.'):
            deny(event)

    def create_builtin(spec, _original=original_create_builtin):
        name = getattr(spec, 'name', None)
        if type(name) is not str or str_split(name, '.')[0] in blocked_modules:
            deny(f'import {name}')
        return _original(spec)

    guarded_functions.append(create_builtin)
    _imp.create_builtin = create_builtin
    sys.addaudithook(hook)
    # importlib.import_module() skips the C-level `import` audit event; this
    # finder raises the same violation from the meta path. It is built in a
    # namespace of its own (no reference back to this module) and only
    # audits, so tampering with it gains nothing.
    finder_namespace = {'__builtins__': builtins, 'audit': sys.audit, 'BLOCKED': blocked_modules}
    exec(BLOCKED_IMPORT_FINDER, finder_namespace)
    sys.meta_path.insert(0, finder_namespace['BlockedImportFinder'])

    def take_violations():
        taken = list(violations)
        violations.clear()
        return taken

    return take_violations, create_builtin


def pyodide_patches():
    """Functions Pyodide installed into stdlib modules (their globals are a
    pyodide module's), as (module, attribute) pairs."""
    found = []
    for name, module in list(sys.modules.items()):
        if name.split('.')[0] in BLOCKED_MODULES:
            continue
        for key, value in list(getattr(module, '__dict__', {}).items()):
            g = getattr(value, '__globals__', None)
            owner = g.get('__name__', '') if type(g) is dict else ''
            if type(owner) is str and owner.split('.')[0] in BLOCKED_MODULES:
                found.append((name, key))
    return found


def busy_sleep(seconds):
    """time.sleep without JavaScript timers: wait on the clock (the run's time
    limit still applies)."""
    if seconds < 0:
        raise ValueError('sleep length must be non-negative')
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def replace_pyodide_patches():
    """Pyodide's replacements of stdlib functions call into its JavaScript
    bridge; swap in bridge-free versions before the bridge goes away."""
    replaced = []
    for module_name, key in pyodide_patches():
        module = sys.modules[module_name]
        if module_name == 'time' and key == 'sleep':
            module.sleep = busy_sleep
        elif module_name == 'asyncio' and key == 'run':
            # CPython's own runner; its event loop needs a socketpair, which
            # the guards refuse, so asyncio code reports `forbidden`.
            module.run = sys.modules['asyncio.runners'].run
        else:
            delattr(module, key)
        replaced.append(f'{module_name}.{key}')
    encoder = sys.modules.get('json.encoder')
    if encoder is not None and hasattr(encoder, '_JSNULL'):
        # A JsProxy of JavaScript's null, used for identity checks only.
        encoder._JSNULL = object()
        replaced.append('json.encoder._JSNULL')
    return replaced


def remove_js_bridge():
    """Drop Pyodide's JavaScript bridge from the interpreter: the `js` and
    `pyodide_js` modules, the import hook that serves JavaScript modules, and the
    Python-side pyodide packages (their dicts are cleared so functions reached
    through class introspection find nothing)."""
    def from_pyodide(obj):
        owners = (getattr(obj, '__module__', None), getattr(type(obj), '__module__', None))
        return any(type(o) is str and o.split('.')[0] in BLOCKED_MODULES for o in owners)
    sys.meta_path[:] = [f for f in sys.meta_path if not from_pyodide(f)]
    sys.path_hooks[:] = [h for h in sys.path_hooks if not from_pyodide(h)]
    sys.path_importer_cache.clear()
    names = [n for n in list(sys.modules)
             if n.split('.')[0] in BLOCKED_MODULES]
    for name in names:
        module = sys.modules.pop(name, None)
        if module is not None and hasattr(module, '__dict__'):
            try:
                module.__dict__.clear()
            except TypeError:
                pass
    # The asyncio policy Pyodide installs runs on JavaScript timers.
    if 'asyncio' in sys.modules:
        try:
            sys.modules['asyncio'].set_event_loop_policy(None)
        except Exception:
            pass


class Baseline:
    """What the interpreter looks like before any run, restored after each one."""

    def __init__(self):
        self.modules = dict(sys.modules)
        self.module_dicts = tuple((m.__dict__, dict(m.__dict__)) for m in sys.modules.values()
                                  if type(getattr(m, '__dict__', None)) is dict)
        self.path = list(sys.path)
        self.meta_path = list(sys.meta_path)
        self.path_hooks = list(sys.path_hooks)
        self.environ = dict(os.environ)
        self.recursion_limit = sys.getrecursionlimit()
        self.int_max_str_digits = sys.get_int_max_str_digits()
        self.cwd = os.getcwd()
        self.warning_filters = list(sys.modules['warnings'].filters)

    def restore(self, grave):
        """Put every module dict (builtins and sys included), sys.modules and
        the import system back as they were. Nothing is compared (a comparison
        could call into an object a run planted): the dicts are refilled
        unconditionally. What the run left behind is moved to `grave` and only
        freed by the caller in JavaScript, so no finalizer of user code ever
        runs with this module's frames on the stack."""
        grave.append(dict(sys.modules))
        sys.modules.clear()
        sys.modules.update(self.modules)
        for d, snapshot in self.module_dicts:
            grave.append(dict(d))
            d.clear()
            d.update(snapshot)
        grave.append((list(sys.path), list(sys.meta_path), list(sys.path_hooks),
                      dict(sys.path_importer_cache), list(sys.modules['warnings'].filters)))
        sys.path[:] = self.path
        sys.meta_path[:] = self.meta_path
        sys.path_hooks[:] = self.path_hooks
        sys.path_importer_cache.clear()
        sys.modules['warnings'].filters[:] = self.warning_filters
        if dict(os.environ) != self.environ:
            os.environ.clear()
            os.environ.update(self.environ)
        sys.setrecursionlimit(self.recursion_limit)
        sys.set_int_max_str_digits(self.int_max_str_digits)
        sys.settrace(None)
        sys.setprofile(None)
        os.chdir(self.cwd)
        gc.enable()
        random.seed()
        decimal = sys.modules.get('decimal')
        if decimal is not None:
            decimal.setcontext(decimal.Context())


def clear_scratch():
    for top in SCRATCH_DIRS:
        try:
            entries = os.listdir(top)
        except OSError:
            continue
        for entry in entries:
            remove_tree(top + '/' + entry)


def remove_tree(path):
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            for entry in os.listdir(path):
                remove_tree(path + '/' + entry)
            os.rmdir(path)
        else:
            os.unlink(path)
    except OSError:
        pass


# Compiled once; executed per run in a fresh dict, so every object user code can
# reach (final_answer, the output sinks, execute itself) belongs to this run only.
FACTORY_SOURCE = r'''
import sys, io, json, traceback, linecache, gc

BUDGET = [0, False]

class FinalAnswer(BaseException):
    pass

class OutputLimit(BaseException):
    pass

class Sink:
    # Both streams draw on BUDGET, [bytes left, exceeded], shared by the run.
    def __init__(self):
        self.parts = []
    def write(self, s):
        if not isinstance(s, str):
            raise TypeError(f'write() argument must be str, not {type(s).__name__}')
        n = len(s.encode('utf-8', 'replace'))
        if n > BUDGET[0]:
            if BUDGET[0] > 0:
                self.parts.append(s.encode('utf-8', 'replace')[:BUDGET[0]].decode('utf-8', 'ignore'))
            BUDGET[0] = 0
            BUDGET[1] = True
            raise OutputLimit('output limit exceeded')
        BUDGET[0] -= n
        self.parts.append(s)
        return len(s)
    def writelines(self, lines):
        for line in lines:
            self.write(line)
    def flush(self):
        pass
    def isatty(self):
        return False
    def readable(self):
        return False
    def writable(self):
        return True
    @property
    def encoding(self):
        return 'utf-8'
    def text(self):
        return ''.join(self.parts)

answer = {}

def final_answer(value=None, *args, **kwargs):
    answer['value'] = value
    raise FinalAnswer()

MAX_SAFE = 2 ** 53

def jsonable(x, depth=0):
    t = type(x)
    if x is None or t is bool or t is str:
        return x
    if t is int:
        return x if -MAX_SAFE <= x <= MAX_SAFE else str(x)
    if t is float:
        return x if x == x and x not in (float('inf'), float('-inf')) else str(x)
    if depth < 8 and (t is list or t is tuple):
        return [jsonable(v, depth + 1) for v in x[:10000]]
    if depth < 8 and t is dict:
        return {str(k): jsonable(v, depth + 1) for k, v in list(x.items())[:10000]}
    return text_of(x)

def text_of(x):
    try:
        s = str(x)
    except BaseException as e:
        s = f'<unprintable {type(x).__name__}: {type(e).__name__}>'
    if type(s) is not str:
        s = f'<unprintable {type(x).__name__}>'
    return s[:TEXT_LIMIT]

def describe(e):
    try:
        lines = traceback.format_exception(e)
        frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename == USER_FILENAME]
        line = frames[-1].lineno if frames else getattr(e, 'lineno', None)
        kept = [l for l in lines if 'File "' not in l or USER_FILENAME in l]
        tb = ''.join(kept)[-TEXT_LIMIT:]
    except BaseException:
        tb, line = '', None
    return {'name': type(e).__name__, 'message': text_of(e), 'line': line if type(line) is int else None,
            'traceback': tb}

def execute():
    BUDGET[:] = [OUTPUT_LIMIT, False]
    out, err = Sink(), Sink()
    sys.stdout, sys.stderr, sys.stdin = out, err, io.StringIO('')
    user_globals = {'__name__': '__main__', '__builtins__': __builtins__, 'final_answer': final_answer}
    linecache.cache[USER_FILENAME] = (len(SOURCE), None, SOURCE.splitlines(True), USER_FILENAME)
    status, error, result, has_result = 'ok', None, None, False
    try:
        exec(CODE, user_globals)
    except FinalAnswer:
        pass
    except OutputLimit:
        status = 'output-limit'
    except SystemExit as e:
        if e.code not in (None, 0):
            status, error = 'runtime-error', describe(e)
    except MemoryError as e:
        status, error = 'memory', describe(e)
    except VIOLATION as e:
        status, error = 'forbidden', describe(e)
    except BaseException as e:
        status, error = 'runtime-error', describe(e)
    sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    if BUDGET[1] and status != 'forbidden':
        status = 'output-limit'
    if 'value' in answer:
        result, has_result = answer['value'], True
    elif RESULT_VARIABLE is not None and RESULT_VARIABLE in user_globals:
        result, has_result = user_globals[RESULT_VARIABLE], True
    record = {'status': status, 'stdout': out.text(), 'stderr': err.text(),
              'result': None, 'resultText': None, 'finalAnswer': 'value' in answer}
    if error is not None:
        record['error'] = error
    if has_result:
        try:
            record['result'] = jsonable(result)
            record['resultText'] = text_of(result)
        except BaseException as e:
            record['result'] = None
            record['resultText'] = None
    try:
        text = json.dumps(record)
    except BaseException:
        record['result'] = record['resultText']
        text = json.dumps(record)
    # Objects the run created die here, so their finalizers run in this frame.
    user_globals.clear()
    answer.clear()
    result = error = None
    gc.collect(0)
    return text
'''

FACTORY_CODE = compile(FACTORY_SOURCE, PRIVATE_FILENAME, 'exec')
TEXT_LIMIT = 4096


def make_record(status, error=None):
    record = {'status': status, 'stdout': '', 'stderr': '', 'result': None,
              'resultText': None, 'finalAnswer': False}
    if error is not None:
        record['error'] = error
    return json.dumps(record)


def begin(request_json):
    request = json.loads(request_json)
    source = request['code']
    try:
        code = compile(source, USER_FILENAME, 'exec', dont_inherit=True)
    except SyntaxError as e:
        return make_record('syntax-error', {
            'name': type(e).__name__, 'message': str(e.msg),
            'line': e.lineno if type(e.lineno) is int else None, 'traceback': ''})
    except (ValueError, OverflowError, MemoryError, RecursionError) as e:
        return make_record('syntax-error', {'name': type(e).__name__, 'message': str(e),
                                            'line': None, 'traceback': ''})
    namespace = {
        '__builtins__': builtins, 'CODE': code, 'SOURCE': source,
        'USER_FILENAME': USER_FILENAME, 'VIOLATION': SandboxViolation,
        'OUTPUT_LIMIT': int(request['outputBytes']), 'TEXT_LIMIT': TEXT_LIMIT,
        'RESULT_VARIABLE': request.get('resultVariable'),
    }
    exec(FACTORY_CODE, namespace)
    return namespace['execute']


def finish(record_json):
    """The run's final record (JSON) and the objects it left behind, as a
    tuple: the caller (JavaScript) frees the tuple."""
    record = json.loads(record_json)
    violations = take_violations()
    if violations and record['status'] != 'forbidden':
        # The user code caught the SandboxViolation and carried on: still forbidden.
        record['status'] = 'forbidden'
        record['error'] = {'name': 'SandboxViolation',
                           'message': f'forbidden in the sandbox: {violations[0]}',
                           'line': None, 'traceback': ''}
    grave = []
    baseline.restore(grave)
    clear_scratch()
    return json.dumps(record), grave


def check_environment():
    """Facts the worker reports at start-up (tests read them)."""
    return json.dumps({'python': sys.version.split()[0], 'cwd': os.getcwd(), 'replaced': replaced})


os.makedirs('/home/pyodide', exist_ok=True)
os.chdir('/home/pyodide')
replaced = replace_pyodide_patches()
remove_js_bridge()
# Pyodide seeds a handful of build variables; user code sees a plain environment.
for _key in list(os.environ):
    if _key not in ('HOME', 'PATH', 'LANG', 'PWD', 'USER', 'LOGNAME'):
        del os.environ[_key]
take_violations, guarded_create_builtin = install_guards()
gc.collect()
baseline = Baseline()
