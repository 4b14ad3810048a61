/**
 * Chooses MoL and GRPO hyperparameters on the validation tasks (data.evalSet
 * 'validation': task seeds disjoint from the evaluation set), never on the
 * evaluation tasks. Two stages, each a list of candidate config patches:
 *
 *  1. MoL: every candidate trains MoL from the same data and is evaluated
 *     (base and +MoL) on the validation tasks; among those whose general-ability
 *     probe NLL stays within --probe-tolerance (default 0.25: 25%) of the base
 *     model's, the best is the highest +MoL pass@1 on the depot kinds (what MoL
 *     is for), ties to the lower depot answer NLL (the knowledge probe), the
 *     overall pass@1, the probe NLL;
 *  2. GRPO: every candidate runs Dr.GRPO from the chosen MoL adapter and is
 *     evaluated; the best is the highest overall pass@1.
 *
 * Each candidate is a run folder under --out (resumable: start the same
 * command again); the summary (every candidate's validation numbers with
 * intervals, and the choice) goes to <out>/validation.md and .json.
 *
 *   node --import tsx --conditions=@molrl/source scripts/validate-hyperparameters.ts --out DIR \
 *     --mol '[{"mol":{"learningRate":2e-3}},{"mol":{"learningRate":5e-3}}]' \
 *     --grpo '[{"grpo":{"learningRate":1e-3}}]' [--set section.field=value ...]
 */
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writeFileAtomicSync } from '@molrl/progress';
import { mergeConfig, parseAssignments, resolveConfig, validateConfig, type PipelineConfig } from '../src/config.js';
import { runEval, stageReportPath } from '../src/phases/eval.js';
import { runPhase } from '../src/pipeline.js';
import {
  formatInterval,
  rateInterval,
  readKnowledge,
  readProbe,
  readTaskResults,
  taskMatrix,
} from '../src/report/intervals.js';
import { RunFolder } from '../src/run-folder.js';
import type { Stage } from '../src/load.js';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    mol: { type: 'string', default: '[{}]' },
    grpo: { type: 'string', default: '[{}]' },
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
const base = resolveConfig({
  overrides: [{ data: { evalSet: 'validation' } }, parseAssignments(values.set ?? [])],
});
if (base.data.evalSet !== 'validation') throw new Error('validation runs must evaluate on data.evalSet=validation');
const log = (line: string) => process.stderr.write(line + '\n');
const label = (patch: unknown) => JSON.stringify(patch).replace(/"/g, '');

interface Summary {
  name: string;
  patch: unknown;
  stage: Stage;
  pass1: string;
  classic: string;
  depot: string;
  probe: number | null;
  knowledge: number | null;
  score: { depot: number; knowledge: number; all: number; probe: number };
}

function summarize(run: RunFolder, name: string, patch: unknown, stage: Stage): Summary {
  const tasks = readTaskResults(run, stage)!;
  const all = taskMatrix([tasks], (r) => r.correct)!;
  const classic = taskMatrix(
    [tasks],
    (r) => r.correct,
    (r) => r.library === undefined,
  );
  const depot = taskMatrix(
    [tasks],
    (r) => r.correct,
    (r) => r.library === 'depot',
  );
  const probe = readProbe(run, stage);
  const knowledge = readKnowledge(run, stage);
  const allIv = rateInterval(all);
  const depotIv = depot && rateInterval(depot);
  return {
    name,
    patch,
    stage,
    pass1: formatInterval(allIv, true),
    classic: formatInterval(classic && rateInterval(classic), true),
    depot: formatInterval(depotIv, true),
    probe: probe?.nll ?? null,
    knowledge: knowledge?.nll ?? null,
    score: {
      depot: depotIv?.estimate ?? 0,
      knowledge: knowledge?.nll ?? Infinity,
      all: allIv.estimate,
      probe: probe?.nll ?? Infinity,
    },
  };
}

async function candidate(name: string, patch: unknown, from: RunFolder | null, withGrpo: boolean): Promise<RunFolder> {
  const config: PipelineConfig = validateConfig(mergeConfig(structuredClone(base), patch), `candidate ${name}`);
  const run = new RunFolder(join(out, name));
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
    log(`validate: ${name} ${phase}`);
    await runPhase(run, config, phase, { progress: 'lines', log });
  }
  // Base is evaluated once, in the first candidate: the validation tasks and the sampling are the same for all.
  const stages: Stage[] = withGrpo ? ['grpo'] : from ? ['mol'] : ['base', 'mol'];
  const todo = stages.filter((s) => !existsSync(stageReportPath(run, s)));
  if (todo.length) await runEval(run, config, { stages: todo, progress: 'lines' });
  return run;
}

