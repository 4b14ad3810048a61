/**
 * Worker threads that run `sampleToken` on rows of one step's logits at once.
 * A step of 64 rows at Qwen3's vocabulary (151,936) is ~64 x 2.7 ms of host
 * work on one thread: on a GPU it outlasts the step's device work many times.
 * The workers run the samplers' own source (sampleTokenSource), each row with
 * its own generator carried over and back, so every token is the one the
 * calling thread would draw (tested). An idle pool never keeps the process
 * alive; a draw in flight does (tested).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { SeededRandom, seededRandomParts } from './prng.js';
import { hasPenalties, sampleToken, sampleTokenParts, type SamplingContext, type SamplingOptions } from './samplers.js';

/** One row to sample: where it starts in the logits, how, and its generator (advanced as the draw advances it). */
export interface RowRequest {
  row: number;
  options: SamplingOptions;
  ctx: SamplingContext;
  rng: SeededRandom;
}

interface Job {
  id: number;
  /** The step's logits: `length` floats from byte `offset` of this buffer. */
  logits: SharedArrayBuffer;
  offset: number;
  length: number;
  vocab: number;
  rows: { row: number; options: SamplingOptions; ctx: SamplingContext; state: number[] }[];
}

interface Reply {
  id: number;
  tokens?: number[];
  states?: number[][];
  error?: string;
}

/**
 * @internal Each function or class as `const <its name> = (<its source>);`:
 * the name the code around it calls it by, also where a bundler renamed it
 * (esbuild writes a class as `var Name = class { ... }`, whose text alone has
 * no name).
 */
export function definitions(parts: readonly { name: string }[]): string {
  return parts.map((part) => `const ${part.name} = (${String(part)});`).join('\n');
}

function workerSource(): string {
  return `'use strict';
const { parentPort } = require('node:worker_threads');
// esbuild's keepNames helper, which its output (tsx) calls inside functions; tsc's output never does.
const __name = (target, value) => Object.defineProperty(target, 'name', { value, configurable: true });
${definitions([...seededRandomParts(), ...sampleTokenParts()])}
parentPort.on('message', (job) => {
  try {
    const logits = new Float32Array(job.logits, job.offset, job.length);
    const tokens = [];
    const states = [];
    for (const r of job.rows) {
      const rng = new SeededRandom(0);
      rng.setState(r.state);
      tokens.push(sampleToken(logits.subarray(r.row * job.vocab, (r.row + 1) * job.vocab), r.options, r.ctx, rng));
      states.push(rng.state());
    }
    parentPort.postMessage({ id: job.id, tokens, states });
  } catch (error) {
    parentPort.postMessage({ id: job.id, error: String((error && error.stack) || error) });
  }
});
`;
}

export class SamplerPool {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, (reply: Reply) => void>();
  private nextId = 0;
  /** Where logits that come in an ordinary array are copied for the workers (grown, never shrunk). */
  private copyBuffer = new SharedArrayBuffer(0);
  /** Calls run one after another (they share the logits buffer). */
  private queue: Promise<unknown> = Promise.resolve();
  /** Why the pool stopped (closed, or a worker died), for the calls after. */
  private stopped: string | null = null;
  /** Rows sampled by this pool so far (the calling thread's share included). */
  rowsSampled = 0;
  /** Bytes of logits copied into the pool's shared memory so far (none for logits already in shared memory). */
  bytesCopied = 0;

  constructor(readonly threads: number) {
    if (!Number.isInteger(threads) || threads < 1)
      throw new Error(`SamplerPool: threads must be an integer >= 1, got ${threads}`);
    const source = workerSource();
    this.workers = Array.from({ length: threads }, (_, i) => {
      const worker = new Worker(source, { eval: true, name: `molrl-sampler-${i}` });
      worker.on('message', (reply: Reply) => {
        // idle again: it no longer holds the process open
        worker.unref();
        const settle = this.pending.get(reply.id);
        this.pending.delete(reply.id);
        settle?.(reply);
      });
      worker.on('error', (error: Error) => {
        // a dead worker fails what it was given; later calls fail with the reason
        this.stopped = `sampler worker ${i} died: ${error.message}`;
        for (const [id, settle] of this.pending) settle({ id, error: this.stopped });
        this.pending.clear();
      });
      // Idle workers never hold the process open; one with a job does until it replies (a pending draw must keep
      // an otherwise idle process alive). Unref'd after the listeners: a listener added later would ref it again.
      worker.unref();
      return worker;
    });
  }

