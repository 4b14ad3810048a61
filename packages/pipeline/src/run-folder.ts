/**
 * The run folder: where each phase reads and writes, and `state.json`, the
 * record of the phases finished (a phase that is not in it is run again, and
 * resumes from its own checkpoints). See docs/run-folder.md.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { writeFileAtomicSync } from '@molrl/progress';
import { ConfigError, shown, validateConfig, type PipelineConfig } from './config.js';
import { readJsonFile } from './json-file.js';

export const PHASES = ['data', 'mol', 'grpo', 'eval'] as const;
export type Phase = (typeof PHASES)[number];

export interface PhaseRecord {
  finished: string;
  seconds: number;
  [key: string]: unknown;
}

export interface RunState {
  version: 1;
  phases: Partial<Record<Phase, PhaseRecord>>;
}

export class RunFolder {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  get configFile(): string {
    return this.path('config.json');
  }

  get stateFile(): string {
    return this.path('state.json');
  }

  /** Traces, tasks and their manifest. */
  get dataDir(): string {
    return this.path('data');
  }

  get molDir(): string {
    return this.path('mol');
  }

  get grpoDir(): string {
    return this.path('grpo');
  }

  get evalDir(): string {
    return this.path('eval');
  }

  /** The final adapter of a training phase (PEFT format). */
  adapterDir(phase: 'mol' | 'grpo'): string {
    return this.path(phase, 'adapter');
  }

  exists(): boolean {
    return existsSync(this.configFile);
  }

  readConfig(): PipelineConfig {
    if (!this.exists())
      throw new ConfigError(
        `${this.configFile}: no run here (run \`molrl run --out ${this.dir}\` or \`molrl data --out ${this.dir}\` first)`,
      );
    const config = readJsonFile(this.configFile);
    // Runs made before the backend was a field ran on the cpu.
    if (config && typeof config === 'object' && !Array.isArray(config) && !('backend' in config))
      (config as Record<string, unknown>).backend = 'cpu';
    return validateConfig(config, this.configFile);
  }

  writeConfig(config: PipelineConfig): void {
    createFolder(this.dir, 'the run folder');
    writeFileAtomicSync(this.configFile, JSON.stringify(config, null, 2) + '\n');
  }

  /** The phases finished; a file that is not a run state is an error naming it. */
  readState(): RunState {
    if (!existsSync(this.stateFile)) return { version: 1, phases: {} };
    const state = readJsonFile(this.stateFile) as Partial<RunState> | null;
    const fix = `delete it to run every phase again (each resumes from its checkpoints)`;
    if (!state || typeof state !== 'object' || Array.isArray(state))
      throw new ConfigError(`${this.stateFile}: not a run state (a JSON object); ${fix}`);
    if (state.version !== 1)
      throw new ConfigError(`${this.stateFile}: version must be 1, got ${JSON.stringify(state.version)}; ${fix}`);
    const phases = state.phases;
    if (!phases || typeof phases !== 'object' || Array.isArray(phases))
      throw new ConfigError(`${this.stateFile}: phases must be an object, got ${JSON.stringify(phases)}; ${fix}`);
    for (const [phase, record] of Object.entries(phases)) {
      if (!(PHASES as readonly string[]).includes(phase))
        throw new ConfigError(`${this.stateFile}: phases.${phase} is not a phase (${PHASES.join(', ')}); ${fix}`);
      if (!record || typeof record !== 'object' || Array.isArray(record))
        throw new ConfigError(`${this.stateFile}: phases.${phase} must be a record with 'finished'; ${fix}`);
      const { finished, seconds, backend } = record as PhaseRecord;
      if (typeof finished !== 'string' || Number.isNaN(Date.parse(finished)))
        throw new ConfigError(
          `${this.stateFile}: phases.${phase}.finished must be a date (ISO 8601), got ${shown(finished)}; ${fix}`,
        );
      if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0)
        throw new ConfigError(
          `${this.stateFile}: phases.${phase}.seconds must be a number >= 0, got ${shown(seconds)}; ${fix}`,
        );
      if (backend !== undefined && typeof backend !== 'string')
        throw new ConfigError(
          `${this.stateFile}: phases.${phase}.backend must be a string, got ${shown(backend)}; ${fix}`,
        );
    }
    return state as RunState;
  }

  isDone(phase: Phase): boolean {
    return !!this.readState().phases[phase];
  }

  markDone(phase: Phase, record: Omit<PhaseRecord, 'finished'>): void {
    const state = this.readState();
    state.phases[phase] = { finished: new Date().toISOString(), ...record } as PhaseRecord;
    writeFileAtomicSync(this.stateFile, JSON.stringify(state, null, 2) + '\n');
  }

  /**
   * Forget a phase and every phase after it (their inputs changed): their records in
   * state.json and their folders, so that none of them resumes from a checkpoint or
   * reuses a cached sample made from the old inputs. Returns the folders removed.
   */
  invalidateFrom(phase: Phase): string[] {
    const forgotten = PHASES.slice(PHASES.indexOf(phase));
    const state = this.readState();
    for (const p of forgotten) delete state.phases[p];
    if (existsSync(this.stateFile)) writeFileAtomicSync(this.stateFile, JSON.stringify(state, null, 2) + '\n');
    const removed: string[] = [];
    for (const p of forgotten) {
      const dir = this.path(p);
      if (!existsSync(dir)) continue;
      // Renamed first, so a process killed halfway leaves no half-removed checkpoint under the
      // phase's own name for the next start to resume from; a leftover is removed next time.
      renameSync(dir, this.path(`.${p}.removed-${process.pid}-${Date.now()}`));
      removed.push(dir);
    }
    for (const name of readdirSync(this.dir)) {
      if (forgotten.some((p) => name.startsWith(`.${p}.removed-`)))
        rmSync(this.path(name), { recursive: true, force: true });
    }
    return removed;
  }

  requireDone(phase: Phase, by: Phase): void {
    if (!this.isDone(phase))
      throw new Error(
        `${by}: phase '${phase}' has not finished in ${this.dir} (run \`molrl ${phase} --out ${this.dir}\` first)`,
      );
  }
}

