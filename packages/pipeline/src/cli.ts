/**
 * molrl: the MoL-RL pipeline from the command line.
 *
 *   molrl run    [--out DIR] [options]   data -> mol -> grpo -> eval -> report.md (resumes DIR)
 *   molrl data|mol|grpo|eval --out DIR [options]   one phase on a run folder
 *   molrl report --out DIR               write report.md and the plots again
 *   molrl ablate [--out DIR] [--seeds 0,1,2] [options]   the paper's comparisons, small
 *
 * Options: --config FILE (JSON, partial), --model DIR|HUB_ID, --seed N,
 * --backend cpu|webgpu|gpujs[:mode], --set section.field=value (repeatable),
 * --progress auto|bar|lines|silent, --force (run a finished phase again).
 */
import { parseArgs } from 'node:util';
import { isProgressMode } from '@molrl/progress';
import { backendProblem } from './backend.js';
import { ConfigError, parseAssignments, readConfigFile, resolveConfig, type PipelineConfig } from './config.js';
import { prepareRun, runPhase, runPipeline } from './pipeline.js';
import { writeRunReport } from './report/run-report.js';
import { newRunDir, PHASES, RunFolder, type Phase } from './run-folder.js';
import { runAblation } from './ablate.js';

export const USAGE = `usage: molrl <command> [options]

commands:
  run      the whole pipeline (data, mol, grpo, eval, report) into a run folder; resumes an existing one
  data     generate the environment's traces and tasks
  mol      MoL continual training (LoRA)
  grpo     GRPO / Dr.GRPO with the sandbox reward
  eval     pass@1 of base, +MoL and +MoL+GRPO
  report   write report.md and plots/ again
  ablate   Base/+MoL/+CE/+CE_NoKL, GRPO vs Dr.GRPO, multi-stage vs binary reward, MoL checkpoints vs RL reward

options:
  --out DIR            run folder (default runs/<time> for run and ablate)
  --config FILE        JSON config (partial; fields override the defaults)
  --model DIR|ID       base model: a local folder or a Hub repo id (default: the embedded tiny model)
  --seed N             seed of the run
  --backend NAME       where the model phases compute: cpu (default), webgpu, gpujs (gpu.js's webasm mode)
                       or gpujs:cpu, gpujs:webasm, gpujs:webgpu; on an existing run folder it moves the run there
  --set a.b=value      override one config field (repeatable), e.g. --set grpo.maxSteps=4
  --seeds 0,1,2        ablate: seeds to repeat each variant with (default 0,1,2)
  --progress MODE      auto (bar on a terminal, lines otherwise), bar, lines, silent
  --force              run the phase again even if it finished
  -h, --help           this text
`;

export interface CliResult {
  code: number;
}

export interface MainOptions {
  /** Stops `run` and the phase commands at their next safe point (Ctrl-C), rejecting with its reason. */
  signal?: AbortSignal;
}

/** Ctrl-C stopped the command; the run folder resumes. */
export class InterruptedError extends Error {
  override name = 'InterruptedError';
}

