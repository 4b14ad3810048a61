/**
 * What `molrl --help` and `molrl <command> --help` print. The whole usage and
 * each command's come from the one table below, so they cannot disagree; the
 * options a command takes come from the same list the parser enforces.
 */
import { PHASES } from './run-folder.js';

export const OPTION_NAMES = [
  'out',
  'config',
  'model',
  'seed',
  'backend',
  'set',
  'seeds',
  'progress',
  'force',
  'help',
] as const;

export type OptionName = (typeof OPTION_NAMES)[number];

const CONFIGURING: readonly OptionName[] = ['out', 'config', 'model', 'seed', 'backend', 'set', 'progress'];

interface CommandHelp {
  /** The command line, after `molrl `. */
  synopsis: string;
  /** One line for the command list. */
  summary: string;
  /** What the command does, a few lines. */
  details: string;
  options: readonly OptionName[];
  examples: readonly string[];
}

const PHASE_DETAILS: Record<(typeof PHASES)[number], Omit<CommandHelp, 'synopsis' | 'options'>> = {
  data: {
    summary: "generate the environment's traces and tasks",
    details:
      "Writes the environment's material into DIR/data/: agent traces whose actions ran in the\n" +
      'sandbox (for MoL), GRPO tasks and the held-out evaluation tasks. The only phase command that\n' +
      'starts a run folder.',
    examples: ['molrl data --out runs/a --set data.traces=64'],
  },
  mol: {
    summary: 'MoL continual training (LoRA)',
    details:
      "Trains a LoRA adapter on the traces: cross-entropy on the environment's feedback tokens, KL\n" +
      "to the base model on the model's own turns (DIR/mol/). Resumes from its last checkpoint.",
    examples: ['molrl mol --out runs/a', 'molrl mol --out runs/a --set mol.learningRate=0.002 --force'],
  },
  grpo: {
    summary: 'GRPO / Dr.GRPO with the sandbox reward',
    details:
      'Samples groups of completions from the +MoL model, scores them by running their code in the\n' +
      'sandbox, and trains the adapter on the group-relative advantages (DIR/grpo/). Resumes.',
    examples: ['molrl grpo --out runs/a --set grpo.maxSteps=4'],
  },
  eval: {
    summary: 'pass@1 of base, +MoL and +MoL+GRPO',
    details:
      'Samples and scores the evaluation tasks for the three models, and their general-ability and\n' +
      'knowledge probes (DIR/eval/). Cached samples are kept: an interrupted evaluation goes on.',
    examples: ['molrl eval --out runs/a'],
  },
};

const COMMANDS: Record<string, CommandHelp> = {
  run: {
    synopsis: 'run [--out DIR] [options]',
    summary: 'the whole pipeline (data, mol, grpo, eval, report) into a run folder; resumes an existing one',
    details:
      'Runs every phase that DIR lacks, resuming an unfinished one from its checkpoint, then writes\n' +
      'DIR/report.md (with paired intervals) and DIR/plots/. An existing run keeps its configuration:\n' +
      'options that change it are refused, except --backend, which moves the run.',
    options: [...CONFIGURING, 'help'],
    examples: [
      'molrl run',
      'molrl run --out runs/a --seed 1 --set grpo.maxSteps=4',
      'molrl run --out runs/a --backend webgpu',
    ],
  },
  ...Object.fromEntries(
    PHASES.map((phase) => [
      phase,
      { synopsis: `${phase} --out DIR [options]`, options: [...CONFIGURING, 'force', 'help'], ...PHASE_DETAILS[phase] },
    ]),
  ),
  report: {
    synopsis: 'report --out DIR',
    summary: 'write report.md and plots/ again',
    details: "Writes DIR/report.md and DIR/plots/ from the run's metrics and evaluation, and prints the report.",
    options: ['out', 'help'],
    examples: ['molrl report --out runs/a'],
  },
  ablate: {
    synopsis: 'ablate [--out DIR] [--seeds 0,1,2] [options]',
    summary: 'Base/+MoL/+CE/+CE_NoKL, GRPO vs Dr.GRPO, multi-stage vs binary reward, MoL checkpoints vs RL reward',
    details:
      "The paper's comparisons, small: each variant is a run folder DIR/seed-N/<variant>/, repeated\n" +
      'for every seed, and DIR/report.md gives paired intervals for each difference. Resumes.',
    options: [...CONFIGURING, 'seeds', 'help'],
    examples: ['molrl ablate --out runs/ablate --seeds 0,1,2'],
  },
};

/** The options each command takes; any other is a usage error, not ignored. */
export const COMMAND_OPTIONS: Readonly<Record<string, readonly OptionName[]>> = Object.fromEntries(
  Object.entries(COMMANDS).map(([name, help]) => [name, help.options]),
);

