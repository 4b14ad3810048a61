/**
 * The command line's handling of what a user types: usage errors (exit 2) for
 * options a command does not take, repeated ones and malformed values; a run's
 * own configuration under the flags given on resume; what a phase command
 * writes on a folder that is not a run; an ablation resumed with other settings.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { main, USAGE } from './cli.js';
import { COMMAND_OPTIONS, OPTION_NAMES } from './cli-usage.js';
import { UsageError } from './config-error.js';
import { DEFAULT_CONFIG, DEFAULT_MODEL_DIR } from './config.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tmp = () => mkdtempSync(join(tmpdir(), 'molrl-cli-'));
const quiet = () => undefined;
const TINY = {
  data: { traces: 3, validation: 1, maxSteps: 2, maxTokens: 320, grpoTasks: 2, evalTasks: 2, mathProblems: 1 },
};

/** What `main(argv)` rejects with. */
async function failure(argv: string[]): Promise<Error> {
  try {
    await main(argv, quiet);
  } catch (error) {
    return error as Error;
  }
  throw new Error(`main(${argv.join(' ')}) did not fail`);
}

async function usageError(argv: string[], message: string | RegExp): Promise<void> {
  const error = await failure(argv);
  expect(error, argv.join(' ')).toBeInstanceOf(UsageError);
  if (typeof message === 'string') expect(error.message).toBe(message);
  else expect(error.message).toMatch(message);
}

