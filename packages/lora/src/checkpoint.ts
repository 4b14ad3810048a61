/**
 * Training checkpoints of a LoRA run, in the layout of transformers' Trainer:
 * `checkpoint-<step>/` holding the PEFT adapter (`adapter_config.json` +
 * `adapter_model.safetensors`), the AdamW moments (`optimizer.safetensors`,
 * keys `<param>.exp_avg` / `<param>.exp_avg_sq`) and `trainer_state.json`
 * (whatever the trainer needs to resume: steps, data position, RNG counters,
 * config). The folder is written under a temporary name and renamed, so a
 * checkpoint is whole or absent; `removeIncompleteCheckpoints` clears what a
 * killed save left behind.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { firstNonFinite, SafetensorsFile, writeSafetensors } from '@molrl/model';
import { isProcessAlive, removeStaleTemporaries, writeAtomically } from '@molrl/progress';
import { tensor, type AdamW, type Tensor } from '@molrl/tensor';
import { describeValue } from './describe.js';
import type { LoraHandle } from './lora.js';

/** What every trainer state holds; trainers add their own fields. */
export interface CheckpointState {
  /** Optimizer steps taken (the checkpoint's number). */
  globalStep: number;
  /**
   * Steps whose update was skipped: the optimizer's own step count is then
   * globalStep - skippedSteps (0 when absent), checked against the optimizer file.
   */
  skippedSteps?: number;
}

export const TRAINER_STATE_FILE = 'trainer_state.json';
export const OPTIMIZER_FILE = 'optimizer.safetensors';

/** `checkpoint-<step>` under outputDir; the step is an integer >= 0 (any other names a folder `listCheckpoints` never finds). */
export function checkpointDir(outputDir: string, step: number): string {
  if (!Number.isSafeInteger(step) || step < 0)
    throw new RangeError(`checkpointDir: step must be an integer >= 0, got ${describeValue(step)}`);
  return join(outputDir, `checkpoint-${step}`);
}

/**
 * The counters of a trainer state that name and number a checkpoint: globalStep an integer >= 0,
 * skippedSteps (when there) an integer in [0, globalStep]. `fail` says where the state came from.
 */
function checkStateCounters(state: unknown, fail: (message: string) => never): void {
  if (typeof state !== 'object' || state === null || Array.isArray(state))
    fail(`the trainer state must be an object with globalStep, got ${describeValue(state)}`);
  const { globalStep, skippedSteps } = state as Record<string, unknown>;
  if (!Number.isSafeInteger(globalStep) || (globalStep as number) < 0)
    fail(`field 'globalStep' must be an integer >= 0, got ${describeValue(globalStep)}`);
  if (skippedSteps === undefined) return;
  if (!Number.isSafeInteger(skippedSteps) || (skippedSteps as number) < 0)
    fail(`field 'skippedSteps' must be an integer >= 0, got ${describeValue(skippedSteps)}`);
  if ((skippedSteps as number) > (globalStep as number))
    fail(`field 'skippedSteps' (${skippedSteps as number}) exceeds globalStep (${globalStep as number})`);
}

/**
 * Write `checkpoint-<state.globalStep>/` under outputDir; returns its path.
 * The folder is filled under a temporary name and renamed when complete.
 * An adapter weight or moment holding NaN or an infinity is an error and
 * nothing is written: such a checkpoint would be refused on load, and it would
 * have replaced a good one when pruning.
 */
