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
 *                            sandbox (Pyodide loaded in full, the snapshot made and written to a fresh
 *                            cache folder), then a later one (from it), then the first sandbox of a new
 *                            process (molrl-first-sandbox-disk-snapshot: from the file the first wrote)
 *   python-worker-start-cpu  CPU seconds worker processes used until ready: the process's first worker
 *                            (loads Pyodide in full, rewrites the interpreter with write marks, makes the
 *                            snapshot; the most of its sandbox), the first sandbox's workers and standbys
 *                            together (size: how many; those started before the snapshot load in full too),
 *                            and the median one of a later sandbox (from the snapshot and the first
 *                            worker's rewrite: what every replacement costs)
 *   python-worker-start-host-cpu
 *                            ms of this process's CPU per worker of the later sandbox (its workers and
 *                            standbys): what starting a worker costs the host (handing it the snapshot)
 *   python-compute-loops, python-compute-allocations
 *                            ms for one compute-heavy program: in the sandbox
 *                            (molrl-tracked, host wall time per run), in the same Pyodide loaded plainly in
 *                            this process (pyodide-plain: no write marks, guards or deadline checks) and in
 *                            CPython (python3, its own timing of the program): what the sandbox costs code
 *                            that computes, apart from its per-run overhead; and the median of the paired
 *                            ratios sandbox/plain (unit x)
 *
 * Every implementation scores the same batch of completions (code extraction,
 * run, answer comparison) and must give the same rewards as molrl; a mismatch
 * is printed and fails the run. A batch is scored concurrently (as GRPO scores a
 * group), with at most `workers` runs in flight for the baselines too.
 *
 *   node --import tsx --conditions=@molrl/source benchmarks/sandbox.bench.ts [--quick] [--js-batch 256] [--py-batch 64]
 *     [--repeat 7] [--compute-pairs 50] [--recovery-only | --compute-only | --ready-only] [--label <text>]
 *
 * --label: appended to each row's impl, for an A/B against another checkout of the sandbox.
 *
 * Rows: case "reward-js" | "reward-python", impl, size = batch size, unit "rewards/s"; and the
 * same cases in "rewards/cpu-s": rewards per second of CPU time used by this process and all its
 * child processes (the Python workers, the spawned python3), a figure that does not shrink when
 * other work shares the machine — times the core count, it bounds what an idle machine gives.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
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
import { flagValue } from './lib/args.js';

const quick = process.argv.includes('--quick');
const jsBatch = Number(flagValue('--js-batch') ?? (quick ? 64 : 256));
const pyBatch = Number(flagValue('--py-batch') ?? (quick ? 16 : 64));
const repeat = Number(flagValue('--repeat') ?? (quick ? 3 : 7));
const onlyRecovery = process.argv.includes('--recovery-only');
const onlyCompute = process.argv.includes('--compute-only');
const onlyReady = process.argv.includes('--ready-only');
// Fewer pairs leave the sandbox/plain ratio to the machine's noise (+-30% run to run here at 14 pairs).
const computePairs = Number(flagValue('--compute-pairs') ?? (quick ? 10 : 50));
const implLabel = flagValue('--label');
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

/** Compute-heavy programs, each printing one line: arithmetic in loops, and allocation (lists, dicts, strings, sorting). */
const COMPUTE_PROGRAMS: Record<string, string> = {
  loops: [
    'count = 0',
    'for a in range(1, 1200):',
    '    for b in range(a, 1200):',
    '        if (a * a + b * b) % 7 == 3:',
    '            count += 1',
    'print(count)',
  ].join('\n'),
  allocations: [
    'rows = [{"k": i % 97, "s": str(i) * 3, "v": [j * i for j in range(8)]} for i in range(60000)]',
    'groups = {}',
    'for r in rows:',
    '    groups.setdefault(r["k"], []).append(r["s"] + "!")',
    'total = sum(len(sorted(g, key=len)) for g in groups.values())',
    'print(total, len(groups))',
  ].join('\n'),
};

/** Runs of each compute program left out before timing. */
const COMPUTE_WARMUP = 3;

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

