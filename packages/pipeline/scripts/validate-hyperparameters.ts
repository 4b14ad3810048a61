/**
 * Chooses MoL and GRPO hyperparameters on the validation tasks (data.evalSet
 * 'validation': task seeds disjoint from the evaluation set) and on training
 * seeds disjoint from the evaluation seeds (--seeds, default 100,101,102; the
 * ablation's seeds and the run's default seed are refused): a setting is never
 * chosen on the evaluation tasks, nor on the very models the reported runs
 * then evaluate. Two stages, each a list of candidate config patches, every
 * candidate run once per seed, and its numbers pooled over the seeds (pass@1
 * averaged per task over seeds, NLLs averaged over seeds):
 *
 *  1. MoL: every candidate trains MoL from the same data and is evaluated
 *     (base and +MoL) on the validation tasks; among those whose general-ability
 *     probe NLL stays within --probe-tolerance (default 0.25: 25%) of the base
 *     model's, the best is the highest +MoL pass@1 on the depot kinds (what MoL
 *     is for), ties to the lower depot answer NLL (the knowledge probe), the
 *     overall pass@1, the probe NLL;
 *  2. GRPO: every candidate runs Dr.GRPO from the chosen MoL adapter of the
 *     same seed and is evaluated; the best is the highest overall pass@1.
 *
 * Each candidate and seed is a run folder under --out/seed-<s>/ (resumable:
 * start the same command again); the summary (every candidate's pooled
 * validation numbers with intervals, its per-seed pass@1, paired differences
 * from the stage's choice, and the choice) goes to <out>/validation.md and .json.
 *
 *   node --import tsx --conditions=@molrl/source scripts/validate-hyperparameters.ts --out DIR \
 *     --mol '[{"mol":{"learningRate":2e-3}},{"mol":{"learningRate":5e-3}}]' \
 *     --grpo '[{"grpo":{"learningRate":1e-3}}]' [--seeds 100,101,102] [--set section.field=value ...]
 */
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeFileAtomicSync } from '@molrl/progress';
import { DEFAULT_ABLATION_SEEDS } from '../src/ablate.js';
import { parseSeeds } from '../src/cli.js';
import {
  DEFAULT_CONFIG,
  mergeConfig,
  parseAssignments,
  resolveConfig,
  validateConfig,
  type PipelineConfig,
} from '../src/config.js';
import { runEval, stageReportPath } from '../src/phases/eval.js';
import { runPhase } from '../src/pipeline.js';
import {
  formatDifference,
  formatInterval,
  pairedDifference,
  rateInterval,
  stageResults,
  type TaskMatrix,
} from '../src/report/intervals.js';
import { bestIndex, checkValidationSeeds, type CandidateScore } from '../src/report/validation-choice.js';
import { RunFolder } from '../src/run-folder.js';
import type { Stage } from '../src/load.js';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    mol: { type: 'string', default: '[{}]' },
    grpo: { type: 'string', default: '[{}]' },
    seeds: { type: 'string', default: '100,101,102' },
    set: { type: 'string', multiple: true, default: [] },
    'probe-tolerance': { type: 'string', default: '0.25' },
  },
});
// A MoL candidate whose general-ability probe NLL rises more than this fraction above the base
// model's is not chosen: learning the depot facts by forgetting the rest is not what MoL is for.
const probeTolerance = Number(values['probe-tolerance']);
if (!Number.isFinite(probeTolerance) || probeTolerance < 0)
  throw new Error(
    `--probe-tolerance: expected a number >= 0 (a fraction of the base probe NLL), got ${values['probe-tolerance']}`,
  );
