/**
 * Rewards per second for small model-written snippets, JavaScript and Python,
 * with @molrl/sandbox-reward's pool (workers = CPU count) and, side by side in
 * the same run, naive ways of doing the same job:
 *
 *   reward-js:      molrl-pristine | ivm-new-isolate (a new isolated-vm Isolate per call) | node-vm (node:vm, no isolation)
 *   reward-python:  molrl-tracked | python3-spawn (a `python3 -c` process per call)
 *
 * The current isolation: every Python run starts from the heap snapshot,
 * restored page by page from the pages the run wrote (`molrl-tracked`); every
 * JavaScript run from a fresh context whose record is encoded without
 * user-patchable prototypes (`molrl-pristine`). Older rows in
 * results/sandbox.json are kept so the cost of each step shows:
 * `molrl-reset-v0.1` (an interpreter reset between runs, not pristine) and
 * Python `molrl-pristine` (the whole ~30 MiB heap copied back after every run).
 *
 * Then the recovery cases, in milliseconds or seconds (median of --repeat runs):
 *   python-timeout-recovery  ms from a run that overstayed its 100 ms limit to the next record on the pool
 *   python-worker-replaced   ms for the first run after a worker had to be replaced (its heap grew too far)
 *   python-16-timeouts       s to clear 16 parallel runs that each time out at 200 ms (ideal: 16 x 0.2 / workers)
 *   python-10-exits          s to clear 10 runs that call os._exit(1)
 *   python-ready             ms until a sandbox's workers and standbys are loaded: the process's first
 *                            sandbox (Pyodide loaded in full, the snapshot made), then a later one (from it)
 *
 * Every implementation scores the same batch of completions (code extraction,
 * run, answer comparison) and must give the same rewards as molrl; a mismatch
 * is printed and fails the run. A batch is scored concurrently (as GRPO scores a
 * group), with at most `workers` runs in flight for the baselines too.
 *
 *   node --import tsx --conditions=@molrl/source benchmarks/sandbox.bench.ts [--quick] [--js-batch 256] [--py-batch 64]
 *
 * Rows: case "reward-js" | "reward-python", impl, size = batch size, unit "rewards/s"; and the
 * same cases in "rewards/cpu-s": rewards per second of CPU time used by this process and all its
 * child processes (the Python workers, the spawned python3), a figure that does not shrink when
 * other work shares the machine — times the core count, it bounds what an idle machine gives.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import vm from 'node:vm';
import ivm from 'isolated-vm';
import { Bench } from 'tinybench';
import {
  createSandbox,
  extractCode,
  multiStageReward,
  autoMatch,
  DEFAULT_TOLERANCE,
  PAPER_WEIGHTS,
} from '@molrl/sandbox-reward';
import { printTable, row, writeResults, type ResultRow } from './lib/results.js';

function argValue(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const quick = process.argv.includes('--quick');
const jsBatch = Number(argValue('--js-batch') ?? (quick ? 64 : 256));
const pyBatch = Number(argValue('--py-batch') ?? (quick ? 16 : 64));
const repeat = Number(argValue('--repeat') ?? (quick ? 3 : 7));
const onlyRecovery = process.argv.includes('--recovery-only');
const workers = availableParallelism();
const TIMEOUT_MS = 2_000;
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';

interface Item {
  completion: string;
  answer: string;
}

/** Small GRPO-like completions: mostly correct, some wrong, some failing. */
function jsItems(n: number): Item[] {
  return Array.from({ length: n }, (_, i) => {
    const k = (i % 50) + 2;
    const kind = i % 8;
    const code =
      kind === 6
        ? `const xs = Array.from({ length: ${k} }, (_, j) => j);\nconsole.log(xs.reduce((a, b) => a + b, 0) + 1);`
        : kind === 7
          ? `const xs = undefined;\nconsole.log(xs.length);`
          : `const xs = Array.from({ length: ${k} }, (_, j) => j * j);\nconst total = xs.reduce((a, b) => a + b, 0);\nconsole.log(total);`;
    const answer = kind === 6 ? String((k * (k - 1)) / 2) : String(((k - 1) * k * (2 * k - 1)) / 6);
    return { completion: `I will compute it.\n\`\`\`js\n${code}\n\`\`\``, answer };
  });
}

