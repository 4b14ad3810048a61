/**
 * Checking a run's base model before any work: the folder (or Hub snapshot)
 * must hold a Qwen3 config.json, safetensors with every weight the config
 * implies, and a tokenizer. The weights themselves are not read, so this
 * costs a fraction of a second on a local folder.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import {
  expectedWeightShapes,
  isLocalDir,
  parseQwen3Config,
  resolveModelDir,
  SafetensorsCheckpoint,
} from '@molrl/model';
import { ConfigError } from './config.js';
import { loadTokenizer } from './load.js';

/** A local path that does not exist must not be read as a Hub repo id. */
function looksLikePath(model: string): boolean {
  return isAbsolute(model) || /^(\.{1,2}|~)([/\\]|$)/.test(model) || model.includes('\\');
}

/**
 * What is wrong with `model` (a local folder or a Hub repo id) as a run's base
 * model, or null when nothing is. A Hub id is downloaded into the cache (as
 * loading it would).
 */
export async function modelProblem(model: string): Promise<string | null> {
  if (!isLocalDir(model) && looksLikePath(model)) return existsSync(model) ? 'is not a folder' : 'no such folder';
  let dir: string;
  try {
    dir = await resolveModelDir(model);
  } catch (error) {
    return (error as Error).message;
  }
  const configPath = join(dir, 'config.json');
  if (!existsSync(configPath))
    return `${configPath} does not exist (a model folder holds config.json, *.safetensors and tokenizer.json)`;
  let config: ReturnType<typeof parseQwen3Config>;
  try {
    config = parseQwen3Config(JSON.parse(readFileSync(configPath, 'utf8')), configPath);
  } catch (error) {
    return (error as Error).message;
  }
  try {
    const checkpoint = await SafetensorsCheckpoint.open(dir);
    try {
      const missing = [...expectedWeightShapes(config).keys()].filter((name) => !checkpoint.has(name));
      if (missing.length)
        return `${dir}: the weights lack ${missing.length} tensor(s) its config.json implies, e.g. ${missing.slice(0, 3).join(', ')}`;
    } finally {
      await checkpoint.close();
    }
    const tokenizerPath = join(dir, 'tokenizer.json');
    if (isLocalDir(model) && !existsSync(tokenizerPath)) return `${tokenizerPath} does not exist`;
    await loadTokenizer(model);
  } catch (error) {
    return (error as Error).message;
  }
  return null;
}

/** `modelProblem` as an error: `<where> '<model>': <problem>`. */
export async function checkModel(model: string, where: string): Promise<void> {
  const problem = await modelProblem(model);
  if (problem) throw new ConfigError(`${where} '${model}': ${problem}`);
}
