/**
 * molrl ablate: the paper's comparisons on the embedded default, each a run
 * folder of its own under OUT/seed-<s>/<variant>/, repeated over seeds on one
 * fixed evaluation set (so every number pairs up task by task and seed by seed):
 *
 *  - Table 1: Base / +MoL / +CE / +CE_NoKL right after MoL, and with Dr.GRPO
 *    after them (+Dr.GRPO from the base, +MoL+Dr.GRPO, +CE+Dr.GRPO), as the
 *    paper's Table 1;
 *  - Table 2: +MoL+GRPO / +MoL+Dr.GRPO;
 *  - Table 3: multi-stage vs binary reward (Dr.GRPO from +MoL);
 *  - the figure: Dr.GRPO started from MoL checkpoints of growing step (0: the
 *    base), its training reward over the RL steps and its final reward.
 *
 * Every pass@1 comes with its 95% interval (bootstrap over tasks, seeds
 * averaged per task), every row with its paired difference to Base and to
 * +MoL (paired bootstrap: tasks resampled with all their seeds, both variants
 * at once), and every variant with the general-ability probe. Work is ordered
 * so that what the tables need most finishes first across all seeds, and the
 * report is rewritten from the folders after each step: an interrupted
 * ablation has a report of what finished, and resumes.
 */
import { copyFileSync, cpSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { applyLora } from '@molrl/lora';
import { readMetrics, writeFileAtomicSync, type ProgressMode } from '@molrl/progress';
import { useBackend } from './backend.js';
import { ConfigError, configDifferences, mergeConfig, shown, validateConfig, type PipelineConfig } from './config.js';
import { readJsonFile } from './json-file.js';
import { loadBase, type Stage } from './load.js';
import { runEval, stageReportPath, stageTasksPath } from './phases/eval.js';
import { readStageReport } from './phases/eval-records.js';
import { PhaseSandbox } from './phase-sandbox.js';
import { openRun, runPhase } from './pipeline.js';
import {
  formatDifference,
  formatInterval,
  pairedDifference,
  rateInterval,
  stageResults,
  type TaskMatrix,
} from './report/intervals.js';
import { lineChartSvg, type Series } from './report/line-chart.js';
import { createFolder, RunFolder } from './run-folder.js';

/** The seeds `molrl ablate` repeats each variant with unless told otherwise. */
export const DEFAULT_ABLATION_SEEDS: readonly number[] = [0, 1, 2];

export interface AblationOptions {
  seeds: number[];
  progress?: ProgressMode;
  log?: (line: string) => void;
  /** The MoL step between 0 and the last whose checkpoint starts a Dr.GRPO run for the figure (default: the saved step nearest the middle). */
  checkpointStep?: number;
  /** Stops the ablation at the next safe point of the phase under way (that phase is not marked done; the ablation resumes). */
  signal?: AbortSignal;
}

interface Cell {
  seed: number;
  value: number;
}

export function meanStd(values: number[]): { mean: number; std: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, n);
  const std = n > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std };
}

/** "mean ± std (s0: v0, s1: v1)" in percent or as a plain number. */
export function formatCells(cells: Cell[], percent: boolean): string {
  if (!cells.length) return '–';
  const f = (v: number) => (percent ? (100 * v).toFixed(1) : v.toFixed(3));
  const { mean, std } = meanStd(cells.map((c) => c.value));
  return `${f(mean)} ± ${f(std)} (${cells.map((c) => `s${c.seed}: ${f(c.value)}`).join(', ')})`;
}

/** Mean GRPO reward over the last quarter of the steps (at least one). */
export function finalReward(run: RunFolder): number | null {
  const rewards = rewardCurve(run);
  if (!rewards.length) return null;
  const tail = rewards.slice(-Math.max(1, Math.floor(rewards.length / 4)));
  return tail.reduce((a, b) => a + b, 0) / tail.length;
}

/** The GRPO training reward per step (empty when the run has none). */
export function rewardCurve(run: RunFolder): number[] {
  const path = join(run.grpoDir, 'metrics.jsonl');
  if (!existsSync(path)) return [];
  return readMetrics(path)
    .filter((r) => typeof r.reward === 'number')
    .map((r) => r.reward as number);
}

