// One Python run, driven from JavaScript through the interpreter's C API:
// compile the source, evaluate it in a fresh globals dict, and read what it
// left (the exception, final_answer's value) straight out of the WebAssembly
// heap. No Python function sits between the host and the user's code (its
// bottom frame has no caller to climb to), and the record is built here, from
// exact-typed Python objects read at the C level, not by any Python code the
// run could have patched (no json.dumps, no repr of the record).
//
// Nothing is freed: the heap is restored from the snapshot after the run.
// Every write this driver makes into the heap itself is marked in the dirty
// map (dirty-pages.mjs), so the restore knows it.
const Py_file_input = 257;
// PyCF_SOURCE_IS_UTF8 | PyCF_IGNORE_COOKIE: the source is the str it was sent as.
const COMPILE_FLAGS = 0x0100 | 0x0800;
const MAX_ITEMS = 10_000;
const MAX_DEPTH = 8;
const TEXT_LIMIT = 4096;
const MAX_SAFE = 2 ** 53;

class ResultTooLarge extends Error {}

export class PythonRunner {
  /**
   * @param module Pyodide's Emscripten module.
   * @param objects pointers (pinned) of the set-up objects: final_answer,
   *   answers, FinalAnswer, prepare, describe, text_of, builtins.
   * @param tracker the PageTracker: what this driver writes into the heap, it marks.
   */
  constructor(module, objects, tracker) {
    this.m = module;
    this.o = objects;
    this.tracker = tracker;
    this.encoder = new TextEncoder();
    this.decoder = new TextDecoder();
    const m = module;
    const deref = (address) => m.HEAPU32[address >>> 2];
    this.types = {
      str: m._PyUnicode_Type,
      int: m._PyLong_Type,
      float: m._PyFloat_Type,
      bool: m._PyBool_Type,
      list: m._PyList_Type,
      tuple: m._PyTuple_Type,
      dict: m._PyDict_Type,
      none: m.__Py_NoneStruct,
      true: m.__Py_TrueStruct,
      memoryError: deref(m._PyExc_MemoryError),
      systemExit: deref(m._PyExc_SystemExit),
      recursionError: deref(m._PyExc_RecursionError),
    };
  }

  /** A NUL-terminated UTF-8 copy of `text` in the heap. */
  cstring(text) {
    const bytes = this.encoder.encode(text);
    const pointer = this.m._malloc(bytes.length + 1);
    if (!pointer) throw new RangeError('out of memory for the source');
    this.m.HEAPU8.set(bytes, pointer);
    this.m.HEAPU8[pointer + bytes.length] = 0;
    this.tracker?.markRange(pointer, bytes.length + 1);
    return pointer;
  }

  pyString(text) {
    const bytes = this.encoder.encode(text);
    const pointer = this.m._malloc(bytes.length + 1);
    if (!pointer) throw new RangeError('out of memory for a string');
    this.m.HEAPU8.set(bytes, pointer);
    this.tracker?.markRange(pointer, bytes.length);
    return this.m._PyUnicode_FromStringAndSize(pointer, bytes.length);
  }

  /** Take the pending Python exception (a new reference), or 0. */
  takeException() {
    return this.m._PyErr_GetRaisedException();
  }

  typeOf(object) {
    return this.m._Py_TYPE(object);
  }