function pyItems(n: number): Item[] {
  return Array.from({ length: n }, (_, i) => {
    const k = (i % 50) + 2;
    const kind = i % 8;
    const code =
      kind === 6
        ? `print(sum(range(${k})) + 1)`
        : kind === 7
          ? `xs = None\nprint(len(xs))`
          : `total = sum(j * j for j in range(${k}))\nprint(total)`;
    const answer = kind === 6 ? String((k * (k - 1)) / 2) : String(((k - 1) * k * (2 * k - 1)) / 6);
    return { completion: `I will compute it.\n\`\`\`python\n${code}\n\`\`\``, answer };
  });
}

/** The multi-stage reward from a run's outcome, as the baselines compute it. */
function stageReward(outcome: { parsed: boolean; ok: boolean; stdout: string }, answer: string): number {
  if (!outcome.parsed) return 0;
  if (!outcome.ok) return PAPER_WEIGHTS.parses;
  const lines = outcome.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const last = lines[lines.length - 1];
  if (last === undefined) return PAPER_WEIGHTS.executes;
  return autoMatch({ value: last, text: last }, answer, DEFAULT_TOLERANCE)
    ? PAPER_WEIGHTS.correct
    : PAPER_WEIGHTS.executes;
}

const TICKS_PER_SECOND = 100;

/** CPU seconds used so far by this process, its live children and its reaped children (Linux /proc). */
function cpuSeconds(): number {
  const fields = (stat: string) => stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const own = fields(readFileSync('/proc/self/stat', 'utf8'));
  // utime, stime, cutime, cstime are fields 14-17 (1-based); `own` starts at field 3.
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const f = fields(readFileSync(`/proc/${entry}/stat`, 'utf8'));
      if (Number(f[1]) === process.pid) ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // the process ended meanwhile
    }
  }
  return ticks / TICKS_PER_SECOND;
}