/**
 * One evaluated model of the ablation: a row label, the variant folder that
 * holds it and the stage evaluated there.
 */
export interface AblationRow {
  label: string;
  variant: string;
  stage: Stage;
}

/** A variant folder: how it is made from the others. */
interface VariantPlan {
  name: string;
  patch: unknown;
  /** The variant whose data (and MoL phase, when `mol` is 'copy') it starts from. */
  from?: string;
  mol: 'train' | 'copy' | { checkpoint: number } | 'base';
  grpo: boolean;
  stages: Stage[];
}

const DR = { lossType: 'dr_grpo', reward: 'multi-stage' } as const;

/** The folders of the ablation, in the order their work is done (each needs only earlier ones). */
export function ablationPlan(checkpointStep: number): VariantPlan[] {
  return [
    { name: 'mol', patch: { mol: { mode: 'mol' } }, mol: 'train', grpo: false, stages: ['base', 'mol'] },
    { name: 'ce', patch: { mol: { mode: 'ce' } }, from: 'mol', mol: 'train', grpo: false, stages: ['mol'] },
    { name: 'ce_nokl', patch: { mol: { mode: 'ce_nokl' } }, from: 'mol', mol: 'train', grpo: false, stages: ['mol'] },
    { name: 'dr_grpo', patch: { grpo: DR }, from: 'mol', mol: 'copy', grpo: true, stages: ['grpo'] },
    { name: 'base-dr_grpo', patch: { grpo: DR }, from: 'mol', mol: 'base', grpo: true, stages: ['grpo'] },
    {
      name: 'ce-dr_grpo',
      patch: { mol: { mode: 'ce' }, grpo: DR },
      from: 'ce',
      mol: 'copy',
      grpo: true,
      stages: ['grpo'],
    },
    {
      name: 'grpo',
      patch: { grpo: { lossType: 'grpo', reward: 'multi-stage' } },
      from: 'mol',
      mol: 'copy',
      grpo: true,
      stages: ['grpo'],
    },
    {
      name: 'dr_grpo-binary',
      patch: { grpo: { lossType: 'dr_grpo', reward: 'binary' } },
      from: 'mol',
      mol: 'copy',
      grpo: true,
      stages: ['grpo'],
    },
    {
      name: `dr_grpo-from-mol-${checkpointStep}`,
      patch: { grpo: DR },
      from: 'mol',
      mol: { checkpoint: checkpointStep },
      grpo: true,
      stages: ['grpo'],
    },
  ];
}

export const TABLE1_ROWS: AblationRow[] = [
  { label: 'Base', variant: 'mol', stage: 'base' },
  { label: '+MoL', variant: 'mol', stage: 'mol' },
  { label: '+CE', variant: 'ce', stage: 'mol' },
  { label: '+CE_NoKL', variant: 'ce_nokl', stage: 'mol' },
  { label: '+Dr.GRPO', variant: 'base-dr_grpo', stage: 'grpo' },
  { label: '+MoL+Dr.GRPO', variant: 'dr_grpo', stage: 'grpo' },
  { label: '+CE+Dr.GRPO', variant: 'ce-dr_grpo', stage: 'grpo' },
];
export const TABLE2_ROWS: AblationRow[] = [
  { label: '+MoL+GRPO', variant: 'grpo', stage: 'grpo' },
  { label: '+MoL+Dr.GRPO', variant: 'dr_grpo', stage: 'grpo' },
];
export const TABLE3_ROWS: AblationRow[] = [
  { label: '+MoL+Dr.GRPO, multi-stage reward', variant: 'dr_grpo', stage: 'grpo' },
  { label: '+MoL+Dr.GRPO, binary reward', variant: 'dr_grpo-binary', stage: 'grpo' },
];

/** The saved MoL step nearest the middle of the run (the figure's intermediate checkpoint). */
export function middleCheckpoint(c: PipelineConfig): number {
  const every = c.mol.saveSteps > 0 ? c.mol.saveSteps : c.mol.maxSteps;
  const saved: number[] = [];
  for (let s = every; s < c.mol.maxSteps; s += every) saved.push(s);
  if (!saved.length) return c.mol.maxSteps;
  return saved.reduce((best, s) => (Math.abs(s - c.mol.maxSteps / 2) < Math.abs(best - c.mol.maxSteps / 2) ? s : best));
}