  /**
   * Run `code`: returns the record's fields (status, result, error...) except
   * the output, which the devices captured. Throws RunEnded when the run was
   * ended (violation, output flood, deadline) — also during the extraction,
   * which runs user code (__str__) and stays under the same rules.
   */
  run(code, resultVariable, resultBytes) {
    const m = this.m;
    if (code.includes('\0')) {
      return this.failed('syntax-error', {
        name: 'SyntaxError',
        message: 'source code string cannot contain null bytes',
        line: null,
        traceback: '',
      });
    }
    const flags = m._malloc(8);
    m.HEAP32[flags >>> 2] = COMPILE_FLAGS;
    m.HEAP32[(flags >>> 2) + 1] = 14;
    this.tracker?.markRange(flags, 8);
    const compiled = m._Py_CompileStringExFlags(this.cstring(code), this.cstring('<code>'), Py_file_input, flags, -1);
    if (!compiled) {
      const exception = this.takeException();
      const status = this.matches(exception, this.types.memoryError) ? 'memory' : 'syntax-error';
      return this.failed(status, this.describe(exception));
    }
    const globals = m._PyDict_New();
    m._PyDict_SetItemString(globals, this.cstring('__name__'), this.pyString('__main__'));
    m._PyDict_SetItemString(globals, this.cstring('__builtins__'), this.o.builtins);
    m._PyDict_SetItemString(globals, this.cstring('final_answer'), this.o.final_answer);
    if (!m._PyObject_CallOneArg(this.o.prepare, this.pyString(code))) m._PyErr_Clear();

    const returned = m._PyEval_EvalCode(compiled, globals, globals);
    const exception = returned ? 0 : this.takeException();

    let status = 'ok';
    let error = null;
    if (exception && !this.matches(exception, this.o.FinalAnswer)) {
      if (this.matches(exception, this.types.systemExit)) {
        if (!this.exitedCleanly(exception)) [status, error] = ['runtime-error', this.describe(exception)];
      } else if (this.matches(exception, this.types.memoryError)) {
        [status, error] = ['memory', this.describe(exception)];
      } else {
        [status, error] = ['runtime-error', this.describe(exception)];
      }
    }

    // final_answer's last argument, else the named variable.
    const answers = this.o.answers;
    const answered = m._PyList_Size(answers) > 0;
    let value = 0;
    if (answered) value = m._PyList_GetItem(answers, m._PyList_Size(answers) - 1);
    else if (resultVariable) value = m._PyDict_GetItemString(globals, this.cstring(resultVariable));
    if (m._PyErr_Occurred()) m._PyErr_Clear();

    const record = { status, result: null, resultText: null, finalAnswer: answered, error };
    if (value) {
      try {
        const budget = { left: resultBytes };
        record.result = this.toData(value, 0, budget);
        record.resultText = this.textOf(value);
        // The running count above is an estimate (it stops a flood early);
        // the limit is checked on the exact size the host will measure.
        const exact =
          this.encoder.encode(JSON.stringify(record.result)).length + this.encoder.encode(record.resultText).length;
        if (exact > resultBytes) throw new ResultTooLarge();
      } catch (e) {
        if (!(e instanceof ResultTooLarge)) throw e;
        return {
          status: 'output-limit',
          result: null,
          resultText: null,
          finalAnswer: answered,
          error: {
            name: 'ResultLimit',
            message: `the result is larger than its limit (${resultBytes} bytes)`,
            line: null,
            traceback: '',
          },
        };
      }
    }
    return record;
  }

  failed(status, error) {
    return { status, result: null, resultText: null, finalAnswer: false, error };
  }

  matches(exception, type) {
    return exception !== 0 && this.m._PyErr_GivenExceptionMatches(exception, type) !== 0;
  }

  /** SystemExit with code None or 0. */
  exitedCleanly(exception) {
    const m = this.m;
    const code = m._PyObject_GetAttrString(exception, this.cstring('code'));
    if (!code) {
      m._PyErr_Clear();
      return false;
    }
    if (code === this.types.none) return true;
    if (this.typeOf(code) !== this.types.int) return false;
    const n = m._PyLong_AsLong(code);
    if (m._PyErr_Occurred()) m._PyErr_Clear();
    return n === 0;
  }

  /** The exception as { name, message, line, traceback }, from the set-up `describe` helper. */
  describe(exception) {
    const m = this.m;
    const fallback = { name: 'Error', message: '', line: null, traceback: '' };
    if (!exception) return fallback;
    const described = m._PyObject_CallOneArg(this.o.describe, exception);
    if (!described || this.typeOf(described) !== this.types.tuple || m._PyTuple_Size(described) !== 4) {
      m._PyErr_Clear();
      return fallback;
    }
    const item = (i) => m._PyTuple_GetItem(described, i);
    const text = (pointer, limit) =>
      pointer && this.typeOf(pointer) === this.types.str ? this.readString(pointer, limit * 4).slice(0, limit) : '';
    const linePointer = item(2);
    let line = null;
    if (linePointer && this.typeOf(linePointer) === this.types.int) {
      const n = m._PyLong_AsLong(linePointer);
      if (m._PyErr_Occurred()) m._PyErr_Clear();
      else line = n;
    }
    return {
      name: text(item(0), 200) || 'Error',
      message: text(item(1), TEXT_LIMIT),
      line,
      traceback: text(item(3), 2 * TEXT_LIMIT),
    };
  }

