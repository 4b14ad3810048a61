# The interpreter set-up of a sandbox worker, executed once inside Pyodide
# before the worker takes its heap snapshot. Every run starts from that
# snapshot, so nothing here is ever undone or re-checked between runs: what
# this file leaves behind is the pristine state each run begins in.
#
# It returns (through `setup()`) the few objects the worker's JavaScript driver
# needs; none of them is reachable from a module, a class or a builtin, so
# user code never holds them.
import builtins
import importlib.util
import io
import os
import sys
import time
import _imp

# Modules whose only purpose is reaching the host (Pyodide's JavaScript
# bridge), processes, raw memory, the interpreter's internals or its tracing
# hooks. Their import is refused by name, and so is creating any module at
# run time (every other built-in module is imported here, before the snapshot).
BLOCKED_MODULES = frozenset({
    'js', 'pyodide_js', 'pyodide', '_pyodide', '_pyodide_core', 'micropip', 'pyodide_http',
    'emscripten', '_emscripten_info', 'ctypes', '_ctypes', 'subprocess', '_posixsubprocess',
    'multiprocessing', '_multiprocessing', '_socket', '_testcapi', '_testinternalcapi',
    '_testlimitedcapi', '_testbuffer', '_testclinic', '_testclinic_limited', '_testmultiphase',
    '_testsinglephase', '_testimportmultiple', '_xxtestfuzz', 'xxsubtype', '_remote_debugging',
    '_lsprof', 'cProfile', 'profile', 'faulthandler',
})

# Pyodide's own modules (the JavaScript bridge): their dicts are cleared too,
# so a function reached through class introspection finds nothing.
BRIDGE_MODULES = frozenset({
    'js', 'pyodide_js', 'pyodide', '_pyodide', '_pyodide_core', 'micropip', 'pyodide_http',
    'emscripten', '_emscripten_info',
})


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


# time.sleep without JavaScript timers: wait on the clock (the run's time limit
# still applies). Built in a namespace of its own, holding only `time`.
SLEEP_SOURCE = """
def sleep(seconds):
    if seconds < 0:
        raise ValueError('sleep length must be non-negative')
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass
"""


def busy_sleep():
    namespace = {'__builtins__': builtins, 'time': time, '__name__': 'time'}
    exec(compile(SLEEP_SOURCE, '<sandbox>', 'exec'), namespace)
    return namespace['sleep']


def replace_pyodide_patches():
    """Pyodide's replacements of stdlib functions call into its JavaScript
    bridge; swap in bridge-free versions before the bridge goes away."""
    replaced = []
    for module_name, key in pyodide_patches():
        module = sys.modules[module_name]
        if module_name == 'time' and key == 'sleep':
            module.sleep = busy_sleep()
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
    for name in [n for n in list(sys.modules) if n.split('.')[0] in BLOCKED_MODULES]:
        module = sys.modules.pop(name, None)
        if module is not None and hasattr(module, '__dict__') and name.split('.')[0] in BRIDGE_MODULES:
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


def preload_builtin_modules():
    """Import every built-in module that is not blocked: module creation is
    refused at run time, so these are all a run can have."""
    for name in sys.builtin_module_names:
        if name in sys.modules or name.split('.')[0] in BLOCKED_MODULES:
            continue
        try:
            __import__(name)
        except Exception:
            pass


def remove_signal_handlers():
    """No Python-level signal handlers and no timers: nothing can run user
    code at an arbitrary point of another function (the default SIGINT
    handler only raises KeyboardInterrupt). No raise_signal either: SIGABRT
    raised that way aborts the interpreter, and the worker must be replaced,
    seconds of CPU for a run of milliseconds."""
    for module_name in ('signal', '_signal'):
        module = sys.modules.get(module_name)
        for key in ('signal', 'alarm', 'setitimer', 'pthread_kill', 'set_wakeup_fd', 'raise_signal'):
            if module is not None and key in module.__dict__:
                delattr(module, key)
    # os.abort() would end the interpreter for good, and os._exit() would end
    # it through the host process: both end the run like sys.exit() instead.
    namespace = {'__builtins__': builtins}
    exec(compile(EXIT_SOURCE, '<sandbox>', 'exec'), namespace)
    for module_name in ('os', 'posix'):
        module = sys.modules.get(module_name)
        if module is not None:
            module.abort = namespace['abort']
            module._exit = namespace['_exit']


EXIT_SOURCE = """
def _exit(status=1):
    raise SystemExit(status)

def abort():
    raise SystemExit(134)
"""


def setup_streams():
    """stdout and stderr write straight (no buffer) to file descriptors 1 and
    2, which the worker has pointed at its counting devices (so C-level writes
    are counted too); stdin is empty."""
    def stream(fd):
        return io.TextIOWrapper(io.FileIO(fd, 'w', closefd=False), encoding='utf-8',
                                errors='backslashreplace', write_through=True)
    sys.stdout = sys.__stdout__ = stream(1)
    sys.stderr = sys.__stderr__ = stream(2)
    sys.stdin = sys.__stdin__ = io.StringIO('')