mkdirSync(out, { recursive: true });
const rows: Summary[] = [];
let first: RunFolder | null = null;
const molRuns: Array<{ run: RunFolder; summary: Summary }> = [];
for (const [i, patch] of molCandidates.entries()) {
  const run = await candidate(`mol-${i}`, patch, first, false);
  if (!first) {
    first = run;
    rows.push(summarize(run, 'base', {}, 'base'));
  }
  const summary = summarize(run, `mol-${i}`, patch, 'mol');
  rows.push(summary);
  molRuns.push({ run, summary });
}
const better = (a: Summary['score'], b: Summary['score'], keys: Array<keyof Summary['score']>) => {
  for (const k of keys) {
    // NLLs: lower is better; pass rates: higher.
    const d = k === 'probe' || k === 'knowledge' ? b[k] - a[k] : a[k] - b[k];
    if (Math.abs(d) > 1e-12) return d > 0;
  }
  return false;
};
const baseProbe = rows[0]!.score.probe;
const probeLimit = Number.isFinite(baseProbe) ? baseProbe * (1 + probeTolerance) : Infinity;
const eligible = molRuns.filter((r) => r.summary.score.probe <= probeLimit);
const excluded = molRuns.filter((r) => !eligible.includes(r)).map((r) => r.summary.name);
const bestMol = (eligible.length ? eligible : molRuns).reduce((best, r) =>
  better(r.summary.score, best.summary.score, ['depot', 'knowledge', 'all', 'probe']) ? r : best,
);
const grpoRuns: Array<{ summary: Summary }> = [];
for (const [i, patch] of grpoCandidates.entries()) {
  const merged = mergeConfig(structuredClone(bestMol.summary.patch ?? {}), patch);
  const run = await candidate(`grpo-${i}`, merged, bestMol.run, true);
  const summary = summarize(run, `grpo-${i}`, patch, 'grpo');
  rows.push(summary);
  grpoRuns.push({ summary });
}
const bestGrpo = grpoRuns.reduce((best, r) =>
  better(r.summary.score, best.summary.score, ['all', 'depot', 'probe']) ? r : best,
);

const md = [
  '# Hyperparameters chosen on the validation tasks',
  '',
  `Validation set: ${base.data.evalTasks} one-step tasks (data.evalSet 'validation', task seeds disjoint from the evaluation set); seed ${base.seed}; every other setting at its default (${JSON.stringify(values.set ?? [])} over the defaults). Pass@1 in %, with 95% intervals (Wilson); probe: held-out NLL per token.`,
  '',
  '| run | patch | stage | pass@1 | classic kinds | depot kinds | probe NLL | depot answer NLL |',
  '|---|---|---|---:|---:|---:|---:|---:|',
  ...rows.map(
    (r) =>
      `| ${r.name} | \`${label(r.patch)}\` | ${r.stage} | ${r.pass1} | ${r.classic} | ${r.depot} | ${r.probe === null ? '–' : r.probe.toFixed(3)} | ${r.knowledge === null ? '–' : r.knowledge.toFixed(3)} |`,
  ),
  '',
  `Chosen MoL: ${bestMol.summary.name} \`${label(bestMol.summary.patch)}\` (among the candidates whose probe NLL is at most ${(100 * probeTolerance).toFixed(0)}% above the base model's${Number.isFinite(probeLimit) ? ` (<= ${probeLimit.toFixed(3)})` : ''}${excluded.length ? `, which leaves out ${excluded.join(', ')}` : ''}${eligible.length ? '' : ': none is, so among all'}: the highest depot pass@1 after MoL; ties: the lower depot answer NLL, then overall pass@1, then the lower probe NLL). Chosen GRPO (Dr.GRPO from that adapter): ${bestGrpo.summary.name} \`${label(bestGrpo.summary.patch)}\` (the highest overall pass@1).`,
  '',
].join('\n');
writeFileAtomicSync(join(out, 'validation.md'), md);
writeFileAtomicSync(
  join(out, 'validation.json'),
  JSON.stringify(
    {
      base,
      rows,
      probeTolerance,
      excluded,
      chosen: { mol: bestMol.summary.patch, grpo: bestGrpo.summary.patch },
    },
    null,
    2,
  ) + '\n',
);
console.log(md);
