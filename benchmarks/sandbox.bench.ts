/**
 * Rewards per second for small model-written snippets, JavaScript and Python,
 * with @molrl/sandbox-reward's pool (workers = CPU count) and, side by side in
 * the same run, naive ways of doing the same job:
 *
 *   reward-js:      molrl-pristine | ivm-new-isolate (a new isolated-vm Isolate per call) | node-vm (node:vm, no isolation)
 *   reward-python:  molrl-pristine | python3-spawn (a `python3 -c` process per call)
 *
 * `molrl-pristine` is the current isolation: every Python run starts from a
 * restored heap snapshot, every JavaScript run from a fresh context whose
 * record is encoded without user-patchable prototypes. Rows named
 * `molrl-reset-v0.1` in results/sandbox.json are the previous isolation (an
 * interpreter reset between runs), kept so the cost of pristine state shows.
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

const sandbox = await createSandbox({ workers, limits: { timeoutMs: TIMEOUT_MS } });
const t0 = performance.now();
await sandbox.ready();
console.log(
  `sandbox ready (${workers} workers): ${(performance.now() - t0).toFixed(0)} ms; load average ${loadavg()
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
      'molrl-pristine': (items) =>
        Promise.all(items.map((it) => multiStageReward(it.completion, it.answer, { sandbox }).then((r) => r.reward))),
      'python3-spawn': (items) => mapLimited(items, workers, python3Spawn),
    },
  },
];

const rows: ResultRow[] = [];
let mismatch = false;
try {
  for (const c of cases) {
    const reference = await c.impls['molrl-pristine']!(c.items);
    for (const [impl, score] of Object.entries(c.impls)) {
      const rewards = await score(c.items); // also the warm-up
      const bad = rewards.findIndex((r, i) => Math.abs(r - reference[i]!) > 1e-9);
      if (bad >= 0) {
        mismatch = true;
        console.log(`${c.case}/${impl}: reward ${rewards[bad]} on item ${bad}, molrl-pristine gives ${reference[bad]}`);
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
} finally {
  await sandbox.close();
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