if (!values.out) throw new Error('--out DIR is required');
const out = resolve(values.out);
const seeds = parseSeeds(values.seeds!);
// The ablation's seeds and the run's default seed train the models the docs report.
const evaluationSeeds = [...new Set([...DEFAULT_ABLATION_SEEDS, DEFAULT_CONFIG.seed])];
checkValidationSeeds(seeds, evaluationSeeds);
const parseList = (name: 'mol' | 'grpo'): unknown[] => {
  let list: unknown;
  try {
    list = JSON.parse(values[name]!);
  } catch (error) {
    throw new Error(`--${name}: not JSON (${(error as Error).message})`, { cause: error });
  }
  if (!Array.isArray(list) || list.length === 0)
    throw new Error(`--${name}: expected a non-empty JSON array of config patches`);
  return list;
};
const molCandidates = parseList('mol');
const grpoCandidates = parseList('grpo');
const assignments = parseAssignments(values.set ?? []);
if (Object.hasOwn(assignments, 'seed')) throw new Error("--set seed=...: the sweep's seeds are given by --seeds");
for (const [name, list] of [
  ['mol', molCandidates],
  ['grpo', grpoCandidates],
] as const)
  for (const patch of list)
    if (patch !== null && typeof patch === 'object' && Object.hasOwn(patch, 'seed'))
      throw new Error(
        `--${name}: a candidate sets seed (${JSON.stringify(patch)}); the sweep's seeds are given by --seeds`,
      );