  /**
   * The token of each request, drawn from `logits` (rows of `vocab`) exactly as
   * `sampleToken(row, options, ctx, rng)` would; each request's `rng` ends
   * where that call would leave it. Logits in a SharedArrayBuffer (a tensor's
   * `dataInto` a view of one) are read by the workers where they lie and must
   * stay unchanged until the call settles; others are first copied into the
   * pool's own shared memory.
   */
  sample(logits: Float32Array, vocab: number, requests: readonly RowRequest[]): Promise<number[]> {
    const run = this.queue.then(() => this.run(logits, vocab, requests));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async run(logits: Float32Array, vocab: number, requests: readonly RowRequest[]): Promise<number[]> {
    if (this.stopped !== null) throw new Error(`SamplerPool: ${this.stopped}`);
    this.rowsSampled += requests.length;
    for (const r of requests) {
      if (!Number.isInteger(r.row) || r.row < 0 || (r.row + 1) * vocab > logits.length)
        throw new Error(`SamplerPool: row ${r.row} is outside logits of ${logits.length / vocab} rows of ${vocab}`);
    }
    let inShared = logits;
    if (!(logits.buffer instanceof SharedArrayBuffer)) {
      if (this.copyBuffer.byteLength < logits.byteLength) this.copyBuffer = new SharedArrayBuffer(logits.byteLength);
      inShared = new Float32Array(this.copyBuffer, 0, logits.length);
      inShared.set(logits);
      this.bytesCopied += logits.byteLength;
    }
    // Contiguous shares in request order: the calling thread takes the first, a worker each of the rest.
    const per = Math.ceil(requests.length / (this.workers.length + 1));
    const shares: RowRequest[][] = [];
    for (let at = 0; at < requests.length; at += per) shares.push(requests.slice(at, at + per));
    const [own = [], ...others] = shares;
    const replies = others.map((share, w) => {
      const id = this.nextId++;
      const job: Job = {
        id,
        logits: inShared.buffer as SharedArrayBuffer,
        offset: inShared.byteOffset,
        length: inShared.length,
        vocab,
        rows: share.map((r) => ({
          row: r.row,
          options: samplingFields(r.options),
          ctx: workerContext(r),
          state: r.rng.state(),
        })),
      };
      return new Promise<Reply>((resolve) => {
        this.pending.set(id, resolve);
        this.workers[w]!.ref();
        this.workers[w]!.postMessage(job);
      });
    });
    const tokens = own.map((r) =>
      sampleToken(logits.subarray(r.row * vocab, (r.row + 1) * vocab), r.options, r.ctx, r.rng),
    );
    (await Promise.all(replies)).forEach((reply, w) => {
      if (reply.error !== undefined) throw new Error(`SamplerPool: ${reply.error}`);
      others[w]!.forEach((r, j) => {
        r.rng.setState(reply.states![j]!);
        tokens.push(reply.tokens![j]!);
      });
    });
    return tokens;
  }

  /** Stop the workers. */
  async close(): Promise<void> {
    this.stopped ??= 'closed';
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** The sampling options alone (generate's options also carry callbacks and a signal, which cannot cross threads). */
function samplingFields(o: SamplingOptions): SamplingOptions {
  const { temperature, topP, topK, minP, presencePenalty, frequencyPenalty, repetitionPenalty } = o;
  return { temperature, topP, topK, minP, presencePenalty, frequencyPenalty, repetitionPenalty };
}

let shared: SamplerPool | null = null;

/**
 * The process's pool: one worker per core beside the calling thread, which
 * samples a share too (at most 15 workers), made on first use; null on a
 * single core.
 */
export function sharedSamplerPool(): SamplerPool | null {
  const threads = Math.min(15, availableParallelism() - 1);
  if (threads < 1) return null;
  return (shared ??= new SamplerPool(threads));
}

/**
 * What a worker needs of a row's context: nothing without penalties; the
 * distinct tokens counted where the caller keeps them (a step then copies
 * those, not every token generated so far); else the two arrays.
 */
function workerContext(r: RowRequest): SamplingContext {
  if (!hasPenalties(r.options)) return { promptTokens: [], generatedTokens: [] };
  const counts = r.ctx.counts;
  if (!counts) return { promptTokens: r.ctx.promptTokens, generatedTokens: r.ctx.generatedTokens };
  return {
    promptTokens: [],
    generatedTokens: [],
    counts: { prompt: counts.prompt, generated: counts.generated, generatedCounts: counts.generatedCounts },
  };
}
