import ivm from 'isolated-vm';
import { SandboxClosedError } from '../errors.js';
import { resultBytes } from '../python/python-process.js';
import type { Limits, RunError, RunRecord, RunStatus } from '../types.js';
import { preludeSource, USER_FILE } from './prelude.js';

/** Time the host allows collecting output after a run was cut short. */
const COLLECT_TIMEOUT_MS = 1_000;
/**
 * How long past its time limit a run may take to stop before the host gives up on
 * it. isolated-vm's timeout asks V8 to terminate, which some builtins (ICU case
 * mapping and normalisation of long strings) take tens of seconds to honour.
 */
export const JS_STOP_GRACE_MS = 1_000;
/** The longest error message kept (the Python worker keeps as much). */
const TEXT_LIMIT = 4096;

interface InnerError {
  name: string;
  message: string;
  stack: string;
  parse: boolean;
  value: boolean;
}

interface Collected {
  stdout: string;
  stderr: string;
  exceeded: boolean;
  forbidden: string | null;
  finalAnswer: boolean;
  result: unknown;
  resultText: string | null;
  /** The result passed `resultBytes` (then result and resultText are null). */
  resultTooLarge: boolean;
  /** Milliseconds spent blocked in Atomics.wait (wall-clock time, not CPU time). */
  waitedMs: number;
  /** What the user code threw (caught inside the isolate). */
  error: InnerError | null;
}

type RunFunction = (code: string | null, resultVariable: string | null) => string;

/**
 * One isolated-vm isolate that runs JavaScript requests one after another,
 * each in a fresh context. The isolate is replaced when it dies (memory limit)
 * or when a request asks for a different memory limit. A run costs three calls
 * into the isolate: create the context, run the prelude, run the code.
 */
export class JsRunner {
  private isolate: ivm.Isolate | undefined;
  private memoryMb = 0;
  private closed = false;
  /** Set when the current isolate must not serve another run. */
  private retire = false;
  private readonly preludes = new Map<string, ivm.Script>();

  /** `stopGraceMs`: how long past its limit a run may take to stop (JS_STOP_GRACE_MS). */
  constructor(private readonly stopGraceMs = JS_STOP_GRACE_MS) {}

  async run(code: string, limits: Limits, resultVariable: string | undefined): Promise<RunRecord> {
    const started = performance.now();
    const isolate = this.isolateFor(limits.memoryMb);
    let context: ivm.Context | undefined;
    let run: ivm.Reference<RunFunction> | undefined;
    try {
      context = await isolate.createContext();
      run = (await this.prelude(isolate, limits).run(context, {
        reference: true,
      })) as ivm.Reference<RunFunction>;
      const cpuBefore = isolate.cpuTime;
      let cutShort: unknown;
      let collected: Collected | undefined;
      const applied = run.apply(undefined, [code, resultVariable ?? null], {
        arguments: { copy: true },
        result: { copy: true },
        timeout: limits.timeoutMs,
      });
      const settled = await settleWithin(applied, limits.timeoutMs + this.stopGraceMs);
      if (settled === undefined) return this.abandon(isolate, applied, started, limits);
      if ('error' in settled) cutShort = settled.error;
      else collected = parseCollected(settled.value, limits);
      const cpuMs = Number(isolate.cpuTime - cpuBefore) / 1e6 - (collected?.waitedMs ?? 0);
      if (isolate.isDisposed) return this.memoryRecord(started, cutShort);
      // The record as the isolate holds it now (no code run: `run(null)` only writes it).
      const reread = run;
      const readRecord = async () =>
        parseCollected(
          await reread.apply(undefined, [null, null], { result: { copy: true }, timeout: COLLECT_TIMEOUT_MS }),
          limits,
        );
      // Promise jobs the code left (an async main(), a .then) run after its last
      // statement, within the same call: the first answer was written before them.
      // An error one of them throws (final_answer's own throw among them) rejects
      // the call. Either way the record is read again, after they ran, unless the
      // code already ended it (final_answer or an error thrown by its statements).
      let asyncError: unknown;
      if (cutShort !== undefined && !isTimeout(cutShort)) {
        asyncError = cutShort;
        cutShort = undefined;
        collected = undefined;
      } else if (collected && !collected.finalAnswer && collected.error === null) {
        try {
          collected = await readRecord();
        } catch (error) {
          if (isolate.isDisposed) return this.memoryRecord(started, error);
          throw error;
        }
      }
      if (!collected) {
        try {
          collected = await readRecord();
        } catch (error) {
          if (isolate.isDisposed) return this.memoryRecord(started, error);
          collected = emptyOutput();
        }
        // A run cut short may leave work queued in the isolate (promise jobs,
        // a terminated loop's state): the next run gets a new isolate.
        this.retire = true;
      }
      if (asyncError !== undefined && !collected.finalAnswer && collected.error === null)
        collected = { ...collected, error: innerErrorOf(asyncError) };
      if (collected.error?.parse) {
        return record('syntax-error', started, emptyOutput(), await this.syntaxError(isolate, code, collected.error));
      }
      return classify(started, collected, cutShort, cpuMs, limits);
    } catch (error) {
      if (isolate.isDisposed) return this.memoryRecord(started, error);
      throw error;
    } finally {
      if (!isolate.isDisposed) {
        run?.release();
        context?.release();
      }
      if (this.retire) {
        this.retire = false;
        this.dispose();
      }
    }
  }