describe('molrl command line', () => {
  it('refuses options a command does not take, repeated options and extra words', async () => {
    const out = join(tmp(), 'r');
    await usageError(['run', '--out', out, '--force'], /^run: --force is for one phase \(molrl data\|mol\|grpo\|eval/);
    await usageError(
      ['report', '--out', out, '--seed', '5'],
      /^report: --seed does not apply \(report takes --out, --help\)$/,
    );
    await usageError(['data', '--out', out, '--seeds', '1,2'], /^data: --seeds does not apply/);
    await usageError(['data', '--out', out, '--out', join(out, 'b')], 'data: --out is given twice');
    await usageError(['data', '--out', out, 'extra', 'words'], "data: unexpected argument(s) 'extra' 'words'");
    await usageError(['frobnicate'], "unknown command 'frobnicate' (see molrl --help)");
    await usageError(['run', '--frobnicate'], "unknown option '--frobnicate' (see molrl --help)");
    await usageError(['run', '--frob'], "unknown option '--frob' (did you mean --force?) (see molrl --help)");
    await usageError(['run', '--sed', '3'], "unknown option '--sed' (did you mean --seed?) (see molrl --help)");
    await usageError(['run', '--backnd=cpu'], "unknown option '--backnd' (did you mean --backend?) (see molrl --help)");
    await usageError(['run', '-x'], "unknown option '-x' (see molrl --help)");
    await usageError(['rnu'], "unknown command 'rnu' (did you mean 'run'?) (see molrl --help)");
    await usageError(['data', '--out'], /^Option '--out <value>' argument missing \(see molrl --help\)$/);
    await usageError(['run', '--out', ''], "run: --out: expected a folder, got ''");
    await usageError(['run', '--backend', 'tpu'], /^--backend must be one of 'cpu'.*, got 'tpu'$/);
    await usageError(['run', '--progress', 'fancy'], "--progress: expected auto, bar, lines or silent, got 'fancy'");
    expect(existsSync(out)).toBe(false);
  });

  it('a seed is decimal digits up to 2^32 - 1; --seeds are distinct', async () => {
    const out = join(tmp(), 'none');
    for (const seed of ['', '0x10', '1e3', ' 7', '-1', '1.5', '4294967296'])
      await usageError(
        ['mol', '--out', out, `--seed=${seed}`],
        `--seed: expected an integer from 0 to 4294967295, got '${seed}'`,
      );
    // A good seed gets past the flags: the command then stops on the folder, which is not a run.
    expect((await failure(['mol', '--out', out, '--seed', '4294967295'])).message).toMatch(/is not a run folder/);
    for (const seeds of ['', '1,,2', 'a', '1,-2'])
      await usageError(
        ['ablate', '--seeds', seeds],
        /^--seeds: expected integers from 0 to 4294967295 separated by commas/,
      );
    await usageError(['ablate', '--seeds', '1,2,1'], "--seeds: seed 1 is given twice in '1,2,1'");
  });

  it('--out at a file, or under one, is named before any work', async () => {
    const dir = tmp();
    const file = join(dir, 'afile');
    writeFileSync(file, 'x');
    expect((await failure(['run', '--out', file])).message).toBe(`${file}: is a file, not a folder (run --out)`);
    expect((await failure(['ablate', '--out', join(file, 'sub')])).message).toBe(
      `${join(file, 'sub')}: ${file} is a file, not a folder (ablate --out)`,
    );
  });

  it('a folder that cannot be made is an error at once (under /proc, where a recursive mkdir never returned)', async () => {
    const error = await failure(['data', '--out', '/proc/molrl-cannot-be-here/run', '--progress', 'silent']);
    expect(error.message).toMatch(/^\/proc\/molrl-cannot-be-here\/run: cannot create the run folder \(E[A-Z]+\)$/);
  });

  it('--set: each flag named in its error, a malformed one or an empty --config a usage error', async () => {
    const out = join(tmp(), 'r');
    await usageError(
      ['run', '--out', out, '--set', 'grpo.maxSteps'],
      '--set grpo.maxSteps: expected section.field=value',
    );
    await usageError(['run', '--out', out, '--set', '=4'], '--set =4: expected section.field=value');
    for (const set of ['.maxSteps=1', 'grpo.=1', 'grpo..maxSteps=1'])
      await usageError(
        ['run', '--out', out, '--set', set],
        `--set ${set}: an empty field name (expected section.field=value, e.g. mol.learningRate=1e-3)`,
      );
    await usageError(['run', '--out', out, '--config', ''], "run: --config: expected a config file, got ''");
    const named = await failure(['run', '--out', out, '--set', 'grpo.maxSteps=4', '--set', 'mol.maxSteps=x']);
    expect(named.message).toBe('--set mol.maxSteps=x: mol.maxSteps must be an integer >= 1, got "x"');
    // Names every object has are no fields, and __proto__ is never followed.
    for (const set of ['constructor.x=1', 'toString=1', 'grpo.hasOwnProperty=1'])
      expect((await failure(['run', '--out', out, '--set', set])).message).toMatch(/is not a known field/);
    expect((await failure(['run', '--out', out, '--set', '__proto__.polluted=1'])).message).toBe(
      '--set __proto__.polluted=1: __proto__ is not a field',
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const file = join(tmp(), 'proto.json');
    writeFileSync(file, '{"__proto__": {"maxSteps": 4}}');
    expect((await failure(['run', '--out', out, '--config', file])).message).toBe(
      `${file}: __proto__ is not a known field`,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('a later phase on a folder that is not a run writes nothing there', async () => {
    const out = join(tmp(), 'new');
    for (const phase of ['mol', 'grpo', 'eval']) {
      const error = await failure([phase, '--out', out, '--progress', 'silent']);
      expect(error.message).toBe(
        `${phase}: ${out} is not a run folder (start one with \`molrl run --out ${out}\` or \`molrl data --out ${out}\`)`,
      );
      expect(existsSync(out)).toBe(false);
    }
  });

  it(
    'flags on an existing run apply to its own configuration; a local --model is recorded as an absolute path',
    { timeout: 120_000 },
    async () => {
      const dir = tmp();
      const out = join(dir, 'run');
      const file = join(dir, 'tiny.json');
      writeFileSync(file, JSON.stringify(TINY));
      // The embedded model by a path relative to the working folder, as a user types it.
      const model = relative(process.cwd(), DEFAULT_MODEL_DIR);
      expect(model.startsWith('/')).toBe(false);
      expect(
        (await main(['data', '--out', out, '--config', file, '--model', model, '--progress', 'silent'], quiet)).code,
      ).toBe(0);
      const recorded = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
      expect(recorded.model).toBe(DEFAULT_MODEL_DIR);
      expect(recorded.data.traces).toBe(3);
      // The run's own values again (without its --config file) are no change ...
      const lines: string[] = [];
      const again = [
        'data',
        '--out',
        out,
        '--seed',
        String(recorded.seed),
        '--set',
        'data.traces=3',
        '--progress',
        'silent',
      ];
      expect((await main(again, (l) => lines.push(l))).code).toBe(0);
      expect(lines.some((l) => l.startsWith('data: done already'))).toBe(true);
      // ... and a real change is named alone, not every field where the run differs from the defaults.
      const error = await failure(['data', '--out', out, '--set', 'data.traces=5', '--progress', 'silent']);
      expect(error.message).toBe(
        `${join(out, 'config.json')}: this run was made with another configuration: data.traces (run: 3, given: 5). Resume it without those options, or use a new --out folder.`,
      );
    },
  );

  it("a LoRA rank above the model's smallest side is refused before any work", async () => {
    const out = join(tmp(), 'r');
    const error = await failure(['run', '--out', out, '--set', 'lora.r=100000', '--progress', 'silent']);
    expect(error.message).toMatch(
      new RegExp(
        `^config: lora\\.r must be at most \\d+ \\(the model's [a-z_ x]+, the smallest side of the matrices LoRA adapts\\), got 100000$`,
      ),
    );
    expect(existsSync(out)).toBe(false);
  });

  it('an ablation folder goes on only with its own configuration', async () => {
    const out = tmp();
    const config = { ...structuredClone(DEFAULT_CONFIG), mol: { ...DEFAULT_CONFIG.mol, learningRate: 0.004 } };
    writeFileSync(join(out, 'ablate.json'), JSON.stringify({ seeds: [0], checkpointStep: 12, config }));
    mkdirSync(join(out, 'seed-0'));
    const error = await failure(['ablate', '--out', out, '--seeds', '0', '--set', 'mol.learningRate=0.5']);
    expect(error.message).toBe(
      `${join(out, 'ablate.json')}: this ablation was made with another configuration: mol.learningRate (run: 0.004, given: 0.5). Go on without those options, or use a new --out folder.`,
    );
  });

  it(
    'exit status: 2 for usage, 0 for help, and the bare command prints its usage to stderr',
    { timeout: 180_000 },
    () => {
      const run = (...args: string[]) =>
        spawnSync(
          process.execPath,
          ['--import', 'tsx', '--conditions=@molrl/source', join(root, 'src', 'cli-main.ts'), ...args],
          {
            cwd: root,
            encoding: 'utf8',
          },
        );
      const usage = run('run', '--frobnicate');
      expect(usage.status).toBe(2);
      expect(usage.stderr).toBe("molrl: unknown option '--frobnicate' (see molrl --help)\n");
      const bare = run();
      expect([bare.status, bare.stdout, bare.stderr.startsWith('usage: molrl')]).toEqual([2, '', true]);
      const help = run('help');
      expect([help.status, help.stdout.startsWith('usage: molrl')]).toEqual([0, true]);
      const commandHelp = run('grpo', '--out', 'anywhere', '--help');
      expect([commandHelp.status, commandHelp.stdout.split('\n')[0]]).toEqual([
        0,
        'usage: molrl grpo --out DIR [options]',
      ]);
      expect(run('help', 'frob').status).toBe(2);
    },
  );

  it("each command's help lists exactly the options it takes, and the whole usage every command", async () => {
    const printed = async (argv: string[]) => {
      const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
      try {
        expect(await main(argv, quiet)).toEqual({ code: 0 });
        return write.mock.calls.map((c) => String(c[0])).join('');
      } finally {
        write.mockRestore();
      }
    };
    const usage = await printed(['--help']);
    expect(usage).toBe(USAGE);
    const listed = (text: string) => [...text.matchAll(/^ {2}(?:-h, )?--(\w+)/gm)].map((m) => m[1]);
    for (const [command, options] of Object.entries(COMMAND_OPTIONS)) {
      expect(usage, command).toMatch(new RegExp(`^  ${command} `, 'm'));
      const text = await printed([command, '--help']);
      expect(await printed(['help', command])).toBe(text);
      expect(text.split('\n')[0]).toMatch(new RegExp(`^usage: molrl ${command}\\b`));
      expect(listed(text), command).toEqual(options);
      // Every option a command does not take is refused by the parser, as its help says.
      for (const other of OPTION_NAMES.filter((o) => !options.includes(o) && o !== 'help'))
        await usageError(
          [command, `--${other}`, ...(other === 'force' ? [] : ['x'])],
          /does not apply|is for one phase/,
        );
    }
    await usageError(['help', 'frob'], "help: unknown command 'frob' (see molrl --help)");
    await usageError(['help', 'abalte'], "help: unknown command 'abalte' (did you mean 'ablate'?) (see molrl --help)");
    await usageError(['help', 'run', 'mol'], "help: unexpected argument(s) 'mol'");
    await usageError(['frob', '--help'], "unknown command 'frob' (see molrl --help)");
  });
});
