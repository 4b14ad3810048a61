/**
 * molrl: the MoL-RL pipeline from the command line (`molrl --help`; the
 * commands, their options and their help text are in cli-usage.ts).
 */
import { parseArgs } from 'node:util';
import { isProgressMode } from '@molrl/progress';
import { didYouMean } from '@molrl/train';
import { backendProblem } from './backend.js';
import { ConfigError, UsageError } from './config-error.js';
import { parseAssignments, resolveConfig, SEED_MAX, type PipelineConfig } from './config.js';
import { recordedModel } from './model-check.js';
import { prepareRun, runPhase, runPipeline } from './pipeline.js';
import { writeRunReport } from './report/run-report.js';
import {
  checkFolderPath,
  createFolder,
  newRunDir,
  PHASES,
  removeEmptyFolders,
  RunFolder,
  type Phase,
} from './run-folder.js';
import { lockRunFolder, type RunLock } from './run-lock.js';
import { DEFAULT_ABLATION_SEEDS, runAblation } from './ablate.js';
import { COMMAND_OPTIONS, COMMAND_NAMES, commandUsage, isCommand, USAGE, type OptionName } from './cli-usage.js';

export { USAGE };

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
} as const satisfies Record<OptionName, unknown>;

/** The long options as written on a command line, for "did you mean" hints (a one-letter flag has none to give). */
const LONG_OPTIONS = Object.keys(OPTIONS).map((name) => `--${name}`);

function unknownCommand(command: string, prefix = ''): UsageError {
  return new UsageError(
    `${prefix}unknown command '${command}'${didYouMean(command, COMMAND_NAMES)} (see molrl --help)`,
  );
}

function parse(argv: string[]) {
  return parseArgs({ args: argv, allowPositionals: true, options: OPTIONS, tokens: true });
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

/** A non-negative decimal integer up to `max` (no signs, exponents, hex or blanks), or null. */
function decimalInteger(text: string, max: number): number | null {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  return n <= max ? n : null;
}

/** --seeds: distinct seeds separated by commas (a UsageError names what is wrong). */
export function parseSeeds(text: string): number[] {
  const seeds = text.split(',').map((part) => {
    const seed = decimalInteger(part.trim(), SEED_MAX);
    if (seed === null)
      throw new UsageError(`--seeds: expected integers from 0 to ${SEED_MAX} separated by commas, got '${text}'`);
    return seed;
  });
  const repeated = seeds.find((s, i) => seeds.indexOf(s) !== i);
  if (repeated !== undefined) throw new UsageError(`--seeds: seed ${repeated} is given twice in '${text}'`);
  return seeds;
}

/** The partial configs the flags give (each named for errors), checked as flags: a bad value is a UsageError. */
interface FlagConfig {
  overrides: unknown[];
  names: string[];
}

function flagConfig(values: ParsedValues): FlagConfig {
  const overrides: unknown[] = [];
  const names: string[] = [];
  if (values.model !== undefined) {
    if (values.model === '') throw new UsageError(`--model: expected a folder or a Hub repo id, got ''`);
    overrides.push({ model: recordedModel(values.model) });
    names.push('--model');
  }
  if (values.backend !== undefined) {
    const problem = backendProblem(values.backend);
    if (problem) throw new UsageError(`--backend ${problem}, got '${values.backend}'`);
    overrides.push({ backend: values.backend });
    names.push('--backend');
  }
  if (values.seed !== undefined) {
    const seed = decimalInteger(values.seed, SEED_MAX);
    if (seed === null) throw new UsageError(`--seed: expected an integer from 0 to ${SEED_MAX}, got '${values.seed}'`);
    overrides.push({ seed });
    names.push('--seed');
  }
  // One override per flag, in order, so an error names the flag it is in.
  for (const set of values.set ?? []) {
    // parseAssignments names the flag; a malformed one is its UsageError.
    overrides.push(parseAssignments([set]));
    names.push(`--set ${set}`);
  }
  return { overrides, names };
}

/**
 * The configuration to run with: `base` (an existing run's config.json, or the
 * defaults), then --config, then the flags. Null when a run exists and nothing
 * configures it. A local model is recorded as an absolute path.
 */
function buildConfig(
  file: string | undefined,
  flags: FlagConfig,
  base: PipelineConfig | undefined,
): PipelineConfig | null {
  if (!file && !flags.overrides.length) return base ? null : resolveConfig();
  const config = resolveConfig({
    ...(file ? { file } : {}),
    overrides: flags.overrides,
    overrideNames: flags.names,
    ...(base ? { base } : {}),
  });
  // A model named in the --config file is a path from where molrl runs, as --model is.
  return config.model === base?.model ? config : { ...config, model: recordedModel(config.model) };
}

type ParsedValues = ReturnType<typeof parse>['values'];

/** Usage errors: an option the command does not take, one given twice, extra words, an empty --out. */
function checkUsage(command: string, parsed: ReturnType<typeof parse>): void {
  const allowed = COMMAND_OPTIONS[command];
  if (!allowed) throw unknownCommand(command);
  const seen = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option') continue;
    const name = token.name as OptionName;
    if (!allowed.includes(name))
      throw new UsageError(
        name === 'force' && command === 'run'
          ? `run: --force is for one phase (molrl data|mol|grpo|eval --out DIR --force); run resumes what is there`
          : `${command}: --${name} does not apply (${command} takes ${allowed.map((o) => `--${o}`).join(', ')})`,
      );
    if (seen.has(name) && !('multiple' in OPTIONS[name])) throw new UsageError(`${command}: --${name} is given twice`);
    seen.add(name);
  }
  const extra = parsed.positionals.slice(1);
  if (extra.length) throw new UsageError(`${command}: unexpected argument(s) ${extra.map((a) => `'${a}'`).join(' ')}`);
  if (parsed.values.out === '') throw new UsageError(`${command}: --out: expected a folder, got ''`);
  if (parsed.values.config === '') throw new UsageError(`${command}: --config: expected a config file, got ''`);
  if (parsed.values.out !== undefined) checkFolderPath(parsed.values.out, `${command} --out`);
}