/**
 * Throws a ConfigError when `dir` cannot be a folder to write in: it is a file,
 * or lies under one. Checked before any work, so a mistyped --out fails first.
 */
export function checkFolderPath(dir: string, what: string): void {
  if (dir === '') throw new ConfigError(`${what}: expected a folder, got ''`);
  const target = resolve(dir);
  for (let at = target; ; at = dirname(at)) {
    if (existsSync(at)) {
      if (!statSync(at).isDirectory())
        throw new ConfigError(`${dir}: ${at === target ? 'is a file' : `${at} is a file`}, not a folder (${what})`);
      return;
    }
    if (dirname(at) === at) return;
  }
}

/**
 * Make `dir` (and its parents) for a run to write in; one that cannot be made is a ConfigError saying why.
 * Returns the folders it made, outermost first (for `removeEmptyFolders` when the work then fails).
 */
export function createFolder(dir: string, what: string): string[] {
  checkFolderPath(dir, what);
  const made: string[] = [];
  try {
    // Level by level, not mkdirSync's recursive mode: Node 20's never returns
    // under /proc (it retries ENOENT from a file system that refuses new entries).
    const missing: string[] = [];
    for (let at = resolve(dir); !existsSync(at); at = dirname(at)) {
      missing.push(at);
      if (dirname(at) === at) break;
    }
    for (const folder of missing.reverse()) {
      mkdirSync(folder);
      made.push(folder);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigError(`${dir}: cannot create ${what} (${code})`, { cause: error });
  }
  return made;
}

/** Remove the folders `createFolder` made that are still empty, innermost first (a failed start leaves nothing). */
export function removeEmptyFolders(made: readonly string[]): void {
  for (const folder of [...made].reverse()) {
    try {
      rmdirSync(folder);
    } catch {
      return; // not empty (or gone): it, and so its parents, stay
    }
  }
}

/** A new folder name under runs/: the UTC time to the second. */
export function newRunDir(root = 'runs'): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  let dir = join(root, stamp);
  for (let i = 2; existsSync(dir); i++) dir = join(root, `${stamp}-${i}`);
  return dir;
}