export async function runAblation(outDir: string, base: PipelineConfig, options: AblationOptions): Promise<string> {
  const log = options.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const progress = options.progress ?? 'auto';
  const { signal } = options;
  const phaseOptions = { progress, log, ...(signal ? { signal } : {}) };
  if (!options.seeds.length) throw new Error('runAblation: options.seeds is empty');
  await useBackend(base.backend);
  const root = new RunFolder(outDir);
  const checkpointStep = options.checkpointStep ?? middleCheckpoint(base);
  if (!(checkpointStep > 0 && checkpointStep < base.mol.maxSteps && checkpointStep % base.mol.saveSteps === 0))
    throw new Error(
      `runAblation: checkpointStep must be a multiple of mol.saveSteps (${base.mol.saveSteps}) between 0 and mol.maxSteps (${base.mol.maxSteps}), got ${checkpointStep}`,
    );
  // An existing ablation goes on only with its own configuration (more seeds, or another backend, are fine).
  const metaFile = root.path('ablate.json');
  if (existsSync(metaFile)) {
    const meta = readAblationMeta(metaFile);
    const diff = configDifferences(
      { ...meta.config, backend: base.backend, checkpointStep: meta.checkpointStep },
      { ...base, checkpointStep },
    );
    if (diff.length)
      throw new ConfigError(
        `${metaFile}: this ablation was made with another configuration: ${diff.join('; ')}. Go on without those options, or use a new --out folder.`,
      );
  }
  createFolder(root.dir, 'the ablation folder');
  writeFileAtomicSync(
    root.path('ablate.json'),
    JSON.stringify({ seeds: options.seeds, checkpointStep, config: base }, null, 2) + '\n',
  );
  const plan = ablationPlan(checkpointStep);
  const folder = (seed: number, name: string) => new RunFolder(join(root.path(`seed-${seed}`), name));
  const configOf = (seed: number, v: VariantPlan) =>
    validateConfig(mergeConfig(structuredClone({ ...base, seed }), v.patch), `ablate variant ${v.name}`);
  const where = (run: RunFolder) => run.dir.slice(root.dir.length + 1);

  // One sandbox scores the grpo and eval phases of every variant (made after the first data phase).
  const sandboxes = new PhaseSandbox();
  try {
    for (const v of plan) {
      for (const seed of options.seeds) {
        signal?.throwIfAborted();
        const run = folder(seed, v.name);
        // A variant folder made with another configuration is refused, naming the fields; a backend moves.
        const { config } = openRun(run.dir, configOf(seed, v), { log });
        const source = v.from ? folder(seed, v.from) : null;
        if (source && !run.isDone('data')) {
          cpSync(source.dataDir, run.dataDir, { recursive: true });
          run.markDone('data', { seconds: 0, copiedFrom: source.dataDir });
        }
        if (!source) {
          log(`ablate: ${where(run)} data`);
          await runPhase(run, config, 'data', phaseOptions);
        }
        const sandbox = await sandboxes.get();
        if (!run.isDone('mol')) {
          if (v.mol === 'train') {
            log(`ablate: ${where(run)} mol`);
            await runPhase(run, config, 'mol', phaseOptions);
          } else if (v.mol === 'copy') {
            cpSync(source!.molDir, run.molDir, { recursive: true });
            run.markDone('mol', { seconds: 0, copiedFrom: source!.molDir });
          } else if (v.mol === 'base') {
            // MoL at step 0: a freshly initialised adapter (B = 0) changes nothing, so GRPO starts from the base.
            const { model } = await loadBase(config.model);
            const lora = applyLora(model, { ...config.lora, seed: config.seed, baseModelName: config.model });
            await lora.save(run.adapterDir('mol'));
            model.dispose();
            run.markDone('mol', { seconds: 0, copiedFrom: 'step 0: an untrained adapter, the base model' });
          } else {
            const checkpoint = join(source!.molDir, `checkpoint-${v.mol.checkpoint}`);
            if (!existsSync(join(checkpoint, 'adapter_model.safetensors')))
              throw new Error(`ablate: no MoL checkpoint at ${checkpoint} (mol.saveSteps must divide the step)`);
            mkdirSync(run.adapterDir('mol'), { recursive: true });
            for (const f of ['adapter_config.json', 'adapter_model.safetensors'])
              copyFileSync(join(checkpoint, f), join(run.adapterDir('mol'), f));
            run.markDone('mol', { seconds: 0, copiedFrom: checkpoint });
          }
        }
        if (v.grpo) {
          log(`ablate: ${where(run)} grpo`);
          await runPhase(run, config, 'grpo', { ...phaseOptions, sandbox });
        }
        const todo = v.stages.filter((s) => !existsSync(stageReportPath(run, s)));
        if (todo.length) {
          log(`ablate: ${where(run)} eval ${todo.join(', ')}`);
          await runEval(run, config, { stages: todo, progress, sandbox, ...(signal ? { signal } : {}) });
        }
        writeAblationReport(outDir);
      }
    }
  } finally {
    await sandboxes.close();
  }
  return writeAblationReport(outDir);
}