  /**
   * A run that did not stop within JS_STOP_GRACE_MS of its limit: its isolate is
   * left to finish terminating on its own thread and disposed when it has (its
   * output is lost); the next run gets a new one, so the caller waits no longer.
   */
  private abandon(isolate: ivm.Isolate, applied: Promise<unknown>, started: number, limits: Limits): RunRecord {
    this.isolate = undefined;
    this.preludes.clear();
    const dispose = () => {
      if (!isolate.isDisposed) isolate.dispose();
    };
    applied.then(dispose, dispose);
    return record('timeout', started, emptyOutput(), {
      kind: 'timeout',
      name: 'Timeout',
      message: `the run exceeded its time limit (${limits.timeoutMs} ms) and did not stop within ${this.stopGraceMs} ms of it; its isolate was abandoned`,
    });
  }

  /** The parse error with its line: compiling the source as a script reports where it failed. */
  private async syntaxError(isolate: ivm.Isolate, code: string, inner: InnerError): Promise<RunError> {
    try {
      (await isolate.compileScript(code, { filename: USER_FILE })).release();
    } catch (error) {
      if (error instanceof Error) {
        const match = /\[[^\]]*:(\d+):\d+\]$/.exec(error.message);
        return {
          kind: 'syntax-error',
          name: error.name,
          message: error.message.replace(/\s*\[[^\]]*:\d+:\d+\]$/, ''),
          ...(match ? { line: Number(match[1]) } : {}),
        };
      }
    }
    return { kind: 'syntax-error', name: inner.name, message: inner.message };
  }

  /** Dispose the isolate for good (the sandbox is closing). */
  close(): void {
    this.closed = true;
    this.dispose();
  }

  dispose(): void {
    if (this.isolate && !this.isolate.isDisposed) this.isolate.dispose();
    this.isolate = undefined;
    this.preludes.clear();
  }

  private isolateFor(memoryMb: number): ivm.Isolate {
    if (this.closed) throw new SandboxClosedError();
    if (this.isolate && !this.isolate.isDisposed && this.memoryMb === memoryMb) return this.isolate;
    this.dispose();
    this.isolate = new ivm.Isolate({ memoryLimit: memoryMb });
    this.memoryMb = memoryMb;
    return this.isolate;
  }

  private prelude(isolate: ivm.Isolate, limits: Limits): ivm.Script {
    const key = `${limits.outputBytes}/${limits.resultBytes}`;
    let script = this.preludes.get(key);
    if (!script) {
      script = isolate.compileScriptSync(preludeSource(limits.outputBytes, limits.resultBytes), {
        filename: '<molrl-prelude>',
      });
      this.preludes.set(key, script);
    }
    return script;
  }

  private memoryRecord(started: number, error: unknown): RunRecord {
    // Disposed by close(), not by the memory limit.
    if (this.closed) throw new SandboxClosedError();
    this.dispose();
    return record('memory', started, emptyOutput(), {
      kind: 'memory',
      name: 'MemoryLimit',
      message: `the isolate reached its memory limit (${this.memoryMb} MiB)${error instanceof Error ? `: ${error.message}` : ''}`,
    });
  }
}

/** isolated-vm's answer to a call that ran past its timeout. */
function isTimeout(error: unknown): boolean {
  return error instanceof Error && /timed out/i.test(error.message);
}

/** An error a promise job threw, as the prelude reports an error the code threw. */
function innerErrorOf(error: unknown): InnerError {
  if (error instanceof Error)
    return {
      name: error.name.slice(0, 200),
      message: error.message.slice(0, TEXT_LIMIT),
      stack: (error.stack ?? '').slice(0, 2 * TEXT_LIMIT),
      parse: false,
      value: false,
    };
  return { name: 'Error', message: String(error).slice(0, TEXT_LIMIT), stack: '', parse: false, value: true };
}