const OPTIONS = {
  out: { type: 'string' },
  config: { type: 'string' },
  model: { type: 'string' },
  seed: { type: 'string' },
  backend: { type: 'string' },
  set: { type: 'string', multiple: true },
  seeds: { type: 'string' },
  progress: { type: 'string' },
  force: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parse(argv: string[]) {
  return parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
}

/** The commands that stop at safe points on Ctrl-C (the others stop at once: they write nothing half-way). */
const STOPS_AT_SAFE_POINTS = new Set<string>(['run', 'ablate', ...PHASES]);

/** Whether `argv`'s command stops at a safe point on a first Ctrl-C. */
export function stopsAtSafePoints(argv: string[]): boolean {
  try {
    return STOPS_AT_SAFE_POINTS.has(parse(argv).positionals[0] ?? '');
  } catch {
    return false;
  }
}

function buildConfig(values: Record<string, unknown>): PipelineConfig | null {
  const overrides: unknown[] = [];
  if (typeof values.model === 'string') overrides.push({ model: values.model });
  if (typeof values.backend === 'string') {
    const problem = backendProblem(values.backend);
    if (problem) throw new ConfigError(`--backend ${problem}, got '${values.backend}'`);
    overrides.push({ backend: values.backend });
  }
  if (typeof values.seed === 'string') {
    const seed = Number(values.seed);
    if (!Number.isInteger(seed) || seed < 0)
      throw new ConfigError(`--seed: expected an integer >= 0, got '${values.seed}'`);
    overrides.push({ seed });
  }
  const sets = (values.set as string[] | undefined) ?? [];
  if (sets.length) overrides.push(parseAssignments(sets));
  const file = values.config as string | undefined;
  if (!file && !overrides.length) return null;
  return resolveConfig({ ...(file ? { file } : {}), overrides });
}

/** Whether `--set backend=...` or the --config file names the backend. */
function backendNamedIn(values: { set?: string[]; config?: string }): boolean {
  if (values.set?.some((a) => a.startsWith('backend='))) return true;
  if (!values.config) return false;
  const file = readConfigFile(values.config);
  return !!file && typeof file === 'object' && Object.hasOwn(file, 'backend');
}

/** The fields --model and --backend set. */
function pick(config: PipelineConfig, values: { model?: string; backend?: string }): Partial<PipelineConfig> {
  return {
    ...(values.model !== undefined ? { model: config.model } : {}),
    ...(values.backend !== undefined ? { backend: config.backend } : {}),
  };
}

export async function main(
  argv: string[],
  log: (line: string) => void = (l) => process.stderr.write(l + '\n'),
  options: MainOptions = {},
): Promise<CliResult> {
  const { values, positionals } = parse(argv);
  const { signal } = options;
  const command = positionals[0];
  if (values.help || !command) {
    process.stdout.write(USAGE);
    return { code: command || values.help ? 0 : 2 };
  }
  const progress = values.progress ?? 'auto';
  if (!isProgressMode(progress))
    throw new ConfigError(`--progress: expected auto, bar, lines or silent, got '${progress}'`);
  const given = buildConfig(values);
  // --model and --backend alone on an existing run keep its configuration and change only themselves
  // (--model points it at another model when its own cannot be loaded; --backend moves it).
  const onlyRunFlags = !values.config && !values.seed && !values.set?.length;
  const backendGiven = values.backend !== undefined || backendNamedIn(values);
  const open = async (out: string) => {
    const folder = new RunFolder(out);
    let config = given;
    if (folder.exists()) {
      const existing = folder.readConfig();
      if (onlyRunFlags) config = given ? { ...existing, ...pick(given, values) } : null;
      // A configuration that does not name a backend resumes on the run's own.
      if (config && !backendGiven) config = { ...config, backend: existing.backend };
    } else config ??= resolveConfig();
    return prepareRun(out, config, { log, modelSource: values.model !== undefined ? '--model' : 'model' });
  };

  if (command === 'ablate') {
    const seeds = (values.seeds ?? '0,1,2').split(',').map((s) => {
      const n = Number(s);
      if (!Number.isInteger(n) || n < 0)
        throw new ConfigError(`--seeds: expected integers >= 0 separated by commas, got '${values.seeds}'`);
      return n;
    });
    const out = values.out ?? newRunDir('runs').replace(/(\d{8}-\d{6})/, 'ablate-$1');
    const md = await runAblation(out, given ?? resolveConfig(), {
      seeds,
      progress,
      log,
      ...(signal ? { signal } : {}),
    });
    process.stdout.write(md);
    return { code: 0 };
  }
  if (command === 'run') {
    const out = values.out ?? newRunDir('runs');
    const { run, config } = await open(out);
    log(`molrl run: ${run.dir}`);
    const md = await runPipeline(run, config, { progress, log, ...(signal ? { signal } : {}) });
    process.stdout.write(md);
    log(`report: ${run.path('report.md')}`);
    return { code: 0 };
  }
  if (command === 'report') {
    if (!values.out) throw new ConfigError('report: --out DIR (the run folder) is required');
    const run = new RunFolder(values.out);
    process.stdout.write(writeRunReport(run, run.readConfig()));
    return { code: 0 };
  }
  if ((PHASES as readonly string[]).includes(command)) {
    if (!values.out) throw new ConfigError(`${command}: --out DIR (the run folder) is required`);
    const { run, config } = await open(values.out);
    await runPhase(run, config, command as Phase, {
      progress,
      log,
      force: !!values.force,
      ...(signal ? { signal } : {}),
    });
    return { code: 0 };
  }
  throw new ConfigError(`unknown command '${command}' (see molrl --help)`);
}

const INTERRUPTED =
  'interrupted: every phase resumes from its last checkpoint; run the same command with the same --out to go on\n';

/**
 * Entry point: exit codes 0 done, 1 error, 2 usage, 130 interrupted (the run
 * folder resumes). A first Ctrl-C stops `run` and the phase commands at the
 * next safe point (a checkpoint being written is finished first); a second
 * one, or the first for other commands, exits at once.
 */
export async function cli(argv = process.argv.slice(2)): Promise<void> {
  const controller = new AbortController();
  const safePoints = stopsAtSafePoints(argv);
  process.on('SIGINT', () => {
    if (controller.signal.aborted || !safePoints) {
      process.stderr.write(`\n${INTERRUPTED}`);
      process.exit(130);
    }
    process.stderr.write('\ninterrupt: stopping at the next safe point (Ctrl-C again to stop at once)\n');
    controller.abort(new InterruptedError('interrupted'));
  });
  try {
    const { code } = await main(argv, undefined, { signal: controller.signal });
    process.exit(code);
  } catch (error) {
    if (controller.signal.aborted) {
      process.stderr.write(INTERRUPTED);
      process.exit(130);
    }
    const e = error as Error;
    // The message names what was wrong; MOLRL_DEBUG=1 adds the stack.
    process.stderr.write(`molrl: ${process.env.MOLRL_DEBUG ? (e.stack ?? e.message) : e.message}\n`);
    process.exit(1);
  }
}