/** What ablate.json records: the seeds run so far, the MoL checkpoint the mid-point variants start from, the base config. */
export interface AblationMeta {
  seeds: number[];
  checkpointStep: number;
  config: PipelineConfig;
}

/** An ablation folder's ablate.json, checked; a damaged one is a ConfigError naming the file and field. */
export function readAblationMeta(path: string): AblationMeta {
  const meta = readJsonFile(path);
  if (!meta || typeof meta !== 'object' || Array.isArray(meta))
    throw new ConfigError(`${path}: not an ablation record (a JSON object), got ${shown(meta)}`);
  const { seeds, checkpointStep, config } = meta as Record<string, unknown>;
  if (!Array.isArray(seeds) || !seeds.length || !seeds.every((s) => Number.isInteger(s) && s >= 0))
    throw new ConfigError(`${path}: seeds must be a non-empty array of integers >= 0, got ${shown(seeds)}`);
  if (!Number.isInteger(checkpointStep) || (checkpointStep as number) < 1)
    throw new ConfigError(`${path}: checkpointStep must be an integer >= 1, got ${shown(checkpointStep)}`);
  if (!config || typeof config !== 'object' || Array.isArray(config))
    throw new ConfigError(`${path}: config must be an object (the base run configuration), got ${shown(config)}`);
  // Ablations made before the backend was a field ran on the cpu.
  const withBackend = 'backend' in config ? config : { ...config, backend: 'cpu' };
  return {
    seeds: seeds as number[],
    checkpointStep: checkpointStep as number,
    config: validateConfig(withBackend, `${path}: config`),
  };
}

interface RowData {
  row: AblationRow;
  seeds: number[];
  all: TaskMatrix | null;
  classic: TaskMatrix | null;
  depot: TaskMatrix | null;
  reward: TaskMatrix | null;
  probe: TaskMatrix | null;
  knowledge: TaskMatrix | null;
  math: Cell[];
  trainReward: Cell[];
}

function readRow(root: RunFolder, seeds: number[], row: AblationRow): RowData {
  const perSeed: Array<{ seed: number; run: RunFolder }> = [];
  for (const seed of seeds) {
    const run = new RunFolder(join(root.path(`seed-${seed}`), row.variant));
    if (existsSync(stageReportPath(run, row.stage)) && existsSync(stageTasksPath(run, row.stage)))
      perSeed.push({ seed, run });
  }
  const results = stageResults(
    perSeed.map((p) => p.run),
    row.stage,
  );
  const math: Cell[] = [];
  const trainReward: Cell[] = [];
  for (const p of perSeed) {
    const report = readStageReport(p.run, row.stage)!;
    const m = report.results.find((r) => /MATH/.test(r.suite));
    if (m) math.push({ seed: p.seed, value: m.pass1 });
    const fr = row.stage === 'grpo' ? finalReward(p.run) : null;
    if (fr !== null) trainReward.push({ seed: p.seed, value: fr });
  }
  return {
    row,
    seeds: perSeed.map((p) => p.seed),
    all: results.all,
    classic: results.classic,
    depot: results.depot,
    reward: results.reward,
    probe: results.probe,
    knowledge: results.knowledge,
    math,
    trainReward,
  };
}