/** Run `task` over items with at most `limit` in flight; results in order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await task(items[i]!);
      }
    }),
  );
  return results;
}

async function ivmNewIsolate(item: Item): Promise<number> {
  const code = extractCode(item.completion, 'javascript');
  if (!code) return 0;
  const isolate = new ivm.Isolate({ memoryLimit: 128 });
  try {
    let script: ivm.Script;
    try {
      script = await isolate.compileScript(code.code);
    } catch {
      return 0;
    }
    const context = await isolate.createContext();
    let stdout = '';
    await context.global.set('__log', new ivm.Callback((...args: unknown[]) => void (stdout += args.join(' ') + '\n')));
    await context.eval('globalThis.console = { log: (...a) => __log(...a.map(String)) }');
    let ok = true;
    try {
      await script.run(context, { timeout: TIMEOUT_MS });
    } catch {
      ok = false;
    }
    return stageReward({ parsed: true, ok, stdout }, item.answer);
  } finally {
    isolate.dispose();
  }
}

async function nodeVm(item: Item): Promise<number> {
  const code = extractCode(item.completion, 'javascript');
  if (!code) return 0;
  let script: vm.Script;
  try {
    script = new vm.Script(code.code);
  } catch {
    return 0;
  }
  let stdout = '';
  const context = vm.createContext({ console: { log: (...a: unknown[]) => void (stdout += a.join(' ') + '\n') } });
  let ok = true;
  try {
    script.runInContext(context, { timeout: TIMEOUT_MS });
  } catch {
    ok = false;
  }
  return stageReward({ parsed: true, ok, stdout }, item.answer);
}

function python3Spawn(item: Item): Promise<number> {
  const code = extractCode(item.completion, 'python');
  if (!code) return Promise.resolve(0);
  // One process compiles (exit 2 on a syntax error) and runs the code.
  const driver =
    'import sys\nsrc = sys.stdin.read()\ntry:\n    c = compile(src, "<code>", "exec")\nexcept SyntaxError:\n    sys.exit(2)\nexec(c, {"__name__": "__main__"})';
  return new Promise((resolve) => {
    const child = spawn(PYTHON, ['-I', '-c', driver], { stdio: ['pipe', 'pipe', 'pipe'], timeout: TIMEOUT_MS });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => void (stdout += d));
    child.stderr.resume();
    child.on('close', (status) =>
      resolve(stageReward({ parsed: status !== 2, ok: status === 0, stdout }, item.answer)),
    );
    child.stdin.end(code.code);
  });
}

const t0 = performance.now();
const sandbox = await createSandbox({ workers, limits: { timeoutMs: TIMEOUT_MS } });
await sandbox.ready();
const firstReadyMs = performance.now() - t0;
// A later sandbox of the same process (a pipeline's next phase): its workers start from the first one's snapshot.
const t1 = performance.now();
const later = await createSandbox({ workers, limits: { timeoutMs: TIMEOUT_MS } });
await later.ready();
const laterReadyMs = performance.now() - t1;
await later.close();
console.log(
  `sandbox ready (${workers} workers and their standbys): ${firstReadyMs.toFixed(0)} ms, a later one ${laterReadyMs.toFixed(0)} ms; load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);

const cases: Array<{
  case: 'reward-js' | 'reward-python';
  items: Item[];
  impls: Record<string, (items: Item[]) => Promise<number[]>>;
}> = [
  {
    case: 'reward-js',
    items: jsItems(jsBatch),
    impls: {
      'molrl-pristine': (items) =>
        Promise.all(
          items.map((it) =>
            multiStageReward(it.completion, it.answer, { sandbox, language: 'javascript' }).then((r) => r.reward),
          ),
        ),
      'ivm-new-isolate': (items) => mapLimited(items, workers, ivmNewIsolate),
      'node-vm': (items) => mapLimited(items, 1, nodeVm),
    },
  },
  {
    case: 'reward-python',
    items: pyItems(pyBatch),
    impls: {
      'molrl-tracked': (items) =>
        Promise.all(items.map((it) => multiStageReward(it.completion, it.answer, { sandbox }).then((r) => r.reward))),
      'python3-spawn': (items) => mapLimited(items, workers, python3Spawn),
    },
  },
];

const rows: ResultRow[] = [
  row({ case: 'python-ready', impl: 'molrl-first-sandbox', size: workers, value: firstReadyMs, unit: 'ms' }),
  row({ case: 'python-ready', impl: 'molrl-later-sandbox', size: workers, value: laterReadyMs, unit: 'ms' }),
];
let mismatch = false;
try {
  for (const c of cases) {
    if (onlyRecovery) break;
    const reference = await Object.values(c.impls)[0]!(c.items);
    for (const [impl, score] of Object.entries(c.impls)) {
      const rewards = await score(c.items); // also the warm-up
      const bad = rewards.findIndex((r, i) => Math.abs(r - reference[i]!) > 1e-9);
      if (bad >= 0) {
        mismatch = true;
        console.log(`${c.case}/${impl}: reward ${rewards[bad]} on item ${bad}, molrl gives ${reference[bad]}`);
      }
      const bench = new Bench({
        time: quick ? 300 : 3000,
        iterations: quick ? 2 : 5,
        warmupIterations: 0,
        warmupTime: 0,
      });
      bench.add(impl, () => score(c.items).then(() => undefined));
      const cpuBefore = cpuSeconds();
      await bench.run();
      const cpuUsed = cpuSeconds() - cpuBefore;
      const result = bench.tasks[0]!.result;
      if (result.state !== 'completed') throw new Error(`${c.case}/${impl}: benchmark ${result.state}`);
      const perSecond = c.items.length / (result.latency.p50 / 1000);
      const perCpuSecond = cpuUsed > 0 ? (c.items.length * result.latency.samplesCount) / cpuUsed : Number.NaN;
      console.log(
        `${c.case.padEnd(14)} ${impl.padEnd(16)} ${perSecond.toFixed(0).padStart(7)} rewards/s  ${perCpuSecond.toFixed(0).padStart(7)} rewards/cpu-s  (median ${result.latency.p50.toFixed(0)} ms per batch of ${c.items.length}, ${result.latency.samplesCount} batches)`,
      );
      rows.push(row({ case: c.case, impl, size: c.items.length, value: perSecond, unit: 'rewards/s' }));
      rows.push(row({ case: c.case, impl, size: c.items.length, value: perCpuSecond, unit: 'rewards/cpu-s' }));
    }
  }
  rows.push(...(await recoveryCases()));
} finally {
  await sandbox.close();
}

/** Median of `repeat` timings of `task` (ms), after one warm-up. */
async function medianMs(task: () => Promise<void>): Promise<number> {
  await task();
  const times: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    await task();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

function expectStatus(records: Array<{ status: string }>, status: string, what: string): void {
  const wrong = records.find((r) => r.status !== status);
  if (wrong) throw new Error(`${what}: expected ${status}, got ${wrong.status}`);
}

/** How fast the pool gets past time-outs, replaced workers and exits. */
async function recoveryCases(): Promise<ResultRow[]> {
  const py = (code: string, timeoutMs = TIMEOUT_MS, memoryMb = 128) => ({
    language: 'python' as const,
    code,
    limits: { timeoutMs, memoryMb },
  });
  const out: ResultRow[] = [];
  const report = (name: string, size: number, value: number, unit: string) => {
    console.log(`${name.padEnd(26)} ${value.toFixed(unit === 's' ? 2 : 1).padStart(8)} ${unit}`);
    out.push(row({ case: name, impl: 'molrl-tracked', size, value, unit }));
  };
  await sandbox.ready();

  // One time-out, then the next run: the time past the limit until the pool serves again.
  const timeoutMs = 100;
  report(
    'python-timeout-recovery',
    1,
    (await medianMs(async () => {
      const [loop] = await sandbox.runMany([py('while True:\n    pass', timeoutMs)]);
      expectStatus([loop!], 'timeout', 'python-timeout-recovery');
      const next = await sandbox.run(py('print(1)'));
      expectStatus([next], 'ok', 'python-timeout-recovery');
    })) - timeoutMs,
    'ms',
  );

  // A run that grows the heap by 48 MiB makes its worker retire; the next run on
  // that worker is served by the replacement. Measured: that next run, minus an
  // ordinary run on a warm worker.
  const ordinary = await medianMs(async () => void (await sandbox.run(py('print(1)'))));
  const replaced: number[] = [];
  for (let i = 0; i < repeat; i++) {
    // Every worker retires (one grow each), then a round of runs meets the replacements.
    await sandbox.runMany(
      Array.from({ length: workers }, () => py('x = bytearray(48 * 2 ** 20)\nx[-1] = 1', TIMEOUT_MS, 256)),
    );
    const t0 = performance.now();
    const records = await sandbox.runMany(Array.from({ length: workers }, () => py('print(1)')));
    replaced.push(performance.now() - t0);
    expectStatus(records, 'ok', 'python-worker-replaced');
    // The next round starts once the new standbys have loaded.
    await sandbox.ready();
  }
  replaced.sort((a, b) => a - b);
  report('python-worker-replaced', workers, replaced[Math.floor(replaced.length / 2)]! - ordinary, 'ms');

  const sixteen = await medianMs(async () => {
    const records = await sandbox.runMany(Array.from({ length: 16 }, () => py('while True:\n    pass', 200)));
    expectStatus(records, 'timeout', 'python-16-timeouts');
  });
  report('python-16-timeouts', 16, sixteen / 1000, 's');

  const exits = await medianMs(async () => {
    const records = await sandbox.runMany(Array.from({ length: 10 }, () => py('import os\nos._exit(1)')));
    expectStatus(records, 'runtime-error', 'python-10-exits');
  });
  report('python-10-exits', 10, exits / 1000, 's');
  return out;
}

console.log(
  `\nload average at the end: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} (on ${workers} cores; figures shrink with other work on the machine)`,
);
printTable(rows);
if (mismatch) {
  console.log('\nrewards differ between implementations: results not written');
  process.exitCode = 1;
} else if (!quick) {
  console.log(`\nwritten to ${writeResults('sandbox', rows)}`);
}
