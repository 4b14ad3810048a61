/**
 * The whole pipeline over one run folder: data -> mol -> grpo -> eval ->
 * report. A phase recorded in state.json is skipped; one that is not runs
 * (again), resuming from its own checkpoints, so an interrupted run goes on
 * where it stopped when started again on the same folder. The base model is
 * checked before the first phase runs, and an `AbortSignal` (Ctrl-C) stops a
 * run at the next safe point: between micro-batches and steps of training,
 * between generated tokens, never inside a checkpoint being written.
 */
import { relative } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Sandbox } from '@molrl/sandbox-reward';
import { setBackend, type getBackend } from '@molrl/tensor';
import { parseBackend, useBackend } from './backend.js';
import { ConfigError, configDifferences, type PipelineConfig } from './config.js';
import { checkLoraRank, checkModel, modelProblem } from './model-check.js';
import { runData } from './phases/data.js';
import { runEval } from './phases/eval.js';
import { runGrpo } from './phases/grpo.js';
import { runMol } from './phases/mol.js';
import type { PhaseRunOptions } from './phases/run-options.js';
import { PhaseSandbox } from './phase-sandbox.js';
import { writeRunReport } from './report/run-report.js';
import { PHASES, RunFolder, type Phase } from './run-folder.js';

/** `runPhase` and `runPipeline`: the phase functions' options, and what the run around them takes. */
export interface PhaseOptions extends PhaseRunOptions {
  /** Run the phase even when state.json says it finished (later phases are then forgotten too). */
  force?: boolean;
  log?: (line: string) => void;
  /**
   * A ready backend instance for the model phases instead of the one `config.backend`
   * names (e.g. a wrapper counting device reads, or a device shared with other work).
   * Its `name` must be that of `config.backend`.
   */
  backend?: BackendInstance;
  /**
   * A running environment sandbox (`createEnvironmentSandbox`) for the grpo and eval
   * phases to score completions in; the caller closes it. Without it `runPhase` makes
   * and closes one per phase, and `runPipeline` one for the whole run.
   */
  sandbox?: Sandbox;
}

type BackendInstance = ReturnType<typeof getBackend>;

/** The phases that load the base model. */
const MODEL_PHASES: readonly Phase[] = ['mol', 'grpo', 'eval'];

/**
 * Open a run folder with a config: a new folder takes it; an existing one
 * keeps its own, and a different config for it is an error naming the fields.
 * The backend is the exception: it says where the run computes, not what, so
 * a config that differs only there moves the run to that backend (config.json
 * records it; state.json keeps the backend each finished phase ran on).
 */
export function openRun(
  dir: string,
  config: PipelineConfig | null,
  options: { log?: (line: string) => void } = {},
): { run: RunFolder; config: PipelineConfig } {
  const run = new RunFolder(dir);
  if (!run.exists()) {
    if (!config) throw new ConfigError(`${run.configFile}: no run here`);
    run.writeConfig(config);
    return { run, config };
  }
  const existing = run.readConfig();
  if (!config) return { run, config: existing };
  const given = { ...config, backend: existing.backend };
  const diff = configDifferences(existing, given);
  if (diff.length) {
    throw new ConfigError(
      `${run.configFile}: this run was made with another configuration: ${diff.join('; ')}. Resume it without those options, or use a new --out folder.`,
    );
  }
  if (config.backend === existing.backend) return { run, config: existing };
  options.log?.(
    `${run.configFile}: the run moves from backend '${existing.backend}' to '${config.backend}' (finished phases keep their results)`,
  );
  const moved = { ...existing, backend: config.backend };
  run.writeConfig(moved);
  return { run, config: moved };
}

/**
 * `openRun` for the CLI, which also keeps bad models out of run folders: a new
 * folder's model is checked before its config.json is written, and a folder
 * whose recorded model cannot be loaded takes the model given (when that is
 * the only difference), forgetting the phases that used the old one.
 */
export async function prepareRun(
  dir: string,
  config: PipelineConfig | null,
  options: { log?: (line: string) => void; modelSource?: string } = {},
): Promise<{ run: RunFolder; config: PipelineConfig }> {
  const run = new RunFolder(dir);
  const source = options.modelSource ?? 'model';
  if (!run.exists()) {
    if (config) {
      // Before config.json is written: a run recorded with a bad rank could only be resumed with it.
      checkLoraRank(await checkModel(config.model, source), config.lora.r, 'config');
    }
    return openRun(dir, config, options);
  }
  const existing = run.readConfig();
  if (
    config &&
    config.model !== existing.model &&
    isDeepStrictEqual({ ...config, model: existing.model, backend: existing.backend }, existing)
  ) {
    const problem = await modelProblem(existing.model);
    if (problem) {
      await checkModel(config.model, source);
      const used = MODEL_PHASES.filter((p) => run.isDone(p));
      // Unfinished phases too: their checkpoints and cached samples came from the old model.
      run.invalidateFrom('mol');
      run.writeConfig(config);
      options.log?.(
        `${run.configFile}: model '${existing.model}' cannot be loaded (${problem}); the run now uses '${config.model}'` +
          (used.length ? ` and runs ${used.join(', ')} again` : ''),
      );
      return { run, config };
    }
  }
  return openRun(dir, config, options);
}

