/** The name user code's frames carry in stacks (its `sourceURL`). */
export const USER_FILE = 'user-code.js';

/**
 * The script every fresh JavaScript context runs first.
 *
 * It installs `console` (captured, bounded output), `final_answer` and getters
 * that turn the usual host capabilities (`require`, `process`, `fetch`, ...)
 * into a recorded violation (WebAssembly among them: its memories are
 * allocated outside the isolate's heap limit, as are resizable and growable
 * buffers, refused too), and evaluates to `run`, the
 * function the host calls with the user's code: it evaluates the code
 * (indirect eval, so it runs in global scope like a script) and returns
 * everything as one JSON string — one call into the isolate per run. All the
 * run's state lives in this closure: the user code can overwrite globals, but
 * never the counters the host reads.
 *
 * The returned string is written by hand from primitives (JSON.stringify is
 * only ever applied to strings, captured before the user code ran), so no
 * prototype the user code patched (`Object.prototype.toJSON`, getters) takes
 * part in it; the result is encoded within `resultBytes`. Nothing the code
 * makes can act after the run: FinalizationRegistry never calls back and
 * Atomics.waitAsync is absent (a run cut short loses its whole isolate).
 */
export function preludeSource(outputBytes: number, resultBytes: number): string {
  return `(function () {
  'use strict';
  const global = globalThis;
  const indirectEval = global.eval;
  const stringify = JSON.stringify;
  const StringOf = String;
  const isArray = Array.isArray;
  const keysOf = Object.keys;
  const define = Object.defineProperty;
  const isFinite = Number.isFinite;
  const isSafeInteger = Number.isSafeInteger;
  const charCodeAt = Function.prototype.call.bind(String.prototype.charCodeAt);
  const slice = Function.prototype.call.bind(String.prototype.slice);
  const indexOf = Function.prototype.call.bind(String.prototype.indexOf);
  const apply = Reflect.apply;
  const dateNow = Date.now;
  const NumberOf = Number;
  const TEXT_LIMIT = 4096;
  const RESULT_LIMIT = ${Math.floor(resultBytes)};
  const USER_FILE = ${JSON.stringify(USER_FILE)};
  let left = ${Math.floor(outputBytes)};
  let exceeded = false;
  let stdout = '';
  let stderr = '';
  let forbidden = null;
  let answered = false;
  let answer;

  class OutputLimitError extends Error {}
  class ForbiddenError extends Error {}
  define(OutputLimitError.prototype, 'name', { value: 'OutputLimitError' });
  define(ForbiddenError.prototype, 'name', { value: 'ForbiddenError' });
  const FINAL = new (class FinalAnswer {})();

  function utf8Length(text) {
    let n = text.length;
    for (let i = 0; i < text.length; i++) {
      const c = charCodeAt(text, i);
      if (c > 0x7f) n += c > 0x7ff && (c < 0xd800 || c > 0xdfff) ? 2 : 1;
    }
    return n;
  }

  function show(value, depth) {
    if (typeof value === 'string') return depth === 0 ? value : stringify(value);
    if (value === null || typeof value !== 'object') {
      if (typeof value === 'function') return '[Function' + (value.name ? ': ' + value.name : ' (anonymous)') + ']';
      if (typeof value === 'symbol' || typeof value === 'bigint') return value.toString() + (typeof value === 'bigint' ? 'n' : '');
      return StringOf(value);
    }
    if (value instanceof Error) return value.stack ? StringOf(value.stack) : StringOf(value);
    if (depth > 2) return isArray(value) ? '[Array]' : '[Object]';
    if (isArray(value)) {
      const items = [];
      for (let i = 0; i < value.length && i < 100; i++) items.push(show(value[i], depth + 1));
      if (value.length > 100) items.push('... ' + (value.length - 100) + ' more items');
      return '[ ' + items.join(', ') + ' ]';
    }
    const parts = [];
    for (const key of keysOf(value).slice(0, 100)) parts.push(key + ': ' + show(value[key], depth + 1));
    return parts.length ? '{ ' + parts.join(', ') + ' }' : '{}';
  }

  function write(toStderr, args) {
    let text = '';
    for (let i = 0; i < args.length; i++) text += (i ? ' ' : '') + show(args[i], 0);
    text += '\\n';
    const n = utf8Length(text);
    if (n > left) {
      // The captured slice: a String.prototype.slice the code replaced could hand back more.
      const kept = left > 0 ? slice(text, 0, left) : '';
      if (toStderr) stderr += kept; else stdout += kept;
      left = 0;
      exceeded = true;
      throw new OutputLimitError('output limit exceeded');
    }
    left -= n;
    if (toStderr) stderr += text; else stdout += text;
  }

  const out = (...args) => write(false, args);
  const err = (...args) => write(true, args);
  global.console = { log: out, info: out, debug: out, trace: err, warn: err, error: err };
  global.print = out;
  global.final_answer = global.finalAnswer = function final_answer(value) {
    answered = true;
    answer = value;
    throw FINAL;
  };
  // Host capabilities exist as names (so feature tests like \`typeof process\`
  // behave) but any use of them is a recorded violation.
  const refuse = (name) => {
    if (forbidden === null) forbidden = name;
    throw new ForbiddenError(name + ' is not available in the sandbox');
  };
  const refusingObject = (name) =>
    new Proxy(function () {}, {
      get: () => refuse(name),
      set: () => refuse(name),
      has: () => refuse(name),
      apply: () => refuse(name),
      construct: () => refuse(name),
      ownKeys: () => refuse(name),
      getOwnPropertyDescriptor: () => refuse(name),
      getPrototypeOf: () => refuse(name),
      defineProperty: () => refuse(name),
      deleteProperty: () => refuse(name),
    });
  for (const name of ['require', 'process', 'module', 'exports', 'fetch', 'XMLHttpRequest', 'WebSocket',
    'importScripts', 'Deno', 'Bun', 'Buffer', 'Worker', 'SharedWorker', 'WebAssembly']) {
    // Built on first touch: most runs never look.
    let standIn;
    define(global, name, { configurable: false, get: () => (standIn ??= refusingObject(name)) });
  }

  // Resizable and growable buffers get their memory outside the isolate's heap
  // limit (as WebAssembly memories do): 2 GB in a 128 MB isolate. The constructors
  // refuse maxByteLength (the native ones stay out of reach: the wrappers replace
  // them as globals and as their prototypes' constructor) and resize / grow refuse.
  for (const name of ['ArrayBuffer', 'SharedArrayBuffer']) {
    const Native = global[name];
    if (typeof Native !== 'function') continue;
    const proto = Native.prototype;
    const construct = Reflect.construct;
    const Wrapper = function (length, options) {
      if (new.target === undefined) throw new TypeError("Constructor " + name + " requires 'new'");
      if (options !== undefined && options !== null && options.maxByteLength !== undefined)
        refuse('a resizable ' + name + ' (maxByteLength)');
      return construct(Native, [length], new.target === Wrapper ? Native : new.target);
    };
    define(Wrapper, 'name', { value: name });
    define(Wrapper, 'length', { value: 1 });
    define(Wrapper, 'prototype', { value: proto, writable: false, enumerable: false, configurable: false });
    if (typeof Native.isView === 'function') define(Wrapper, 'isView', { value: Native.isView, writable: true, configurable: true });
    define(Wrapper, Symbol.species, { get() { return this; }, configurable: true });
    define(proto, 'constructor', { value: Wrapper, writable: true, enumerable: false, configurable: true });
    for (const method of ['resize', 'grow'])
      if (method in proto)
        define(proto, method, { value: () => refuse(name + '.prototype.' + method), writable: false, configurable: false });
    define(global, name, { value: Wrapper, writable: true, enumerable: false, configurable: true });
  }

  // Time spent blocked in Atomics.wait is wall-clock time, not CPU time: it
  // is subtracted from the isolate's CPU time (the wall-clock limit still
  // applies). Arguments are converted before the clock starts.
  let waitedMs = 0;
  const atomics = global.Atomics;
  if (atomics) {
    const nativeWait = atomics.wait;
    define(atomics, 'wait', {
      configurable: true,
      writable: true,
      value: function wait(array, index, value, timeout) {
        const i = NumberOf(index);
        const v = typeof value === 'bigint' ? value : NumberOf(value);
        const t = timeout === undefined ? undefined : NumberOf(timeout);
        const started = dateNow();
        try {
          return apply(nativeWait, atomics, t === undefined ? [array, i, v] : [array, i, v, t]);
        } finally {
          waitedMs += dateNow() - started;
        }
      },
    });
    delete atomics.waitAsync;
  }
  global.FinalizationRegistry = class FinalizationRegistry {
    constructor(cleanup) {
      if (typeof cleanup !== 'function') throw new TypeError('FinalizationRegistry: cleanup must be callable');
    }
    register() {}
    unregister() {
      return false;
    }
  };

  class TooLarge {}
  const TOO_LARGE = new TooLarge();
  const quote = (text) => stringify(StringOf(text));

  /** The value as JSON text, within the result budget (JSON.stringify only ever sees strings). */
  function encode(value, depth, budget) {
    let text;
    if (value === null || value === undefined) text = 'null';
    else if (typeof value === 'boolean') text = value ? 'true' : 'false';
    else if (typeof value === 'string') {
      if (value.length > budget.left) throw TOO_LARGE;
      text = quote(value);
    } else if (typeof value === 'number') text = isFinite(value) ? StringOf(value) : quote(StringOf(value));
    else if (typeof value === 'bigint') text = isSafeInteger(NumberOf(value)) ? StringOf(NumberOf(value)) : quote(StringOf(value));
    else if (typeof value !== 'object' || depth > 8 || value instanceof Error) text = quote(textOf(value));
    else if (isArray(value)) {
      spend(budget, 2);
      text = '[';
      const n = value.length;
      for (let i = 0; i < n && i < 10000; i++) text += (i ? ',' : '') + encode(value[i], depth + 1, budget);
      return text + ']';
    } else {
      spend(budget, 2);
      text = '{';
      const keys = keysOf(value);
      for (let i = 0; i < keys.length && i < 10000; i++) {
        const key = quote(keys[i]);
        spend(budget, key.length + 1);
        text += (i ? ',' : '') + key + ':' + encode(value[keys[i]], depth + 1, budget);
      }
      return text + '}';
    }
    spend(budget, utf8Length(text) + 1);
    return text;
  }

  function spend(budget, n) {
    budget.left -= n;
    if (budget.left < 0) throw TOO_LARGE;
  }

  function textOf(value) {
    try {
      const text = typeof value === 'object' && value !== null && !(value instanceof Error) && (isArray(value) || value.toString === Object.prototype.toString)
        ? show(value, 1)
        : StringOf(value);
      return slice(StringOf(text), 0, TEXT_LIMIT);
    } catch (e) {
      return '<unprintable ' + typeof value + '>';
    }
  }

  // The named result variable is read through a function made in the code's own
  // scope (a top-level let is visible only there), each time the record is
  // written: promise jobs that ran after the code may have set it.
  let variableReader = null;
  define(global, '__molrl_capture__', {
    configurable: false,
    writable: false,
    value: (reader) => {
      variableReader = reader;
    },
  });

  function errorOf(thrown) {
    if (thrown === FINAL) return null;
    if (thrown instanceof Error) {
      let stack = '';
      try {
        stack = StringOf(thrown.stack);
      } catch (e) {}
      // Cut with the captured slice: the fields are the code's own (any length, any getter).
      return {
        name: slice(StringOf(thrown.name), 0, 200),
        message: slice(StringOf(thrown.message), 0, TEXT_LIMIT),
        stack: slice(stack, 0, TEXT_LIMIT),
        // A parse error of the user's source has no frame in it.
        parse: thrown instanceof SyntaxError && indexOf(stack, USER_FILE) < 0,
        value: false,
      };
    }
    return { name: 'Uncaught', message: 'uncaught ' + textOf(thrown), stack: '', parse: false, value: true };
  }

  /**
   * run(code, resultVariable): evaluate the user's code in this context and
   * return everything as one JSON string. run(null) only collects (after a
   * timeout cut the evaluation short).
   */
  return function run(code, resultVariable) {
    let error = null;
    if (typeof code === 'string') {
      let source = code;
      if (resultVariable) {
        source += '\\n;__molrl_capture__(() => typeof ' + resultVariable + " === 'undefined' ? undefined : " + resultVariable + ');';
      }
      try {
        indirectEval(source + '\\n//# sourceURL=' + USER_FILE);
      } catch (thrown) {
        error = errorOf(thrown);
      }
    }
    let variableValue;
    if (!answered && typeof variableReader === 'function') {
      try {
        variableValue = apply(variableReader, undefined, []);
      } catch (thrown) {
        if (error === null && typeof code === 'string') error = errorOf(thrown);
      }
    }
    let hasResult = answered || variableValue !== undefined;
    const value = answered ? answer : variableValue;
    let result = 'null';
    let resultText = 'null';
    let resultTooLarge = false;
    if (hasResult) {
      // User code (getters, toString) may run here: it is still this run's.
      try {
        const budget = { left: RESULT_LIMIT };
        result = encode(value, 0, budget);
        const textValue = typeof value === 'string' ? slice(value, 0, TEXT_LIMIT) : textOf(value);
        spend(budget, utf8Length(textValue));
        resultText = quote(textValue);
      } catch (e) {
        result = 'null';
        resultText = 'null';
        resultTooLarge = e === TOO_LARGE;
      }
    }
    const errorText = error === null
      ? 'null'
      : '{"name":' + quote(error.name) + ',"message":' + quote(error.message) + ',"stack":' + quote(error.stack) +
        ',"parse":' + (error.parse ? 'true' : 'false') + ',"value":' + (error.value ? 'true' : 'false') + '}';
    // Read last: what ran during the encoding counts too.
    return '{"stdout":' + quote(stdout) + ',"stderr":' + quote(stderr) + ',"exceeded":' + (exceeded ? 'true' : 'false') +
      ',"forbidden":' + (forbidden === null ? 'null' : quote(forbidden)) + ',"finalAnswer":' + (answered ? 'true' : 'false') +
      ',"result":' + result + ',"resultText":' + resultText + ',"resultTooLarge":' + (resultTooLarge ? 'true' : 'false') +
      ',"waitedMs":' + StringOf(waitedMs) + ',"error":' + errorText + '}';
  };
})()`;
}