/** Restrict a matrix to the given seeds' columns (by position in `seeds`). */
function seedColumns(m: TaskMatrix | null, seeds: number[], keep: number[]): TaskMatrix | null {
  if (!m) return null;
  const cols = keep.map((s) => seeds.indexOf(s));
  if (cols.some((c) => c < 0)) return null;
  return { ids: m.ids, values: m.values.map((v) => cols.map((c) => v[c]!)) };
}

/** a - b on the seeds both rows have. */
function diff(
  a: RowData,
  b: RowData | undefined,
  pick: 'all' | 'classic' | 'depot' | 'probe' | 'knowledge',
  percent: boolean,
): string {
  if (!b || a.row === b.row) return '–';
  const seeds = a.seeds.filter((s) => b.seeds.includes(s));
  const ma = seedColumns(a[pick], a.seeds, seeds);
  const mb = seedColumns(b[pick], b.seeds, seeds);
  return ma && mb && seeds.length ? formatDifference(pairedDifference(ma, mb), percent) : '–';
}

const meanCell = (cells: Cell[], percent: boolean) => {
  if (!cells.length) return '–';
  const { mean } = meanStd(cells.map((c) => c.value));
  return percent ? (100 * mean).toFixed(1) : mean.toFixed(3);
};

function table(rows: RowData[], baseRow: RowData | undefined, molRow: RowData | undefined): string[] {
  const lines = [
    '| Model | seeds | CodeAgent-Test pass@1 (%) | Δ vs Base | Δ vs +MoL | classic kinds | depot kinds | Δ depot vs Base | mean reward | MATH-500 pass@1 (%) |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.row.label} | ${r.seeds.length ? r.seeds.join(', ') : 'not run'} | ${r.all ? formatInterval(rateInterval(r.all), true) : '–'} | ${diff(r, baseRow, 'all', true)} | ${diff(r, molRow, 'all', true)} | ${r.classic ? formatInterval(rateInterval(r.classic), true) : '–'} | ${r.depot ? formatInterval(rateInterval(r.depot), true) : '–'} | ${diff(r, baseRow, 'depot', true)} | ${r.reward ? formatInterval(rateInterval(r.reward), false) : '–'} | ${meanCell(r.math, true)} |`,
    );
  }
  return lines;
}

/**
 * "a − b: pass@1 Δ, classic Δ, depot Δ, probe NLL Δ, depot answer NLL Δ", each paired over the
 * tasks and the seeds both rows have: the comparison a table exists for (GRPO vs Dr.GRPO, the
 * rewards, what MoL or CE adds before RL), which Δ vs Base and vs +MoL do not give.
 */
function pairLine(a: RowData | undefined, b: RowData | undefined): string {
  if (!a || !b) return '';
  const pairs = [
    ['pass@1', diff(a, b, 'all', true)],
    ['classic kinds', diff(a, b, 'classic', true)],
    ['depot kinds', diff(a, b, 'depot', true)],
    ['probe NLL', diff(a, b, 'probe', false)],
    ['depot answer NLL', diff(a, b, 'knowledge', false)],
  ] as const;
  const cells = pairs.filter(([, d]) => d !== '–').map(([name, d]) => `${name} ${d}`);
  return `- ${a.row.label} − ${b.row.label}: ${cells.length ? cells.join('; ') : 'not both run yet'}`;
}

function probeTable(rows: RowData[], baseRow: RowData | undefined, molRow: RowData | undefined): string[] {
  const lines = [
    '| Model | probe NLL (nats per token) | Δ vs Base | Δ vs +MoL | depot answer NLL | Δ vs Base | Δ vs +MoL |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.row.label} | ${r.probe ? formatInterval(rateInterval(r.probe), false) : '–'} | ${diff(r, baseRow, 'probe', false)} | ${diff(r, molRow, 'probe', false)} | ${r.knowledge ? formatInterval(rateInterval(r.knowledge), false) : '–'} | ${diff(r, baseRow, 'knowledge', false)} | ${diff(r, molRow, 'knowledge', false)} |`,
    );
  }
  return lines;
}

