/**
 * The PyTorch side of a side-by-side benchmark: torch_side.py in a child process
 * (Debian's python3-torch, OpenBLAS), driven one request at a time over
 * stdin/stdout, so its timed iterations can alternate with molrl's.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { CaseSpec } from './cases.js';

/** One timed iteration's result: milliseconds and the work it did. */
export interface Timing {
  ms: number;
  tokens?: number;
  flop?: number;
}

export interface Side {
  run(): Promise<Timing>;
  dispose(): Promise<void>;
}

/** The PyTorch child: one JSON request and one JSON answer per line. */
export class TorchSide {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly answers: string[] = [];
  private waiting: ((line: string) => void) | null = null;
  private stderr = '';

  constructor(python: string, threads: number) {
    const script = join(dirname(fileURLToPath(import.meta.url)), 'torch_side.py');
    this.child = spawn(python, [script, '--threads', String(threads)], {
      env: { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) },
    });
    this.child.stderr.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const w = this.waiting;
      this.waiting = null;
      if (w) w(line);
      else this.answers.push(line);
    });
  }

  async request(msg: Record<string, unknown>): Promise<Record<string, unknown>> {
    this.child.stdin.write(JSON.stringify(msg) + '\n');
    const line = this.answers.shift() ?? (await this.nextLine(msg));
    const out = JSON.parse(line) as Record<string, unknown>;
    if (typeof out.error === 'string') throw new Error(`torch_side.py (${String(msg.cmd)}): ${out.error}`);
    return out;
  }

  private nextLine(msg: Record<string, unknown>): Promise<string> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) =>
        reject(new Error(`torch_side.py exited (${code}) during '${String(msg.cmd)}':\n${this.stderr}`));
      this.child.once('exit', onExit);
      this.waiting = (line) => {
        this.child.off('exit', onExit);
        resolve(line);
      };
    });
  }

  async side(spec: CaseSpec): Promise<Side> {
    await this.request({ cmd: 'setup', case: spec });
    return {
      run: async () => (await this.request({ cmd: 'run' })) as unknown as Timing,
      dispose: async () => void (await this.request({ cmd: 'dispose' })),
    };
  }

  async close(): Promise<void> {
    this.child.stdin.write(JSON.stringify({ cmd: 'quit' }) + '\n');
    this.child.stdin.end();
    if (this.child.exitCode === null) await new Promise((r) => this.child.once('exit', r));
  }
}