export async function main(
  argv: string[],
  log: (line: string) => void = (l) => process.stderr.write(l + '\n'),
  options: MainOptions = {},
): Promise<CliResult> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    // parseArgs' own messages name the option (missing its value, a value for a switch); an
    // unknown one is said shortly, with the option it most likely meant.
    const unknown = (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION';
    const option = unknown ? /'(-[^']*)'/.exec((error as Error).message)?.[1] : undefined;
    const message =
      option !== undefined
        ? `unknown option '${option}'${option.startsWith('--') ? didYouMean(option, LONG_OPTIONS, (near) => near) : ''}`
        : (error as Error).message;
    throw new UsageError(`${message} (see molrl --help)`, { cause: error });
  }
  const { values, positionals } = parsed;
  const { signal } = options;
  const command = positionals[0];
  if (!command && !values.help) {
    process.stderr.write(USAGE);
    return { code: 2 };
  }
  if (command === 'help') {
    // molrl help [command]
    const [topic, ...extra] = positionals.slice(1);
    if (extra.length) throw new UsageError(`help: unexpected argument(s) ${extra.map((a) => `'${a}'`).join(' ')}`);
    if (topic !== undefined && !isCommand(topic)) throw unknownCommand(topic, 'help: ');
    process.stdout.write(topic === undefined ? USAGE : commandUsage(topic));
    return { code: 0 };
  }
  if (values.help) {
    // molrl <command> --help: that command's options, whatever else is on the line.
    if (command !== undefined && !isCommand(command)) throw unknownCommand(command);
    process.stdout.write(command === undefined ? USAGE : commandUsage(command));
    return { code: 0 };
  }
  checkUsage(command!, parsed);
  const progress = values.progress ?? 'auto';
  if (!isProgressMode(progress))
    throw new UsageError(`--progress: expected auto, bar, lines or silent, got '${progress}'`);
  const flags = flagConfig(values);
  const seeds = command === 'ablate' ? parseSeeds(values.seeds ?? DEFAULT_ABLATION_SEEDS.join(',')) : [];
  const open = async (out: string) => {
    const folder = new RunFolder(out);
    const existing = folder.exists() ? folder.readConfig() : undefined;
    // The flags apply to the run's own configuration: what they leave alone stays as the run has it.
    const config = buildConfig(values.config, flags, existing);
    return prepareRun(out, config, { log, modelSource: values.model !== undefined ? '--model' : 'model' });
  };

  // One process at a time in a folder: the lock is taken before anything is written there (a new
  // folder is made for it, and removed again if the command fails before writing anything).
  const locked = async <T>(out: string, what: string, work: () => Promise<T>): Promise<T> => {
    const made = createFolder(out, `the ${what}`);
    let lock: RunLock | undefined;
    let done = false;
    try {
      lock = lockRunFolder(out, what);
      if (lock.tookOverFrom)
        log(`${out}: took over the lock of process ${lock.tookOverFrom.pid}, which stopped without releasing it`);
      const result = await work();
      done = true;
      return result;
    } finally {
      lock?.release();
      if (!done) removeEmptyFolders(made);
    }
  };

  if (command === 'ablate') {
    const out = values.out ?? newRunDir('runs').replace(/(\d{8}-\d{6})/, 'ablate-$1');
    const config = buildConfig(values.config, flags, undefined)!;
    const md = await locked(out, 'ablation folder', () =>
      runAblation(out, config, { seeds, progress, log, ...(signal ? { signal } : {}) }),
    );
    process.stdout.write(md);
    return { code: 0 };
  }
  if (command === 'run') {
    const out = values.out ?? newRunDir('runs');
    await locked(out, 'run folder', async () => {
      const { run, config } = await open(out);
      log(`molrl run: ${run.dir}`);
      const md = await runPipeline(run, config, { progress, log, ...(signal ? { signal } : {}) });
      process.stdout.write(md);
      log(`report: ${run.path('report.md')}`);
    });
    return { code: 0 };
  }
  if (!values.out) throw new UsageError(`${command}: --out DIR (the run folder) is required`);
  if (command === 'report') {
    const run = new RunFolder(values.out);
    process.stdout.write(writeRunReport(run, run.readConfig()));
    return { code: 0 };
  }
  // Only the data phase starts a run folder: a later phase on a new (or mistyped) folder writes nothing.
  const folder = new RunFolder(values.out);
  if (command !== 'data' && !folder.exists())
    throw new ConfigError(
      `${command}: ${folder.dir} is not a run folder (start one with \`molrl run --out ${values.out}\` or \`molrl data --out ${values.out}\`)`,
    );
  await locked(values.out, 'run folder', async () => {
    const { run, config } = await open(values.out!);
    await runPhase(run, config, command as Phase, {
      progress,
      log,
      force: !!values.force,
      ...(signal ? { signal } : {}),
    });
  });
  return { code: 0 };
}

