// Run in the Python worker once Pyodide is loaded, before any user code: even
// if user code got hold of a JavaScript object (past the Python layer), there
// is no code generation to climb to (Function/eval), no process object, and no
// network API. Pyodide's runtime keeps working: it tests `instanceof Function`
// and calls Function.prototype.apply, never compiles strings after loading.
export function hardenGlobals() {
  const functionPrototypes = [
    Function.prototype,
    Object.getPrototypeOf(async function () {}),
    Object.getPrototypeOf(function* () {}),
    Object.getPrototypeOf(async function* () {}),
  ];
  for (const proto of functionPrototypes) {
    try {
      Object.defineProperty(proto, 'constructor', { value: undefined, writable: false, configurable: false });
    } catch {
      // non-configurable on this engine: left as is
    }
  }
  // Function and eval stay as names (Pyodide's runtime tests `instanceof
  // Function` and calls Function.prototype.apply) but can no longer compile.
  const refuse = () => {
    throw new EvalError('code generation from strings is disabled in the sandbox');
  };
  const NoCodeFunction = function Function() {
    refuse();
  };
  NoCodeFunction.prototype = Function.prototype;
  for (const [name, value] of [
    ['Function', NoCodeFunction],
    ['eval', refuse],
  ]) {
    Object.defineProperty(globalThis, name, { value, writable: false, configurable: false });
  }
  const removedGlobals = [
    'process',
    'fetch',
    'Request',
    'Response',
    'Headers',
    'WebSocket',
    'EventSource',
    'XMLHttpRequest',
    'require',
    'module',
    'SharedArrayBuffer',
    'Atomics',
    'navigator',
    'global',
  ];
  for (const name of removedGlobals) {
    try {
      delete globalThis[name];
    } catch {
      // non-configurable: left as is
    }
  }
}
