import ivm from 'isolated-vm';
import type { Limits, RunError, RunRecord, RunStatus } from '../types.js';
import { preludeSource } from './prelude.js';

const USER_FILENAME = '<code>';
/** Time the host allows `collect` (which may call the result's toString) after the run. */
const COLLECT_TIMEOUT_MS = 1_000;

interface Collected {
  stdout: string;
  stderr: string;
  exceeded: boolean;
  forbidden: string | null;
  finalAnswer: boolean;
  result: unknown;
  resultText: string | null;
}

/**
 * One isolated-vm isolate that runs JavaScript requests one after another,
 * each in a fresh context. The isolate is replaced when it dies (memory limit)
 * or when a request asks for a different memory limit.
 */
export class JsRunner {
  private isolate: ivm.Isolate | undefined;
  private memoryMb = 0;
  private readonly preludes = new Map<number, ivm.Script>();

  async run(code: string, limits: Limits, resultVariable: string | undefined): Promise<RunRecord> {
    const started = performance.now();
    const isolate = this.isolateFor(limits.memoryMb);
    let script: ivm.Script;
    try {
      script = await isolate.compileScript(code, { filename: USER_FILENAME });
    } catch (error) {
      if (isolate.isDisposed) return this.memoryRecord(started, error);
      return record('syntax-error', started, emptyOutput(), describe(error, 'syntax-error'));
    }
    let context: ivm.Context | undefined;
    let collect: ivm.Reference<(resultVariable?: string) => string> | undefined;
    try {
      context = await isolate.createContext();
      collect = (await this.prelude(isolate, limits.outputBytes).run(context, { reference: true })) as ivm.Reference<
        (resultVariable?: string) => string
      >;
      const cpuBefore = isolate.cpuTime;
      let runError: unknown;
      try {
        await script.run(context, { timeout: limits.timeoutMs });
      } catch (error) {
        runError = error;
      }
      const cpuMs = Number(isolate.cpuTime - cpuBefore) / 1e6;
      if (isolate.isDisposed) return this.memoryRecord(started, runError);
      let collected: Collected;
      try {
        const json = await collect.apply(undefined, [resultVariable], {
          result: { copy: true },
          timeout: COLLECT_TIMEOUT_MS,
        });
        collected = JSON.parse(json) as Collected;
      } catch (error) {
        if (isolate.isDisposed) return this.memoryRecord(started, error);
        collected = emptyOutput();
      }
      return classify(started, collected, runError, cpuMs, limits);
    } catch (error) {
      if (isolate.isDisposed) return this.memoryRecord(started, error);
      throw error;
    } finally {
      if (!isolate.isDisposed) {
        script.release();
        collect?.release();
        context?.release();
      }
    }
  }

  dispose(): void {
    if (this.isolate && !this.isolate.isDisposed) this.isolate.dispose();
    this.isolate = undefined;
    this.preludes.clear();
  }

  private isolateFor(memoryMb: number): ivm.Isolate {
    if (this.isolate && !this.isolate.isDisposed && this.memoryMb === memoryMb) return this.isolate;
    this.dispose();
    this.isolate = new ivm.Isolate({ memoryLimit: memoryMb });
    this.memoryMb = memoryMb;
    return this.isolate;
  }

  private prelude(isolate: ivm.Isolate, outputBytes: number): ivm.Script {
    let script = this.preludes.get(outputBytes);
    if (!script) {
      script = isolate.compileScriptSync(preludeSource(outputBytes), { filename: '<molrl-prelude>' });
      this.preludes.set(outputBytes, script);
    }
    return script;
  }

  private memoryRecord(started: number, error: unknown): RunRecord {
    this.dispose();
    return record('memory', started, emptyOutput(), {
      kind: 'memory',
      name: 'MemoryLimit',
      message: `the isolate reached its memory limit (${this.memoryMb} MiB)${error instanceof Error ? `: ${error.message}` : ''}`,
    });
  }
}

function emptyOutput(): Collected {
  return { stdout: '', stderr: '', exceeded: false, forbidden: null, finalAnswer: false, result: null, resultText: null };
}

function classify(started: number, c: Collected, runError: unknown, cpuMs: number, limits: Limits): RunRecord {
  const message = runError instanceof Error ? runError.message : '';
  if (runError !== undefined && /^Script execution timed out/.test(message)) {
    return record('timeout', started, c, {
      kind: 'timeout',
      name: 'Timeout',
      message: `the run exceeded its time limit (${limits.timeoutMs} ms)`,
    });
  }
  if (cpuMs > limits.cpuMs) {
    return record('timeout', started, c, {
      kind: 'timeout',
      name: 'CpuTimeLimit',
      message: `the run used ${cpuMs.toFixed(0)} ms of CPU time, over its limit (${limits.cpuMs} ms)`,
    });
  }
  if (c.forbidden !== null) {
    return record('forbidden', started, c, {
      kind: 'forbidden',
      name: 'ForbiddenError',
      message: `${c.forbidden} is not available in the sandbox`,
      ...lineOf(runError),
    });
  }
  if (runError !== undefined && message === 'Not supported' && runError instanceof Error) {
    // isolated-vm's answer to a dynamic import(): there is no module loader.
    return record('forbidden', started, c, {
      kind: 'forbidden',
      name: 'ForbiddenError',
      message: 'import() is not available in the sandbox',
    });
  }
  if (c.exceeded) {
    return record('output-limit', started, c, {
      kind: 'output-limit',
      name: 'OutputLimitError',
      message: `the run wrote more than ${limits.outputBytes} bytes`,
    });
  }
  if (c.finalAnswer || runError === undefined) return record('ok', started, c);
  if (
    runError instanceof Error &&
    runError.name === 'RangeError' &&
    /allocation failed|Invalid (string|array|typed array) length|out of memory/i.test(message)
  ) {
    return record('memory', started, c, describe(runError, 'memory'));
  }
  return record('runtime-error', started, c, describe(runError, 'runtime-error'));
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

function describe(error: unknown, kind: RunError['kind']): RunError {
  if (error instanceof Error) {
    const message = error.message.replace(/\s*\[<code>:\d+:\d+\]$/, '');
    const traceback = (error.stack ?? '')
      .split('\n')
      .filter((line, i) => i === 0 || line.includes(USER_FILENAME))
      .join('\n');
    return { kind, name: error.name || 'Error', message, traceback, ...lineOf(error) };
  }
  // A thrown non-Error value (`throw 42`).
  let text: string;
  try {
    text = typeof error === 'string' ? error : JSON.stringify(error) ?? String(error);
  } catch {
    text = String(error);
  }
  return { kind, name: 'Uncaught', message: `uncaught ${text}` };
}

function lineOf(error: unknown): { line?: number } {
  if (!(error instanceof Error)) return {};
  const text = `${error.message}\n${error.stack ?? ''}`;
  const match = /<code>:(\d+)(?::\d+)?/.exec(text);
  return match ? { line: Number(match[1]) } : {};
}