const INTERRUPTED =
  'interrupted: every phase resumes from its last checkpoint; run the same command with the same --out to go on\n';

/** The signals that stop a run at its next safe point, with the exit code each leaves (128 + the signal's number). */
const STOP_SIGNALS = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * Entry point: exit codes 0 done, 1 error, 2 usage, 130 interrupted (143 when
 * stopped by SIGTERM; the run folder resumes either way). A first Ctrl-C (or
 * SIGTERM, what a service manager or `docker stop` sends) stops `run`, `ablate`
 * and the phase commands at the next safe point (a checkpoint being written is finished
 * first); a second signal, or the first for other commands, exits at once.
 */
export async function cli(argv = process.argv.slice(2)): Promise<void> {
  const controller = new AbortController();
  const safePoints = stopsAtSafePoints(argv);
  let stopCode: number = STOP_SIGNALS.SIGINT;
  for (const [name, code] of Object.entries(STOP_SIGNALS)) {
    process.on(name, () => {
      if (controller.signal.aborted || !safePoints) {
        process.stderr.write(`\n${INTERRUPTED}`);
        process.exit(controller.signal.aborted ? stopCode : code);
      }
      stopCode = code;
      process.stderr.write(
        name === 'SIGINT'
          ? '\ninterrupt: stopping at the next safe point (Ctrl-C again to stop at once)\n'
          : `\n${name}: stopping at the next safe point (a second signal stops at once)\n`,
      );
      controller.abort(new InterruptedError('interrupted'));
    });
  }
  try {
    const { code } = await main(argv, undefined, { signal: controller.signal });
    process.exit(code);
  } catch (error) {
    if (controller.signal.aborted) {
      process.stderr.write(INTERRUPTED);
      process.exit(stopCode);
    }
    const e = error as Error;
    // The message names what was wrong; MOLRL_DEBUG=1 adds the stack.
    process.stderr.write(`molrl: ${process.env.MOLRL_DEBUG ? (e.stack ?? e.message) : e.message}\n`);
    process.exit(error instanceof UsageError ? 2 : 1);
  }
}