/** The promise's outcome, or undefined when it has not settled within `ms`. */
async function settleWithin<T>(
  promise: Promise<T>,
  ms: number,
): Promise<{ value: T } | { error: unknown } | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, ms, undefined)));
  try {
    return await Promise.race([
      promise.then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function emptyOutput(): Collected {
  return {
    stdout: '',
    stderr: '',
    exceeded: false,
    forbidden: null,
    finalAnswer: false,
    result: null,
    resultText: null,
    resultTooLarge: false,
    waitedMs: 0,
    error: null,
  };
}

const str = (value: unknown): string => (typeof value === 'string' ? value : '');

/**
 * The isolate's answer, checked field by field and cut to the limits (it is
 * data, not trusted structure: the prelude runs beside the user's code, so
 * the host bounds what it keeps itself, as it does for a Python worker).
 */
function parseCollected(json: unknown, limits: Limits): Collected {
  const raw = JSON.parse(str(json)) as Record<string, unknown>;
  const e = raw.error as Record<string, unknown> | null;
  let result = raw.result ?? null;
  let resultText = typeof raw.resultText === 'string' ? raw.resultText : null;
  let resultTooLarge = raw.resultTooLarge === true;
  if (resultBytes(result, resultText) > limits.resultBytes) {
    result = resultText = null;
    resultTooLarge = true;
  }
  return {
    stdout: str(raw.stdout).slice(0, limits.outputBytes),
    stderr: str(raw.stderr).slice(0, limits.outputBytes),
    exceeded: raw.exceeded === true,
    forbidden: typeof raw.forbidden === 'string' ? raw.forbidden.slice(0, 200) : null,
    finalAnswer: raw.finalAnswer === true,
    result,
    resultText,
    resultTooLarge,
    waitedMs: typeof raw.waitedMs === 'number' && raw.waitedMs > 0 ? raw.waitedMs : 0,
    error:
      e && typeof e === 'object'
        ? {
            name: str(e.name).slice(0, 200),
            message: str(e.message).slice(0, TEXT_LIMIT),
            stack: str(e.stack).slice(0, 2 * TEXT_LIMIT),
            parse: e.parse === true,
            value: e.value === true,
          }
        : null,
  };
}

function classify(started: number, c: Collected, cutShort: unknown, cpuMs: number, limits: Limits): RunRecord {
  const message = cutShort instanceof Error ? cutShort.message : '';
  if (c.forbidden !== null) {
    return record('forbidden', started, c, {
      kind: 'forbidden',
      name: 'ForbiddenError',
      message: `${c.forbidden} is not available in the sandbox`,
      ...lineOf(c.error?.stack),
    });
  }
  if (
    message === 'Not supported' ||
    (c.error && !c.error.value && c.error.message === 'Not supported' && c.error.name === 'Error')
  ) {
    // isolated-vm's answer to a dynamic import(): there is no module loader.
    return record('forbidden', started, c, {
      kind: 'forbidden',
      name: 'ForbiddenError',
      message: 'import() is not available in the sandbox',
      ...lineOf(c.error?.stack),
    });
  }
  if (c.exceeded) {
    return record('output-limit', started, c, {
      kind: 'output-limit',
      name: 'OutputLimitError',
      message: `the run wrote more than ${limits.outputBytes} bytes`,
    });
  }
  if (c.resultTooLarge) {
    return record('output-limit', started, c, {
      kind: 'output-limit',
      name: 'ResultLimit',
      message: `the result is larger than its limit (${limits.resultBytes} bytes)`,
    });
  }
  if (cutShort !== undefined) {
    return record('timeout', started, c, {
      kind: 'timeout',
      name: 'Timeout',
      message: /timed out/i.test(message) ? `the run exceeded its time limit (${limits.timeoutMs} ms)` : message,
    });
  }
  if (cpuMs > limits.cpuMs) {
    return record('timeout', started, c, {
      kind: 'timeout',
      name: 'CpuTimeLimit',
      message: `the run used ${cpuMs.toFixed(0)} ms of CPU time, over its limit (${limits.cpuMs} ms)`,
    });
  }
  if (c.finalAnswer || c.error === null) return record('ok', started, c);
  const e = c.error;
  if (
    e.name === 'RangeError' &&
    /allocation failed|Invalid (string|array|typed array) length|out of memory/i.test(e.message)
  ) {
    return record('memory', started, c, describe(e, 'memory'));
  }
  return record('runtime-error', started, c, describe(e, 'runtime-error'));
}

function record(status: RunStatus, started: number, c: Collected, error?: RunError): RunRecord {
  const r: RunRecord = {
    status,
    stdout: c.stdout,
    stderr: c.stderr,
    result: c.result,
    resultText: c.resultText,
    finalAnswer: c.finalAnswer,
    ms: performance.now() - started,
  };
  if (error) r.error = error;
  return r;
}

function describe(e: InnerError, kind: RunError['kind']): RunError {
  if (e.value) return { kind, name: e.name, message: e.message };
  const traceback = e.stack
    .split('\n')
    .filter((line, i) => i === 0 || line.includes(USER_FILE))
    .join('\n');
  return { kind, name: e.name || 'Error', message: e.message, traceback, ...lineOf(e.stack) };
}

function lineOf(stack: string | undefined): { line?: number } {
  if (!stack) return {};
  const match = new RegExp(`${USER_FILE.replace('.', '\\.')}:(\\d+)`).exec(stack);
  return match ? { line: Number(match[1]) } : {};
}