export async function saveTrainingCheckpoint(
  outputDir: string,
  state: CheckpointState,
  lora: LoraHandle,
  optimizer: AdamW,
): Promise<string> {
  if (typeof outputDir !== 'string' || outputDir === '')
    throw new TypeError(
      `saveTrainingCheckpoint: outputDir must be a non-empty path string, got ${describeValue(outputDir)}`,
    );
  // A step that is not an integer >= 0 would write a folder no resume or prune ever finds.
  checkStateCounters(state, (message) => {
    throw new Error(`saveTrainingCheckpoint: ${message}; nothing was written`);
  });
  const dir = checkpointDir(outputDir, state.globalStep);
  const { step, state: moments } = optimizer.stateDict();
  // Every value is checked as it is read for its file (once: on a device each read is a copy to the host);
  // a non-finite one stops the write, and the temporary folder goes with it.
  const refuseNonFinite = (what: string, name: string, values: Float32Array) => {
    const bad = firstNonFinite(values);
    if (bad >= 0)
      throw new Error(
        `saveTrainingCheckpoint: ${dir} not written: ${what} '${name}' holds ${values[bad]} at element ${bad} (step ${state.globalStep}): the training diverged; a lower learning rate keeps it finite`,
      );
  };
  const moment = (name: string, t: Tensor) => ({
    name,
    dtype: 'F32' as const,
    shape: [...t.shape],
    data: async () => {
      const values = await t.data();
      refuseNonFinite('optimizer moment', name, values);
      return values;
    },
  });
  await writeAtomically(dir, async (tmp) => {
    await mkdir(tmp, { recursive: true });
    await lora.save(tmp, { inspect: (name, values) => refuseNonFinite('adapter weight', name, values) });
    const tensors = Object.entries(moments).flatMap(([name, { m, v }]) => [
      moment(`${name}.exp_avg`, m),
      moment(`${name}.exp_avg_sq`, v),
    ]);
    // How many parameters have moments, so a file that lost some is refused on load.
    await writeSafetensors(join(tmp, OPTIMIZER_FILE), tensors, {
      format: 'pt',
      optimizer_step: String(step),
      moment_parameters: String(Object.keys(moments).length),
    });
    await writeFile(join(tmp, TRAINER_STATE_FILE), JSON.stringify(state, null, 2) + '\n');
  });
  return dir;
}

/**
 * Restore the adapter weights and the optimizer from a checkpoint folder and
 * return its trainer state. `counters` names the state fields that must be
 * integers >= 0 (checked, with the file and field in the error). The optimizer
 * file must be the one written with that state (its step and number of
 * parameters, when it records them) and its moments finite (exp_avg_sq >= 0).
 */
export async function loadTrainingCheckpoint<S extends CheckpointState>(
  dir: string,
  lora: LoraHandle,
  optimizer: AdamW,
  counters: readonly (keyof S & string)[],
): Promise<S> {
  const statePath = join(dir, TRAINER_STATE_FILE);
  if (!existsSync(statePath)) throw new Error(`loadCheckpoint: ${statePath} does not exist (not a checkpoint folder)`);
  let state: S;
  try {
    state = JSON.parse(await readFile(statePath, 'utf8')) as S;
  } catch (e) {
    throw new Error(`loadCheckpoint: ${statePath}: ${(e as Error).message}`, { cause: e });
  }
  checkStateCounters(state, (message) => {
    throw new Error(`loadCheckpoint: ${statePath}: ${message}`);
  });
  for (const field of new Set<string>(['globalStep', ...counters])) {
    const value = (state as unknown as Record<string, unknown>)[field];
    if (!Number.isInteger(value) || (value as number) < 0) {
      throw new Error(`loadCheckpoint: ${statePath}: field '${field}' must be an integer >= 0`);
    }
  }
  await lora.loadWeights(join(dir, 'adapter_model.safetensors'));
  const path = join(dir, OPTIMIZER_FILE);
  const file = await SafetensorsFile.open(path);
  const made: Tensor[] = [];
  try {
    const recorded = file.header.metadata;
    const step = state.globalStep - (state.skippedSteps ?? 0);
    if (recorded.optimizer_step !== undefined && recorded.optimizer_step !== String(step))
      throw new Error(
        `loadCheckpoint: ${path} is from optimizer step ${recorded.optimizer_step}, but ${statePath} is at step ${step} ` +
          '(globalStep - skippedSteps): the two files come from different checkpoints',
      );
    const names = new Set(optimizer.params.map(([n]) => n));
    const moments: Record<string, { m?: Tensor; v?: Tensor }> = {};
    for (const key of file.names()) {
      const match = /^(.*)\.(exp_avg|exp_avg_sq)$/.exec(key);
      if (!match || !names.has(match[1]!)) throw new Error(`loadCheckpoint: ${path}: unexpected tensor '${key}'`);
      const values = await file.readFloat32(key);
      const squares = match[2] === 'exp_avg_sq';
      const bad = values.findIndex((x) => !Number.isFinite(x) || (squares && x < 0));
      if (bad >= 0)
        throw new Error(
          `loadCheckpoint: ${path}: '${key}' element ${bad} is ${values[bad]} (moments must be finite${squares ? ', squares >= 0' : ''}): the file is damaged`,
        );
      const t = tensor(values, file.entry(key).shape);
      made.push(t);
      const slot = (moments[match[1]!] ??= {});
      if (squares) slot.v = t;
      else slot.m = t;
    }
    const full: Record<string, { m: Tensor; v: Tensor }> = {};
    for (const [name, slot] of Object.entries(moments)) {
      if (!slot.m || !slot.v) throw new Error(`loadCheckpoint: ${path}: '${name}' lacks exp_avg or exp_avg_sq`);
      full[name] = { m: slot.m, v: slot.v };
    }
    const count = Object.keys(full).length;
    if (recorded.moment_parameters !== undefined && recorded.moment_parameters !== String(count))
      throw new Error(
        `loadCheckpoint: ${path} holds the moments of ${count} parameters, but was written with ${recorded.moment_parameters}: the file is incomplete`,
      );
    try {
      optimizer.loadStateDict({ step, state: full });
    } catch (e) {
      throw new Error(`loadCheckpoint: ${path}: ${(e as Error).message}`, { cause: e });
    }
  } finally {
    for (const t of made) t.dispose();
    await file.close();
  }
  return state;
}