/** The fields of a /proc/<pid>/stat file from the third on (after the command name, which may hold spaces). */
function statFields(path: string): string[] {
  const stat = readFileSync(path, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** CPU seconds used so far by each live child process of this one, by pid. */
function childCpuSeconds(): Map<number, number> {
  const children = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const f = statFields(`/proc/${entry}/stat`);
      // ppid is field 4, utime and stime fields 14-15 (1-based); `f` starts at field 3.
      if (Number(f[1]) === process.pid) children.set(Number(entry), (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND);
    } catch {
      // the process ended meanwhile
    }
  }
  return children;
}

/** CPU seconds used so far by this process, its live children and its reaped children (Linux /proc). */
function cpuSeconds(): number {
  const own = statFields('/proc/self/stat');
  // utime, stime, cutime, cstime are fields 14-17 (1-based).
  let seconds = (Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14])) / TICKS_PER_SECOND;
  for (const child of childCpuSeconds().values()) seconds += child;
  return seconds;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
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

/** ms until a sandbox's workers and standbys are loaded, in a new process (its first sandbox) keeping its snapshot in `cache`. */
function readyInNewProcess(cache: string): number {
  const script = `import { createSandbox } from '@molrl/sandbox-reward';
const t0 = performance.now();
const sandbox = await createSandbox({ workers: ${workers}, limits: { timeoutMs: ${TIMEOUT_MS} }, snapshotCache: ${JSON.stringify(cache)} });
await sandbox.ready();
const ms = performance.now() - t0;
await sandbox.close();
console.log(JSON.stringify({ ms }));`;
  const child = spawnSync(process.execPath, [...process.execArgv, '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (child.status !== 0) throw new Error(`the new process's sandbox did not start: ${child.stderr}`);
  return (JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { ms: number }).ms;
}

// A cache folder of this run's own: the first sandbox loads Pyodide in full and writes the snapshot there.
const snapshotCache = mkdtempSync(join(tmpdir(), 'molrl-bench-snapshot-'));
const childrenBefore = new Set(childCpuSeconds().keys());
const t0 = performance.now();
const sandbox = await createSandbox({ workers, limits: { timeoutMs: TIMEOUT_MS }, snapshotCache });
await sandbox.ready();
const firstReadyMs = performance.now() - t0;
// Each worker's CPU until ready; the one that used the most loaded Pyodide in full and made the rewrite and snapshot.
const firstWorkers = [...childCpuSeconds()].filter(([pid]) => !childrenBefore.has(pid)).map(([, cpu]) => cpu);
firstWorkers.sort((a, b) => b - a);
// A later sandbox of the same process (a pipeline's next phase): its workers start from the first one's snapshot.
const childrenOfFirst = new Set(childCpuSeconds().keys());
const t1 = performance.now();
const hostCpu = process.cpuUsage();
const later = await createSandbox({ workers, limits: { timeoutMs: TIMEOUT_MS }, snapshotCache });
await later.ready();
const laterReadyMs = performance.now() - t1;
const laterHostCpu = process.cpuUsage(hostCpu);
const laterWorkers = [...childCpuSeconds()].filter(([pid]) => !childrenOfFirst.has(pid)).map(([, cpu]) => cpu);
// This process's CPU per worker process of the later sandbox (standbys included): what starting one costs the host.
const laterHostCpuMs = (laterHostCpu.user + laterHostCpu.system) / 1000 / laterWorkers.length;
await later.close();
const diskReadyMs = readyInNewProcess(snapshotCache);
rmSync(snapshotCache, { recursive: true, force: true });
console.log(
  `sandbox ready (${workers} workers and their standbys): ${firstReadyMs.toFixed(0)} ms, a later one ${laterReadyMs.toFixed(0)} ms, a new process's first from the snapshot on disk ${diskReadyMs.toFixed(0)} ms; load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
console.log(
  `worker CPU until ready: the first ${firstWorkers[0]?.toFixed(2)} s, the other ${firstWorkers.length - 1} of its sandbox ${firstWorkers
    .slice(1)
    .map((c) => c.toFixed(2))
    .join(', ')} s, a later sandbox's ${laterWorkers.map((c) => c.toFixed(2)).join(', ')} s`,
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
  row({
    case: 'python-ready',
    impl: 'molrl-first-sandbox-disk-snapshot',
    size: workers,
    value: diskReadyMs,
    unit: 'ms',
  }),
  row({
    case: 'python-worker-start-host-cpu',
    impl: 'molrl-later-sandbox-worker',
    size: laterWorkers.length,
    value: laterHostCpuMs,
    unit: 'cpu-ms',
  }),
  row({ case: 'python-worker-start-cpu', impl: 'molrl-first-worker', size: 1, value: firstWorkers[0]!, unit: 'cpu-s' }),
  row({
    case: 'python-worker-start-cpu',
    impl: 'molrl-first-sandbox-total',
    size: firstWorkers.length,
    value: firstWorkers.reduce((a, b) => a + b, 0),
    unit: 'cpu-s',
  }),
  row({
    case: 'python-worker-start-cpu',
    impl: 'molrl-later-sandbox-worker',
    size: laterWorkers.length,
    value: median(laterWorkers),
    unit: 'cpu-s',
  }),
];
let mismatch = false;
try {
  for (const c of cases) {
    if (onlyRecovery || onlyCompute || onlyReady) break;
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
  if (!onlyCompute && !onlyReady) rows.push(...(await recoveryCases()));
  if (!onlyRecovery && !onlyReady) rows.push(...(await computeCases()));
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
  return median(times);
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
  report('python-worker-replaced', workers, median(replaced) - ordinary, 'ms');

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

/** Median ms of `program` in CPython, as CPython times it (no process start). */
function python3ComputeMs(program: string): number {
  const driver = [
    'import sys, time',
    'src = sys.stdin.read()',
    'code = compile(src, "<code>", "exec")',
    'times = []',
    `for _ in range(${COMPUTE_WARMUP + computePairs}):`,
    '    t = time.perf_counter()',
    '    exec(code, {"__name__": "__main__"})',
    '    times.append((time.perf_counter() - t) * 1000)',
    `times = sorted(times[${COMPUTE_WARMUP}:])`,
    'print(times[len(times) // 2], file=sys.stderr)',
  ].join('\n');
  const result = spawnSync(PYTHON, ['-I', '-c', driver], { input: program, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`python3-compute: ${result.stderr}`);
  return Number(result.stderr.trim());
}

/** The same programs in the sandbox, in plain Pyodide and in CPython; their outputs must agree. */
async function computeCases(): Promise<ResultRow[]> {
  const { loadPyodide } = (await import('pyodide')) as typeof import('pyodide');
  let plainOut = '';
  const plain = await loadPyodide({
    env: { PYTHONHASHSEED: '0' },
    stdout: (line: string) => void (plainOut += line + '\n'),
  });
  const out: ResultRow[] = [];
  for (const [name, program] of Object.entries(COMPUTE_PROGRAMS)) {
    const reference = spawnSync(PYTHON, ['-I', '-c', program], { encoding: 'utf8' }).stdout;
    const sandboxed: number[] = [];
    const plainMs: number[] = [];
    // Interleaved, after warm-up runs (V8 tiers the interpreter's WebAssembly up while it runs).
    for (let i = 0; i < COMPUTE_WARMUP + computePairs; i++) {
      const started = performance.now();
      const record = await sandbox.run({
        language: 'python',
        code: program,
        limits: { timeoutMs: 60_000, memoryMb: 512 },
      });
      // What the caller waits: the run and its messages (the restore after it overlaps the next request).
      const wallMs = performance.now() - started;
      if (record.status !== 'ok' || record.stdout !== reference)
        throw new Error(
          `python-compute ${name}: the sandbox gave ${record.status} '${record.stdout}', CPython '${reference}'`,
        );
      plainOut = '';
      const t = performance.now();
      plain.runPython(program, { globals: plain.toPy({}) });
      const ms = performance.now() - t;
      if (plainOut !== reference)
        throw new Error(`python-compute ${name}: plain Pyodide gave '${plainOut}', CPython '${reference}'`);
      if (i >= COMPUTE_WARMUP) {
        sandboxed.push(wallMs);
        plainMs.push(ms);
      }
    }
    // Paired: each sandboxed run against the plain run right after it, so a machine that slows down meanwhile
    // moves both.
    const ratio = median(sandboxed.map((ms, i) => ms / plainMs[i]!));
    const figures: Record<string, number> = {
      'molrl-tracked': median(sandboxed),
      'pyodide-plain': median(plainMs),
      python3: python3ComputeMs(program),
    };
    console.log(
      `python-compute ${name.padEnd(12)} ${Object.entries(figures)
        .map(([impl, ms]) => `${impl} ${ms.toFixed(0)} ms`)
        .join(', ')} (sandbox/plain, median of pairs: ${ratio.toFixed(2)}x)`,
    );
    for (const [impl, ms] of Object.entries(figures))
      out.push(row({ case: `python-compute-${name}`, impl, size: 1, value: ms, unit: 'ms' }));
    out.push(
      row({ case: `python-compute-${name}`, impl: 'molrl-tracked/pyodide-plain', size: 1, value: ratio, unit: 'x' }),
    );
  }
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
  const labelled = implLabel ? rows.map((r) => ({ ...r, impl: `${r.impl} (${implLabel})` })) : rows;
  console.log(`\nwritten to ${writeResults('sandbox', labelled)}`);
}