  /** A str object's text, at most `maxBytes` of UTF-8 (longer: ResultTooLarge). */
  readString(pointer, maxBytes) {
    const m = this.m;
    if (m._PyUnicode_GetLength(pointer) > maxBytes) throw new ResultTooLarge();
    const sizePointer = m._malloc(4);
    let data = m._PyUnicode_AsUTF8AndSize(pointer, sizePointer);
    let size = m.HEAPU32[sizePointer >>> 2];
    if (!data) {
      // Lone surrogates: escape them.
      m._PyErr_Clear();
      const bytes = m._PyUnicode_AsEncodedString(pointer, this.cstring('utf-8'), this.cstring('backslashreplace'));
      if (!bytes) {
        m._PyErr_Clear();
        return '';
      }
      data = m._PyBytes_AsString(bytes);
      size = m._PyBytes_Size(bytes);
    }
    if (size > maxBytes) throw new ResultTooLarge();
    return this.decoder.decode(m.HEAPU8.subarray(data, data + size));
  }

  spend(budget, bytes) {
    budget.left -= bytes;
    if (budget.left < 0) throw new ResultTooLarge();
  }

  /** str(x), cut to 4096 characters (user code's __str__ may run: its time and output count). */
  textOf(pointer) {
    const m = this.m;
    const text = m._PyObject_CallOneArg(this.o.text_of, pointer);
    if (!text || this.typeOf(text) !== this.types.str) {
      m._PyErr_Clear();
      return '<unprintable>';
    }
    return this.readString(text, 4 * TEXT_LIMIT);
  }

  /** The value as JSON data: big integers and non-finite floats become strings, other objects their str(). */
  toData(pointer, depth, budget) {
    const m = this.m;
    const t = this.typeOf(pointer);
    const types = this.types;
    if (pointer === types.none) {
      this.spend(budget, 4);
      return null;
    }
    if (t === types.bool) {
      this.spend(budget, 5);
      return pointer === types.true;
    }
    if (t === types.str) {
      const text = this.readString(pointer, budget.left);
      this.spend(budget, this.encoder.encode(text).length + 2);
      return text;
    }
    if (t === types.int) {
      const n = m._PyLong_AsDouble(pointer);
      if (m._PyErr_Occurred()) m._PyErr_Clear();
      else if (Number.isInteger(n) && Math.abs(n) <= MAX_SAFE) {
        this.spend(budget, String(n).length);
        return n;
      }
      return this.textData(pointer, budget);
    }
    if (t === types.float) {
      const n = m._PyFloat_AsDouble(pointer);
      if (Number.isFinite(n)) {
        this.spend(budget, String(n).length);
        return n;
      }
      return this.textData(pointer, budget);
    }
    if (depth < MAX_DEPTH && (t === types.list || t === types.tuple)) {
      const isList = t === types.list;
      const size = Math.min(isList ? m._PyList_Size(pointer) : m._PyTuple_Size(pointer), MAX_ITEMS);
      const items = [];
      this.spend(budget, 2);
      for (let i = 0; i < size; i++) {
        // A list can shrink while user code (a __str__) runs: re-check.
        if (isList && i >= m._PyList_Size(pointer)) break;
        const item = isList ? m._PyList_GetItem(pointer, i) : m._PyTuple_GetItem(pointer, i);
        if (!item) break;
        m._Py_IncRef(item);
        items.push(this.toData(item, depth + 1, budget));
        this.spend(budget, 1);
      }
      return items;
    }
    if (depth < MAX_DEPTH && t === types.dict) {
      const data = {};
      this.spend(budget, 2);
      const slots = m._malloc(12);
      m.HEAP32[slots >>> 2] = 0;
      this.tracker?.markRange(slots, 4);
      for (let n = 0; n < MAX_ITEMS && m._PyDict_Next(pointer, slots, slots + 4, slots + 8); n++) {
        const key = m.HEAPU32[(slots + 4) >>> 2];
        const value = m.HEAPU32[(slots + 8) >>> 2];
        m._Py_IncRef(key);
        m._Py_IncRef(value);
        const name = this.typeOf(key) === types.str ? this.readString(key, budget.left) : this.textOf(key);
        this.spend(budget, this.encoder.encode(name).length + 3);
        Object.defineProperty(data, name, {
          value: this.toData(value, depth + 1, budget),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return data;
    }
    return this.textData(pointer, budget);
  }

  textData(pointer, budget) {
    const text = this.textOf(pointer);
    this.spend(budget, this.encoder.encode(text).length + 2);
    return text;
  }
}
