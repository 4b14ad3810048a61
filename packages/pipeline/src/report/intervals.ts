/**
 * The numbers of the reports with their 95% intervals: a stage's pass@1 over
 * the evaluation tasks (seeds averaged per task; Wilson's interval for one
 * sample of one seed, a task-resampling bootstrap otherwise), and a paired
 * difference between two stages or variants over the same tasks and seeds
 * (the paired bootstrap of `@molrl/bench-math`), written so a reader sees at
 * once whether it is resolved and which way.
 */
import {
  bootstrapMean,
  pairedBootstrapDifference,
  wilsonInterval,
  type Interval,
  type PairedDifference,
} from '@molrl/bench-math';
import type { Stage } from '../load.js';
import type { TaskResult } from '../phases/eval.js';
import { readKnowledge, readProbe, readTaskResults } from '../phases/eval-records.js';
import type { ProbeResult } from '../probe.js';
import type { RunFolder } from '../run-folder.js';

/** A variant's per-task values, tasks in evaluation order, one value per seed: values[task][seed]. */
export interface TaskMatrix {
  ids: string[];
  values: number[][];
}

/** Per-seed per-document values (probe or knowledge) as one matrix over the documents every seed has. */
export function documentMatrix(
  perSeed: ReadonlyArray<{ ids: readonly string[]; values: readonly number[] }>,
): TaskMatrix | null {
  if (!perSeed.length) return null;
  const maps = perSeed.map((p) => new Map(p.ids.map((id, i) => [id, p.values[i]!])));
  const ids = perSeed[0]!.ids.filter((id) => maps.every((m) => m.has(id)));
  return ids.length ? { ids, values: ids.map((id) => maps.map((m) => m.get(id)!)) } : null;
}

/**
 * Per-seed task results into one matrix (tasks that every seed evaluated, in
 * the first seed's order). `pick` chooses the value (correct, score) and
 * `filter` the tasks (e.g. depot kinds only).
 */
export function taskMatrix(
  perSeed: ReadonlyArray<readonly TaskResult[]>,
  pick: (r: TaskResult) => number,
  filter: (r: TaskResult) => boolean = () => true,
): TaskMatrix | null {
  if (!perSeed.length) return null;
  const maps = perSeed.map((rs) => new Map(rs.map((r) => [r.id, r])));
  const ids = perSeed[0]!
    .filter(filter)
    .map((r) => r.id)
    .filter((id) => maps.every((m) => m.has(id)));
  if (!ids.length) return null;
  return { ids, values: ids.map((id) => maps.map((m) => pick(m.get(id)!))) };
}

const isClassic = (r: TaskResult) => r.library === undefined;
const isDepot = (r: TaskResult) => r.library === 'depot';

/** A stage's results over seeds, read from one run folder per seed. */
export interface StageResults {
  /** Each seed's task results (null where its folder has none). */
  tasks: Array<TaskResult[] | null>;
  /** Pass@1 over the tasks every seed has, overall and on the classic and depot kinds (null without task results). */
  all: TaskMatrix | null;
  classic: TaskMatrix | null;
  depot: TaskMatrix | null;
  /** The reward's score per task. */
  reward: TaskMatrix | null;
  /** Each seed's general-ability and knowledge probe (null where it has none). */
  probes: Array<ProbeResult | null>;
  knowledges: Array<(ProbeResult & { ids: string[] }) | null>;
  /** Their per-document NLLs over the documents every seed has (null unless every seed has the probe). */
  probe: TaskMatrix | null;
  knowledge: TaskMatrix | null;
}

/** Read a stage's results of `runs` (one run folder per seed) into the matrices the tables are made of. */
export function stageResults(runs: readonly RunFolder[], stage: Stage): StageResults {
  const tasks = runs.map((run) => readTaskResults(run, stage));
  const lists = tasks.every((t) => t) ? (tasks as TaskResult[][]) : [];
  const correct = (r: TaskResult) => r.correct;
  const probes = runs.map((run) => readProbe(run, stage));
  const knowledges = runs.map((run) => readKnowledge(run, stage));
  return {
    tasks,
    all: taskMatrix(lists, correct),
    classic: taskMatrix(lists, correct, isClassic),
    depot: taskMatrix(lists, correct, isDepot),
    reward: taskMatrix(lists, (r) => r.score),
    probes,
    knowledges,
    probe: probes.every((p) => p)
      ? documentMatrix(probes.map((p) => ({ ids: p!.perDocument.map((_, i) => String(i)), values: p!.perDocument })))
      : null,
    knowledge: knowledges.every((k) => k)
      ? documentMatrix(knowledges.map((k) => ({ ids: k!.ids, values: k!.perDocument })))
      : null,
  };
}

/** The pass rate with its interval: Wilson for 0/1 values of one seed, else the task bootstrap. */
export function rateInterval(m: TaskMatrix): Interval {
  const oneSeed = m.values.every((v) => v.length === 1);
  const binary = m.values.every((v) => v.every((x) => x === 0 || x === 1));
  if (oneSeed && binary)
    return wilsonInterval(
      m.values.reduce((a, v) => a + v[0]!, 0),
      m.values.length,
    );
  return bootstrapMean(m.values);
}

/** a - b over the tasks (and seeds) both have. */
export function pairedDifference(a: TaskMatrix, b: TaskMatrix): PairedDifference | null {
  const index = new Map(b.ids.map((id, i) => [id, i]));
  const common = a.ids.map((id, i) => [i, index.get(id)] as const).filter(([, j]) => j !== undefined);
  if (!common.length) return null;
  const va = common.map(([i]) => a.values[i]!);
  const vb = common.map(([, j]) => b.values[j!]!);
  if (va.some((v, k) => v.length !== vb[k]!.length)) return null;
  return pairedBootstrapDifference(va, vb);
}

const fmt = (v: number, percent: boolean, digits: number, signed = false) => {
  const x = percent ? 100 * v : v;
  const s = x.toFixed(percent ? 1 : digits);
  return signed && x >= 0 ? `+${s}` : s;
};

/** "37.5 [28.1, 47.9]" (percent) or "0.412 [0.380, 0.444]". */
export function formatInterval(iv: Interval | null, percent: boolean, digits = 3): string {
  if (!iv) return '–';
  return `${fmt(iv.estimate, percent, digits)} [${fmt(iv.low, percent, digits)}, ${fmt(iv.high, percent, digits)}]`;
}

/** "**+7.5 [+2.5, +12.5] ↑**" when resolved (↑ higher, ↓ lower), "+2.5 [-2.5, +7.5]" when the interval holds 0. */
export function formatDifference(d: PairedDifference | null, percent: boolean, digits = 3): string {
  if (!d) return '–';
  const arrow = d.direction === 'higher' ? ' ↑' : d.direction === 'lower' ? ' ↓' : '';
  const cell = `${fmt(d.estimate, percent, digits, true)} [${fmt(d.low, percent, digits, true)}, ${fmt(d.high, percent, digits, true)}]`;
  return d.resolved ? `**${cell}${arrow}**` : cell;
}