/** A `checkpoint-<step>/` folder under an output folder. */
export interface CheckpointFolder {
  step: number;
  dir: string;
  /** It holds trainer_state.json (a save writes it last, then renames the folder into place). */
  complete: boolean;
}

/** The `checkpoint-<step>/` folders under outputDir, by step; none when the folder does not exist. */
export async function listCheckpoints(outputDir: string): Promise<CheckpointFolder[]> {
  if (!existsSync(outputDir)) return [];
  return (await readdir(outputDir))
    .map((n) => /^checkpoint-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => {
      const dir = join(outputDir, m[0]);
      return { step: Number(m[1]), dir, complete: existsSync(join(dir, TRAINER_STATE_FILE)) };
    })
    .sort((a, b) => a.step - b.step);
}

/** The complete checkpoint with the highest step under outputDir, or null. */
export async function latestCheckpoint(outputDir: string): Promise<string | null> {
  return (await listCheckpoints(outputDir)).filter((c) => c.complete).at(-1)?.dir ?? null;
}

/**
 * Remove what interrupted saves left under outputDir: the temporary folders of
 * processes that are gone (this module's and the `checkpoint-<n>.tmp-<pid>`
 * ones of earlier versions). Returns their names.
 */
export async function removeIncompleteCheckpoints(outputDir: string): Promise<string[]> {
  const removed = await removeStaleTemporaries(outputDir);
  if (!existsSync(outputDir)) return removed;
  for (const name of await readdir(outputDir)) {
    const match = /^checkpoint-\d+\.tmp-(\d+)$/.exec(name);
    // A live process's folder is a save in progress (this process's own included).
    if (!match || isProcessAlive(Number(match[1]))) continue;
    await rm(join(outputDir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/**
 * Keep at most `limit` complete checkpoints (0 keeps all), deleting the others.
 * `keep` (the checkpoint just written) is always kept; the rest are kept by step,
 * highest first, those past `keep`'s step (left by a run resumed from an earlier
 * checkpoint) last. Folders without trainer_state.json are not this trainer's
 * saves and are left alone.
 */
export async function pruneCheckpoints(outputDir: string, limit: number, keep?: string): Promise<void> {
  // NaN or a fraction would slice from 0: every checkpoint but `keep` deleted.
  if (!Number.isSafeInteger(limit) || limit < 0)
    throw new RangeError(
      `pruneCheckpoints: limit must be an integer >= 0 (0 keeps all), got ${describeValue(limit)}; nothing was deleted`,
    );
  if (keep !== undefined && typeof keep !== 'string')
    throw new TypeError(`pruneCheckpoints: keep must be a checkpoint folder path, got ${describeValue(keep)}`);
  if (limit === 0) return;
  const complete = (await listCheckpoints(outputDir)).filter((c) => c.complete);
  const kept = complete.find((c) => keep !== undefined && c.dir === keep);
  const pivot = kept?.step ?? Infinity;
  const ranked = complete
    .filter((c) => c !== kept)
    .sort((a, b) => Number(a.step > pivot) - Number(b.step > pivot) || b.step - a.step);
  for (const c of ranked.slice(Math.max(0, limit - (kept ? 1 : 0)))) await rm(c.dir, { recursive: true, force: true });
}