/** report.md and plots of an ablation folder, from whatever its variant folders hold now. */
export function writeAblationReport(outDir: string): string {
  const root = new RunFolder(outDir);
  const { seeds, checkpointStep, config: base } = readAblationMeta(root.path('ablate.json'));
  const read = (row: AblationRow) => readRow(root, seeds, row);
  const t1 = TABLE1_ROWS.map(read);
  const t2 = TABLE2_ROWS.map(read);
  const t3 = TABLE3_ROWS.map(read);
  const row = (rows: RowData[], label: string) => rows.find((r) => r.row.label === label);
  const baseRow = row(t1, 'Base');
  const molRow = row(t1, '+MoL');
  const figureRows: Array<{ step: number; row: RowData; curves: number[][] }> = [
    { step: 0, variant: 'base-dr_grpo' },
    { step: checkpointStep, variant: `dr_grpo-from-mol-${checkpointStep}` },
    { step: base.mol.maxSteps, variant: 'dr_grpo' },
  ].map(({ step, variant }) => {
    const row = read({ label: `MoL step ${step} + Dr.GRPO`, variant, stage: 'grpo' });
    const curves = seeds
      .map((s) => rewardCurve(new RunFolder(join(root.path(`seed-${s}`), variant))))
      .filter((c) => c.length);
    return { step, row, curves };
  });
  const ceCurves = seeds
    .map((s) => rewardCurve(new RunFolder(join(root.path(`seed-${s}`), 'ce-dr_grpo'))))
    .filter((c) => c.length);

  mkdirSync(root.path('plots'), { recursive: true });
  const meanCurve = (curves: number[][]): Array<[number, number]> => {
    const n = Math.min(...curves.map((c) => c.length));
    return Array.from({ length: n }, (_, i) => [i + 1, curves.reduce((a, c) => a + c[i]!, 0) / curves.length]);
  };
  /** A moving average over `w` steps: GRPO's per-step reward is noisy. */
  const smooth = (pts: Array<[number, number]>, w = 5): Array<[number, number]> =>
    pts.map(([x], i) => {
      const win = pts.slice(Math.max(0, i - w + 1), i + 1);
      return [x, win.reduce((a, [, y]) => a + y, 0) / win.length];
    });
  const curveSeries: Series[] = figureRows
    .filter((f) => f.curves.length)
    .map((f) => ({ name: `from MoL step ${f.step}`, points: smooth(meanCurve(f.curves)) }));
  if (ceCurves.length)
    curveSeries.push({ name: `from +CE (step ${base.mol.maxSteps})`, points: smooth(meanCurve(ceCurves)) });
  writeFileAtomicSync(
    root.path('plots', 'rl-reward-by-mol-checkpoint.svg'),
    lineChartSvg(curveSeries, {
      title: 'Dr.GRPO training reward by starting point (mean over seeds, 5-step moving average)',
      xLabel: 'GRPO step',
      yLabel: 'mean multi-stage reward',
    }),
  );
  const finals = figureRows.filter((f) => f.row.trainReward.length);
  writeFileAtomicSync(
    root.path('plots', 'mol-checkpoint-vs-rl-reward.svg'),
    lineChartSvg(
      [
        {
          name: 'final GRPO reward',
          points: finals.map((f) => [f.step, meanStd(f.row.trainReward.map((c) => c.value)).mean]),
          band: finals.map((f) => {
            const { mean, std } = meanStd(f.row.trainReward.map((c) => c.value));
            return [f.step, mean - std, mean + std];
          }),
        },
      ],
      {
        title: 'MoL checkpoint vs later RL reward (Dr.GRPO)',
        xLabel: 'MoL step the GRPO run started from',
        yLabel: 'mean reward, last quarter of GRPO',
      },
    ),
  );

  const tasks = baseRow?.all?.ids.length ?? base.data.evalTasks;
  const md = [
    '# molrl ablate',
    '',
    `Seeds ${seeds.join(', ')} (each seed: its own traces, GRPO tasks, adapter initialisation, data order and sampling); one evaluation set of ${tasks} held-out one-step tasks (the ${base.data.evalSet} set; classic and depot kinds in rotation), the same for every seed and variant. Sizes: ${base.data.traces} traces (depot kinds weighted ${base.data.depotWeight}), MoL ${base.mol.maxSteps} steps (lr ${base.mol.learningRate}), GRPO ${base.grpo.maxSteps} steps x ${base.grpo.globalBatchSize} completions (lr ${base.grpo.learningRate}); sampling: temperature ${base.eval.temperature}, top-p ${base.eval.topP}, top-k ${base.eval.topK}, presence penalty ${base.eval.presencePenalty}. Run folders: \`seed-<s>/<variant>/\`.`,
    '',
    "How to read the cells: pass@1 is the mean over tasks of each task's pass rate over the seeds, with its 95% interval (a bootstrap over tasks). Δ is a paired difference in points over the same tasks and seeds (a paired bootstrap: tasks resampled with all their seeds, both models at once; 10,000 resamples, a fixed seed). **Bold with ↑ or ↓**: resolved, the interval excludes 0; plain: not resolved at this size. Classic kinds need only Python; depot kinds need the library's current API, which only the environment's feedback states (docs/environment.md). Mean reward: the multi-stage reward (0.1 parses, 0.4 runs, 1.0 correct) with its interval.",
    '',
    '## Table 1: MoL and its ablations, alone and followed by Dr.GRPO',
    '',
    ...table(t1, baseRow, molRow),
    '',
    'Paired between the RL rows (points for pass@1, nats per token for the NLLs; same reading):',
    '',
    pairLine(row(t1, '+MoL+Dr.GRPO'), row(t1, '+Dr.GRPO')),
    pairLine(row(t1, '+CE+Dr.GRPO'), row(t1, '+MoL+Dr.GRPO')),
    '',
    '## Table 2: GRPO vs Dr.GRPO after MoL',
    '',
    ...table(t2, baseRow, molRow),
    '',
    pairLine(t2[1], t2[0]),
    '',
    '## Table 3: multi-stage vs binary reward (Dr.GRPO after MoL)',
    '',
    ...table(t3, baseRow, molRow),
    '',
    pairLine(t3[1], t3[0]),
    '',
    'Final training reward (mean of the last quarter of the GRPO steps; each run its own reward, so the binary one is 0/1 and not comparable): ' +
      ([...t1, ...t2, ...t3]
        .filter((r, i, all) => r.trainReward.length && all.findIndex((x) => x.row.variant === r.row.variant) === i)
        .map((r) => `${r.row.label} ${formatCells(r.trainReward, false)}`)
        .join('; ') || 'no GRPO run has finished yet') +
      '.',
    '',
    '## General-ability probe (the KL claim) and knowledge probe',
    '',
    "Probe NLL: mean negative log-likelihood per answer token of held-out documents of the pretraining distribution (one-step answers to classic tasks, a seed nothing trains on), for every model; lower is better, a rise is general ability lost. Depot answer NLL: the same for the correct answer of each depot evaluation task (the library's current API, which only the environment's feedback states); lower means more of the API taken in, even where samples still fail. Δ is paired over documents (tasks) and seeds.",
    '',
    // Every model once: Table 1, GRPO (Table 2), the binary reward (Table 3), RL from the intermediate MoL checkpoint (the figure).
    ...probeTable([...t1, ...t2.slice(0, 1), ...t3.slice(1), figureRows[1]!.row], baseRow, molRow),
    '',
    '## Figure: MoL checkpoints vs later RL reward',
    '',
    '| MoL step Dr.GRPO started from | final training reward | CodeAgent-Test pass@1 (%) | Δ vs step 0 | depot kinds |',
    '|---:|---:|---:|---:|---:|',
    ...figureRows.map(
      (f) =>
        `| ${f.step} | ${formatCells(f.row.trainReward, false)} | ${f.row.all ? formatInterval(rateInterval(f.row.all), true) : '–'} | ${diff(f.row, figureRows[0]!.row, 'all', true)} | ${f.row.depot ? formatInterval(rateInterval(f.row.depot), true) : '–'} |`,
    ),
    '',
    '![MoL checkpoint vs RL reward](plots/mol-checkpoint-vs-rl-reward.svg)',
    '',
    '![RL reward curves by starting point](plots/rl-reward-by-mol-checkpoint.svg)',
    '',
  ].join('\n');
  writeFileAtomicSync(root.path('report.md'), md);
  return md;
}