/** An option's label and description; `command` picks the lines that differ by command. */
function optionHelp(option: OptionName, command: string | undefined): [string, string] {
  switch (option) {
    case 'out':
      if (command === 'run') return ['--out DIR', 'run folder (default runs/<time>)'];
      if (command === 'ablate') return ['--out DIR', 'ablation folder (default runs/ablate-<time>)'];
      if (command) return ['--out DIR', 'the run folder (required)'];
      return ['--out DIR', 'run folder (default runs/<time> for run, runs/ablate-<time> for ablate)'];
    case 'config':
      return ['--config FILE', 'JSON config (partial; fields override the defaults)'];
    case 'model':
      return ['--model DIR|ID', 'base model: a local folder or a Hub repo id (default: the embedded tiny model)'];
    case 'seed':
      return ['--seed N', 'seed of the run'];
    case 'backend':
      return [
        '--backend NAME',
        "where the model phases compute: cpu (default), webgpu, gpujs (gpu.js's webasm mode)\n" +
          'or gpujs:cpu, gpujs:webasm, gpujs:webgpu; on an existing run folder it moves the run there',
      ];
    case 'set':
      return ['--set a.b=value', 'override one config field (repeatable), e.g. --set grpo.maxSteps=4'];
    case 'seeds':
      return ['--seeds 0,1,2', `${command ? '' : 'ablate: '}seeds to repeat each variant with (default 0,1,2)`];
    case 'progress':
      return ['--progress MODE', 'auto (bar on a terminal, lines otherwise), bar, lines, silent'];
    case 'force':
      return [
        '--force',
        `${command ? '' : 'data|mol|grpo|eval: '}run the phase again from its start (its folder and the\n` +
          "later phases' are removed)",
      ];
    case 'help':
      return ['-h, --help', command ? 'this text' : 'this text (also: molrl help, molrl <command> --help)'];
  }
}

/** The label columns' widths: options, and the (longer) environment variables. */
const OPTION_LABEL_WIDTH = 19;
const ENVIRONMENT_LABEL_WIDTH = 23;

/** Labelled lines: each label padded to `width` after a two-space indent, a text's further lines indented under its first. */
function columnLines(rows: ReadonlyArray<readonly [string, string]>, width: number): string {
  return rows
    .map(([label, text]) => {
      const [first, ...rest] = text.split('\n');
      return [`  ${label.padEnd(width)}${first}`, ...rest.map((l) => ' '.repeat(width + 2) + l)].join('\n');
    })
    .join('\n');
}

function optionLines(options: readonly OptionName[], command: string | undefined): string {
  return columnLines(
    options.map((option) => optionHelp(option, command)),
    OPTION_LABEL_WIDTH,
  );
}

const EXIT_STATUS =
  'exit status: 0 done, 1 error, 2 usage (a command or option wrong), 130 interrupted (143 by SIGTERM; the run resumes)\n';

/** The environment variables molrl reads, for the general help. */
const ENVIRONMENT = `environment:
${columnLines(
  [
    ['HF_HUB_CACHE, HF_HOME', 'where Hub models are cached (default ~/.cache/huggingface/hub)'],
    ['HF_TOKEN, HF_ENDPOINT', "the Hub's token and address; HF_HUB_OFFLINE=1: the cache only"],
    [
      'MOLRL_CACHE_DIR',
      "molrl's own cache (default ~/.cache/molrl): the sandbox's interpreter\n" +
        'snapshot (44 MB), with which its workers start ~5 s sooner',
    ],
    ['MOLRL_DEBUG=1', 'errors print their stack'],
  ],
  ENVIRONMENT_LABEL_WIDTH,
)}
`;

export const USAGE = `usage: molrl <command> [options]

commands:
${Object.entries(COMMANDS)
  .map(([name, help]) => `  ${name.padEnd(9)}${help.summary}`)
  .join('\n')}

options:
${optionLines(OPTION_NAMES, undefined)}

${ENVIRONMENT}
${EXIT_STATUS}`;

/** The molrl commands, in the order the help lists them. */
export const COMMAND_NAMES: readonly string[] = Object.keys(COMMANDS);

/** Whether `name` is a molrl command. */
export function isCommand(name: string): boolean {
  return Object.hasOwn(COMMANDS, name);
}

/** `molrl <command> --help`: the command's line, what it does, the options it takes and examples. */
export function commandUsage(command: string): string {
  const help = COMMANDS[command];
  if (!help) throw new Error(`no such command: ${command}`);
  return `usage: molrl ${help.synopsis}

${help.details}

options:
${optionLines(help.options, command)}

examples:
${help.examples.map((e) => `  ${e}`).join('\n')}

${EXIT_STATUS}`;
}
