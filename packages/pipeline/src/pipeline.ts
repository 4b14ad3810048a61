/**
 * The whole pipeline over one run folder: data -> mol -> grpo -> eval ->
 * report. A phase recorded in state.json is skipped; one that is not runs
 * (again), resuming from its own checkpoints, so an interrupted run goes on
 * where it stopped when started again on the same folder.
 */
import { isDeepStrictEqual } from 'node:util';
import { setBackend } from '@molrl/tensor';
import { ConfigError, type PipelineConfig } from './config.js';
import { runData } from './phases/data.js';
import { runEval } from './phases/eval.js';
import { runGrpo } from './phases/grpo.js';
import { runMol, type ProgressMode } from './phases/mol.js';
import { writeRunReport } from './report/run-report.js';
import { PHASES, RunFolder, type Phase } from './run-folder.js';

export interface PhaseOptions {
  progress?: ProgressMode;
  /** Run the phase even when state.json says it finished (later phases are then forgotten too). */
  force?: boolean;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

/**
 * Open a run folder with a config: a new folder takes it; an existing one
 * keeps its own, and a different config for it is an error naming the fields.
 */
export function openRun(dir: string, config: PipelineConfig | null): { run: RunFolder; config: PipelineConfig } {
  const run = new RunFolder(dir);
  if (!run.exists()) {
    if (!config) throw new ConfigError(`${run.configFile}: no run here`);
    run.writeConfig(config);
    return { run, config };
  }
  const existing = run.readConfig();
  if (config && !isDeepStrictEqual(existing, config)) {
    const diff: string[] = [];
    const walk = (a: unknown, b: unknown, path: string) => {
      if (a && b && typeof a === 'object' && typeof b === 'object') {
        for (const k of new Set([...Object.keys(a), ...Object.keys(b)]))
          walk((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k);
      } else if (!isDeepStrictEqual(a, b))
        diff.push(`${path} (run: ${JSON.stringify(a)}, given: ${JSON.stringify(b)})`);
    };
    walk(existing, config, '');
    throw new ConfigError(
      `${run.configFile}: this run was made with another configuration: ${diff.join('; ')}. Resume it without those options, or use a new --out folder.`,
    );
  }
  return { run, config: existing };
}

export async function runPhase(
  run: RunFolder,
  config: PipelineConfig,
  phase: Phase,
  options: PhaseOptions = {},
): Promise<void> {
  const log = options.log ?? ((line: string) => process.stderr.write(line + '\n'));
  if (run.isDone(phase) && !options.force) {
    log(`${phase}: done already (${run.dir}/state.json)`);
    return;
  }
  // eval needs only the data: it evaluates whichever stages have adapters.
  const needs: Phase[] =
    phase === 'mol' ? ['data'] : phase === 'grpo' ? ['data', 'mol'] : phase === 'eval' ? ['data'] : [];
  for (const before of needs) run.requireDone(before, phase);
  if (options.force) run.invalidateFrom(phase);
  await setBackend('cpu');
  const started = performance.now();
  log(`${phase}: starting`);
  let record: Record<string, unknown>;
  if (phase === 'data') record = { ...(await runData(run, config, { mode: options.progress ?? 'auto' })) };
  else if (phase === 'mol') record = { ...(await runMol(run, config, options.progress)) };
  else if (phase === 'grpo') record = { ...(await runGrpo(run, config, options.progress)) };
  else {
    const reports = await runEval(run, config, {
      progress: options.progress ?? 'auto',
      ...(options.signal ? { signal: options.signal } : {}),
    });
    record = { stages: Object.keys(reports) };
  }
  const seconds = (performance.now() - started) / 1000;
  run.markDone(phase, { seconds, ...record });
  writeRunReport(run, config);
  log(`${phase}: done in ${seconds.toFixed(0)} s`);
}

export async function runPipeline(run: RunFolder, config: PipelineConfig, options: PhaseOptions = {}): Promise<string> {
  for (const phase of PHASES) await runPhase(run, config, phase, { ...options, force: false });
  return writeRunReport(run, config);
}