/** Settles as `work` does, or rejects with the signal's reason as soon as it fires. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  // What `work` does after an abort is left behind; its files are written whole or not at all.
  work.catch(() => undefined);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Make the run's backend current: `options.backend` when given (checked against the config), else the one config.backend names. */
async function selectBackend(run: RunFolder, config: PipelineConfig, options: PhaseOptions): Promise<void> {
  const where = `${run.configFile}: backend`;
  if (!options.backend) {
    try {
      await useBackend(config.backend, where);
    } catch (error) {
      // The run folder records the backend: say how to go on elsewhere.
      const hint = config.backend === 'cpu' ? '' : `; \`--backend cpu\` moves the run to the cpu`;
      throw new ConfigError(`${(error as Error).message}${hint}`, { cause: error });
    }
    return;
  }
  const { name } = parseBackend(config.backend, where);
  if (options.backend.name !== name)
    throw new ConfigError(
      `options.backend is a '${options.backend.name}' backend, but ${where} is '${config.backend}'`,
    );
  await setBackend(options.backend);
}

export async function runPhase(
  run: RunFolder,
  config: PipelineConfig,
  phase: Phase,
  options: PhaseOptions = {},
): Promise<void> {
  await runPhaseOnce(run, config, phase, options, false);
}

async function runPhaseOnce(
  run: RunFolder,
  config: PipelineConfig,
  phase: Phase,
  options: PhaseOptions,
  modelChecked: boolean,
): Promise<void> {
  const log = options.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const { signal } = options;
  if (run.isDone(phase) && !options.force) {
    log(`${phase}: done already (${run.dir}/state.json)`);
    return;
  }
  signal?.throwIfAborted();
  // eval needs only the data: it evaluates whichever stages have adapters.
  const needs: Phase[] =
    phase === 'mol' ? ['data'] : phase === 'grpo' ? ['data', 'mol'] : phase === 'eval' ? ['data'] : [];
  for (const before of needs) run.requireDone(before, phase);
  if (MODEL_PHASES.includes(phase) && !modelChecked) {
    checkLoraRank(await checkModel(config.model, `${run.configFile}: model`), config.lora.r, run.configFile);
  }
  if (options.force) {
    const removed = run.invalidateFrom(phase);
    if (removed.length) log(`${phase}: --force: removed ${removed.map((d) => relative(run.dir, d) + '/').join(', ')}`);
  }
  if (MODEL_PHASES.includes(phase)) await selectBackend(run, config, options);
  const started = performance.now();
  log(`${phase}: starting`);
  const progress = options.progress ?? 'auto';
  let record: Record<string, unknown>;
  const work: PhaseRunOptions = {
    progress,
    ...(signal ? { signal } : {}),
    ...(options.sandbox ? { sandbox: options.sandbox } : {}),
  };
  // The data phase has no safe points of its own: it stops at once, leaving nothing half-written.
  if (phase === 'data') record = { ...(await untilAborted(runData(run, config, work), signal)) };
  else if (phase === 'mol') record = { ...(await runMol(run, config, work)) };
  else if (phase === 'grpo') record = { ...(await runGrpo(run, config, work)) };
  else record = { stages: Object.keys(await runEval(run, config, work)) };
  const seconds = (performance.now() - started) / 1000;
  run.markDone(phase, { seconds, ...(MODEL_PHASES.includes(phase) ? { backend: config.backend } : {}), ...record });
  writeRunReport(run, config);
  log(`${phase}: done in ${seconds.toFixed(0)} s`);
}

export async function runPipeline(run: RunFolder, config: PipelineConfig, options: PhaseOptions = {}): Promise<string> {
  // A bad model is found before the data phase, not after it.
  const checked = MODEL_PHASES.some((p) => !run.isDone(p));
  if (checked) {
    checkLoraRank(await checkModel(config.model, `${run.configFile}: model`), config.lora.r, run.configFile);
    // A backend that cannot start here (no WebGPU adapter) fails the run before the data phase too.
    await selectBackend(run, config, options);
  }
  // One sandbox for grpo and eval, started once the data phase is done so that its
  // workers load while MoL trains (not while the data phase runs its own).
  const shared = options.sandbox || (run.isDone('grpo') && run.isDone('eval')) ? null : new PhaseSandbox();
  try {
    for (const phase of PHASES) {
      options.signal?.throwIfAborted();
      const sandbox = shared && phase !== 'data' ? await shared.get() : options.sandbox;
      await runPhaseOnce(run, config, phase, { ...options, force: false, ...(sandbox ? { sandbox } : {}) }, checked);
    }
  } finally {
    await shared?.close();
  }
  return writeRunReport(run, config);
}