# The per-run objects user code sees: final_answer() records its argument in
# `answers` and ends the run. Built in a namespace of their own, so reaching
# final_answer's globals reaches nothing else.
RUN_SOURCE = '''
class FinalAnswer(BaseException):
    """Ends the run: final_answer() was called."""

answers = []

def final_answer(value=None, *args, **kwargs):
    answers.append(value)
    raise FinalAnswer()
'''

# Called by the driver before a run (pristine state) and after it, to describe
# an exception. What user code changed in the interpreter can only change the
# text of its own error here, never the run's status (the driver decides that).
HELPERS_SOURCE = '''
import linecache, traceback

USER_FILENAME = '<code>'
TEXT_LIMIT = 4096
TRACEBACK_FRAMES = 20

def prepare(source):
    linecache.cache[USER_FILENAME] = (len(source), None, source.splitlines(True), USER_FILENAME)

def text_of(x):
    try:
        s = str(x)
    except BaseException as e:
        s = f'<unprintable {type(x).__name__}: {type(e).__name__}>'
    if type(s) is not str:
        s = f'<unprintable {type(x).__name__}>'
    return s[:TEXT_LIMIT]

def describe(e):
    name = type(e).__name__
    if isinstance(e, SyntaxError):
        line = e.lineno if type(e.lineno) is int else None
        return (name, text_of(e.msg), line, '')
    try:
        # The innermost frames only: a deep recursion's traceback is long.
        lines = traceback.format_exception(e, limit=-TRACEBACK_FRAMES)
        frames = [f for f in traceback.extract_tb(e.__traceback__, limit=-TRACEBACK_FRAMES)
                  if f.filename == USER_FILENAME]
        line = frames[-1].lineno if frames else getattr(e, 'lineno', None)
        kept = [l for l in lines if 'File "' not in l or USER_FILENAME in l]
        tb = ''.join(kept)[-TEXT_LIMIT:]
    except BaseException:
        tb, line = '', None
    return (name, text_of(e), line if type(line) is int else None, tb if type(tb) is str else '')
'''


def warm_import_caches():
    """Fill every path finder's directory cache now: listing folders outside
    the scratch folders is refused at run time, and these never change."""
    importlib.invalidate_caches()
    for name in ('_molrl_no_such_module_', 'xml.etree.ElementTree', 'csv', 'email.mime.text'):
        try:
            importlib.util.find_spec(name)
        except Exception:
            pass


def setup():
    """Everything before the guards: returns the objects the driver needs."""
    os.makedirs('/home/pyodide', exist_ok=True)
    os.chdir('/home/pyodide')
    replaced = replace_pyodide_patches()
    preload_builtin_modules()
    remove_signal_handlers()
    setup_streams()
    # Pyodide seeds a handful of build variables; user code sees a plain environment.
    for key in list(os.environ):
        if key not in ('HOME', 'PATH', 'LANG', 'PWD', 'USER', 'LOGNAME'):
            del os.environ[key]
    warm_import_caches()
    # Every run starts from this state of the random module (like a program
    # started with a fixed seed); os.urandom and secrets stay random.
    sys.modules['random'].seed(0)
    run_namespace = {'__builtins__': builtins, '__name__': '__sandbox__'}
    exec(compile(RUN_SOURCE, '<sandbox>', 'exec'), run_namespace)
    helpers = {'__builtins__': builtins, '__name__': '__sandbox__'}
    exec(compile(HELPERS_SOURCE, '<sandbox>', 'exec'), helpers)
    return {
        'final_answer': run_namespace['final_answer'],
        'answers': run_namespace['answers'],
        'FinalAnswer': run_namespace['FinalAnswer'],
        'prepare': helpers['prepare'],
        'describe': helpers['describe'],
        'text_of': helpers['text_of'],
        'builtins': builtins,
        'python': sys.version.split()[0],
        'replaced': replaced,
    }


def install_guards():
    """The audit hook is installed by the worker as a C-level hook (a function
    pointer the interpreter holds; no Python object of it exists). Here,
    creating a module becomes an audit event the hook refuses: `_imp`'s
    creators are replaced by a bound `sys.audit` (immutable, holding only that
    function and the event name), and the originals are dropped, so no run can
    create a module."""
    import types
    refuse = types.MethodType(sys.audit, 'molrl.create_module')
    _imp.create_builtin = refuse
    _imp.create_dynamic = refuse
    # importlib.import_module() raises no C-level `import` event: a first
    # meta-path finder turns every lookup into an event the hook checks (and
    # finds nothing itself).
    sys.meta_path.insert(0, types.SimpleNamespace(find_spec=types.MethodType(sys.audit, 'molrl.find_spec')))
