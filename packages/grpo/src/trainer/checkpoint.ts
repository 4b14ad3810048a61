/**
 * Checkpoints in the layout of transformers' Trainer: `checkpoint-<step>/` with
 * the PEFT adapter (`adapter_config.json` + `adapter_model.safetensors`), the
 * AdamW moments (`optimizer.safetensors`, `<param>.exp_avg` / `.exp_avg_sq`)
 * and `trainer_state.json` (steps, prompt position, RNG counters, config).
 * Written under a temporary name and renamed: whole or absent.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { LoraHandle } from '@molrl/lora';
import { SafetensorsFile, writeSafetensors } from '@molrl/model';
import { writeFileAtomic } from '@molrl/progress';
import { tensor, type AdamW, type Tensor } from '@molrl/tensor';
import type { GRPOConfig } from './config.js';

export interface GrpoTrainerState {
  /** Optimizer steps taken. */
  globalStep: number;
  /** Rollout batches generated (each gives numIterations optimizer steps); also the sampling-seed counter. */
  rolloutBatches: number;
  /** Prompts consumed so far (the position in the seeded per-epoch prompt order). */
  promptsSeen: number;
  /** The model's adapter-dropout seed counter. */
  dropoutSeed: number;
  config: GRPOConfig;
}

export const TRAINER_STATE_FILE = 'trainer_state.json';
export const OPTIMIZER_FILE = 'optimizer.safetensors';

export function checkpointDir(outputDir: string, step: number): string {
  return join(outputDir, `checkpoint-${step}`);
}

export async function saveCheckpoint(outputDir: string, state: GrpoTrainerState, lora: LoraHandle, optimizer: AdamW): Promise<string> {
  const dir = checkpointDir(outputDir, state.globalStep);
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  await lora.save(tmp);
  const { step, state: moments } = optimizer.stateDict();
  const tensors = Object.entries(moments).flatMap(([name, { m, v }]) => [
    { name: `${name}.exp_avg`, dtype: 'F32' as const, shape: [...m.shape], data: () => m.data() },
    { name: `${name}.exp_avg_sq`, dtype: 'F32' as const, shape: [...v.shape], data: () => v.data() },
  ]);
  await writeSafetensors(join(tmp, OPTIMIZER_FILE), tensors, { format: 'pt', optimizer_step: String(step) });
  await writeFileAtomic(join(tmp, TRAINER_STATE_FILE), JSON.stringify(state, null, 2) + '\n');
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
  return dir;
}

export async function loadCheckpoint(dir: string, lora: LoraHandle, optimizer: AdamW): Promise<GrpoTrainerState> {
  const statePath = join(dir, TRAINER_STATE_FILE);
  if (!existsSync(statePath)) throw new Error(`loadCheckpoint: ${statePath} does not exist (not a checkpoint folder)`);
  let state: GrpoTrainerState;
  try {
    state = JSON.parse(await readFile(statePath, 'utf8')) as GrpoTrainerState;
  } catch (e) {
    throw new Error(`loadCheckpoint: ${statePath}: ${(e as Error).message}`);
  }
  for (const field of ['globalStep', 'rolloutBatches', 'promptsSeen', 'dropoutSeed'] as const) {
    if (!Number.isInteger(state[field]) || state[field] < 0) throw new Error(`loadCheckpoint: ${statePath}: field '${field}' must be an integer >= 0`);
  }
  await lora.loadWeights(join(dir, 'adapter_model.safetensors'));
  const path = join(dir, OPTIMIZER_FILE);
  const file = await SafetensorsFile.open(path);
  const made: Tensor[] = [];
  try {
    const names = new Set(optimizer.params.map(([n]) => n));
    const moments: Record<string, { m?: Tensor; v?: Tensor }> = {};
    for (const key of file.names()) {
      const match = /^(.*)\.(exp_avg|exp_avg_sq)$/.exec(key);
      if (!match || !names.has(match[1]!)) throw new Error(`loadCheckpoint: ${path}: unexpected tensor '${key}'`);
      const t = tensor(await file.readFloat32(key), file.entry(key).shape);
      made.push(t);
      const slot = (moments[match[1]!] ??= {});
      if (match[2] === 'exp_avg') slot.m = t;
      else slot.v = t;
    }
    const full: Record<string, { m: Tensor; v: Tensor }> = {};
    for (const [name, slot] of Object.entries(moments)) {
      if (!slot.m || !slot.v) throw new Error(`loadCheckpoint: ${path}: '${name}' lacks exp_avg or exp_avg_sq`);
      full[name] = { m: slot.m, v: slot.v };
    }
    optimizer.loadStateDict({ step: state.globalStep, state: full });
  } finally {
    for (const t of made) t.dispose();
    await file.close();
  }
  return state;
}

export async function latestCheckpoint(outputDir: string): Promise<string | null> {
  if (!existsSync(outputDir)) return null;
  const steps = (await readdir(outputDir))
    .map((n) => /^checkpoint-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null && existsSync(join(outputDir, m[0], TRAINER_STATE_FILE)))
    .map((m) => Number(m[1]));
  return steps.length ? checkpointDir(outputDir, Math.max(...steps)) : null;
}

export async function pruneCheckpoints(outputDir: string, limit: number): Promise<void> {
  if (limit <= 0) return;
  const steps = (await readdir(outputDir))
    .map((n) => /^checkpoint-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  for (const step of steps.slice(0, Math.max(0, steps.length - limit))) await rm(checkpointDir(outputDir, step), { recursive: true, force: true });
}