const base = resolveConfig({ overrides: [{ data: { evalSet: 'validation' } }, assignments] });
if (base.data.evalSet !== 'validation') throw new Error('validation runs must evaluate on data.evalSet=validation');
const log = (line: string) => process.stderr.write(line + '\n');
const label = (patch: unknown) => JSON.stringify(patch).replace(/"/g, '');
const pct = (v: number) => (100 * v).toFixed(1);

/** A candidate's numbers at one stage, pooled over the seeds. */
interface Pooled {
  name: string;
  patch: unknown;
  stage: Stage;
  pass1: string;
  classic: string;
  depot: string;
  /** Pass@1 of each seed, in --seeds order. */
  perSeed: string[];
  probe: number | null;
  knowledge: number | null;
  score: CandidateScore;
  all: TaskMatrix;
  knowledgeMatrix: TaskMatrix | null;
}

const meanOf = (xs: Array<number | undefined>): number | null =>
  xs.every((x): x is number => x !== undefined) ? xs.reduce((a, b) => a + b, 0) / xs.length : null;

function pool(runs: RunFolder[], name: string, patch: unknown, stage: Stage): Pooled {
  const results = stageResults(runs, stage);
  const missing = results.tasks.findIndex((t) => !t);
  if (missing >= 0) throw new Error(`${runs[missing]!.dir}: no ${stage} evaluation results`);
  const { classic, depot } = results;
  const all = results.all!;
  const probe = meanOf(results.probes.map((p) => p?.nll));
  const knowledge = meanOf(results.knowledges.map((k) => k?.nll));
  const allIv = rateInterval(all);
  const depotIv = depot && rateInterval(depot);
  return {
    name,
    patch,
    stage,
    pass1: formatInterval(allIv, true),
    classic: formatInterval(classic && rateInterval(classic), true),
    depot: formatInterval(depotIv, true),
    perSeed: results.tasks.map((ts) => pct(ts!.reduce((a, r) => a + r.correct, 0) / ts!.length)),
    probe,
    knowledge,
    score: {
      all: allIv.estimate,
      depot: depotIv?.estimate ?? 0,
      probe: probe ?? Infinity,
      knowledge: knowledge ?? Infinity,
    },
    all,
    knowledgeMatrix: results.knowledge,
  };
}

async function candidate(
  seed: number,
  name: string,
  patch: unknown,
  from: RunFolder | null,
  withGrpo: boolean,
): Promise<RunFolder> {
  const config: PipelineConfig = validateConfig(
    mergeConfig(mergeConfig(structuredClone(base), patch), { seed }),
    `candidate ${name}, seed ${seed}`,
  );
  const run = new RunFolder(join(out, `seed-${seed}`, name));
  if (!run.exists()) run.writeConfig(config);
  // The same data settings make the same data (deterministic by seed): copy it rather than run the sandbox again.
  const sameData = from && JSON.stringify(from.readConfig().data) === JSON.stringify(config.data);
  if (from && sameData && !run.isDone('data')) {
    cpSync(from.dataDir, run.dataDir, { recursive: true });
    run.markDone('data', { seconds: 0, copiedFrom: from.dataDir });
  }
  if (withGrpo && from && !run.isDone('mol')) {
    cpSync(from.molDir, run.molDir, { recursive: true });
    run.markDone('mol', { seconds: 0, copiedFrom: from.molDir });
  }
  for (const phase of withGrpo ? (['grpo'] as const) : (['data', 'mol'] as const)) {
    log(`validate: seed ${seed} ${name} ${phase}`);
    await runPhase(run, config, phase, { progress: 'lines', log });
  }
  // Base is evaluated once per seed, in the first candidate: the validation tasks and the sampling are the same for all.
  const stages: Stage[] = withGrpo ? ['grpo'] : from ? ['mol'] : ['base', 'mol'];
  const todo = stages.filter((s) => !existsSync(stageReportPath(run, s)));
  if (todo.length) await runEval(run, config, { stages: todo, progress: 'lines' });
  return run;
}

mkdirSync(out, { recursive: true });
const firstOfSeed = new Map<number, RunFolder>();
const molRuns: Array<{ runs: RunFolder[]; pooled: Pooled }> = [];
for (const [i, patch] of molCandidates.entries()) {
  const runs: RunFolder[] = [];
  for (const seed of seeds) {
    const run = await candidate(seed, `mol-${i}`, patch, firstOfSeed.get(seed) ?? null, false);
    if (!firstOfSeed.has(seed)) firstOfSeed.set(seed, run);
    runs.push(run);
  }
  molRuns.push({ runs, pooled: pool(runs, `mol-${i}`, patch, 'mol') });
}
const baseRow = pool(molRuns[0]!.runs, 'base', {}, 'base');
const baseProbe = baseRow.score.probe;
const probeLimit = Number.isFinite(baseProbe) ? baseProbe * (1 + probeTolerance) : Infinity;
const eligible = molRuns.filter((r) => r.pooled.score.probe <= probeLimit);
const excluded = molRuns.filter((r) => !eligible.includes(r)).map((r) => r.pooled.name);
const molPool = eligible.length ? eligible : molRuns;
const bestMol =
  molPool[
    bestIndex(
      molPool.map((r) => r.pooled.score),
      ['depot', 'knowledge', 'all', 'probe'],
    )
  ]!;
const grpoRows: Pooled[] = [];
for (const [i, patch] of grpoCandidates.entries()) {
  const merged = mergeConfig(structuredClone(bestMol.pooled.patch ?? {}), patch);
  const runs: RunFolder[] = [];
  for (const [k, seed] of seeds.entries())
    runs.push(await candidate(seed, `grpo-${i}`, merged, bestMol.runs[k]!, true));
  grpoRows.push(pool(runs, `grpo-${i}`, patch, 'grpo'));
}
const bestGrpo =
  grpoRows[
    bestIndex(
      grpoRows.map((r) => r.score),
      ['all', 'depot', 'probe'],
    )
  ]!;

// Paired differences from the stage's choice, over the same tasks (or depot answers) and seeds.
const versus = (row: Pooled, chosen: Pooled | null) => {
  if (!chosen) return { pass1: '–', knowledge: '–' };
  if (row === chosen) return { pass1: 'chosen', knowledge: 'chosen' };
  return {
    pass1: formatDifference(pairedDifference(row.all, chosen.all), true),
    knowledge:
      row.knowledgeMatrix && chosen.knowledgeMatrix
        ? formatDifference(pairedDifference(row.knowledgeMatrix, chosen.knowledgeMatrix), false)
        : '–',
  };
};
const rows: Array<Pooled & { versus: { pass1: string; knowledge: string } }> = [
  { ...baseRow, versus: versus(baseRow, null) },
  ...molRuns.map((r) => ({ ...r.pooled, versus: versus(r.pooled, bestMol.pooled) })),
  ...grpoRows.map((r) => ({ ...r, versus: versus(r, bestGrpo) })),
];
// How far the GRPO choice is from the nearest other candidate: a choice inside the noise says so.
const grpoOthers = grpoRows.filter((r) => r !== bestGrpo);
const runnerUp = grpoOthers.length
  ? grpoOthers[
      bestIndex(
        grpoOthers.map((r) => r.score),
        ['all', 'depot', 'probe'],
      )
    ]!
  : null;
const runnerUpGap = runnerUp && pairedDifference(bestGrpo.all, runnerUp.all);
const molOthers = molPool.filter((r) => r !== bestMol);
const molRunnerUp = molOthers.length
  ? molOthers[
      bestIndex(
        molOthers.map((r) => r.pooled.score),
        ['depot', 'knowledge', 'all', 'probe'],
      )
    ]!.pooled
  : null;
const molGap =
  molRunnerUp?.knowledgeMatrix && bestMol.pooled.knowledgeMatrix
    ? pairedDifference(bestMol.pooled.knowledgeMatrix, molRunnerUp.knowledgeMatrix)
    : null;
const resolvedWords = (d: { resolved: boolean } | null) =>
  d ? (d.resolved ? 'resolved' : 'not resolved: the two are not told apart') : '';

const md = [
  '# Hyperparameters chosen on the validation tasks',
  '',
  `Validation set: ${base.data.evalTasks} one-step tasks (data.evalSet 'validation', task seeds disjoint from the evaluation set), each candidate trained and evaluated with seeds ${seeds.join(', ')} (disjoint from the evaluation seeds ${evaluationSeeds.join(', ')}); every other setting at its default (${JSON.stringify(values.set ?? [])} over the defaults). Pass@1 in %, pooled over the seeds (each task's mean over seeds; 95% interval: bootstrap over tasks), and per seed; probe: held-out NLL per token, mean over seeds. The last two columns: paired differences (tasks and seeds paired) from the stage's choice; bold where the interval excludes 0.`,
  '',
  '| run | patch | stage | pass@1 | per seed | classic kinds | depot kinds | probe NLL | depot answer NLL | pass@1 vs chosen | depot answer NLL vs chosen |',
  '|---|---|---|---:|---|---:|---:|---:|---:|---:|---:|',
  ...rows.map(
    (r) =>
      `| ${r.name} | \`${label(r.patch)}\` | ${r.stage} | ${r.pass1} | ${r.perSeed.join(', ')} | ${r.classic} | ${r.depot} | ${r.probe === null ? '–' : r.probe.toFixed(3)} | ${r.knowledge === null ? '–' : r.knowledge.toFixed(3)} | ${r.versus.pass1} | ${r.versus.knowledge} |`,
  ),
  '',
  `Chosen MoL: ${bestMol.pooled.name} \`${label(bestMol.pooled.patch)}\` (among the candidates whose probe NLL is at most ${(100 * probeTolerance).toFixed(0)}% above the base model's${Number.isFinite(probeLimit) ? ` (<= ${probeLimit.toFixed(3)})` : ''}${excluded.length ? `, which leaves out ${excluded.join(', ')}` : ''}${eligible.length ? '' : ': none is, so among all'}: the highest depot pass@1 after MoL; ties: the lower depot answer NLL, then overall pass@1, then the lower probe NLL)${molRunnerUp && molGap ? `; its depot answer NLL against the next candidate's, ${molRunnerUp.name}: ${formatDifference(molGap, false)}, ${resolvedWords(molGap)}` : ''}.`,
  '',
  `Chosen GRPO (Dr.GRPO from that adapter): ${bestGrpo.name} \`${label(bestGrpo.patch)}\` (the highest overall pass@1)${runnerUp && runnerUpGap ? `; against the next candidate, ${runnerUp.name}: ${formatDifference(runnerUpGap, true)} points, ${resolvedWords(runnerUpGap)}` : ''}.`,
  '',
].join('\n');
writeFileAtomicSync(join(out, 'validation.md'), md);
/** A model inside this repository as a path from its root (the summary is committed); any other as given. */
function repositoryPath(model: string): string {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  const inside = relative(root, model);
  return inside.startsWith('..') || isAbsolute(inside) ? model : inside;
}
writeFileAtomicSync(
  join(out, 'validation.json'),
  JSON.stringify(
    {
      base: { ...base, model: repositoryPath(base.model) },
      seeds,
      evaluationSeeds,
      rows: rows.map(({ all: _all, knowledgeMatrix: _knowledge, ...row }) => row),
      probeTolerance,
      excluded,
      chosen: { mol: bestMol.pooled.patch, grpo: bestGrpo.patch },
      gaps: { mol: molGap, grpo: runnerUpGap },
    },
    null,
    2,
  ) + '\n',
);
console.log(md);
