/**
 * Checking a run's base model before any work: the folder (or Hub snapshot)
 * must hold a Qwen3 config.json, safetensors with every weight the config
 * implies, and a tokenizer. The weights themselves are not read, so this
 * costs a fraction of a second on a local folder.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import {
  checkCheckpointHeaders,
  defaultStopTokenIds,
  GENERATION_CONFIG_FILE,
  isLocalDir,
  parseQwen3Config,
  resolveModelDir,
  SafetensorsCheckpoint,
  type Qwen3Config,
} from '@molrl/model';
import { ConfigError } from './config.js';
import { parseJsonText } from './json-file.js';
import { loadTokenizer } from './load.js';

/** A local path that does not exist must not be read as a Hub repo id. */
function looksLikePath(model: string): boolean {
  return isAbsolute(model) || /^(\.{1,2}|~)([/\\]|$)/.test(model) || model.includes('\\');
}

/**
 * `model` as a run records it: a local folder (or a path, existing or not) as an
 * absolute path, so that the run resumes from any working folder; a Hub id as given.
 */
export function recordedModel(model: string): string {
  return isLocalDir(model) || looksLikePath(model) ? resolve(model.replace(/^~(?=[/\\]|$)/, homedir())) : model;
}

/** A model examined: what is wrong with it, or its parsed config.json. */
type Examined = { problem: string; config?: undefined } | { problem: null; config: Qwen3Config };

async function examineModel(model: string): Promise<Examined> {
  const wrong = (problem: string): Examined => ({ problem });
  if (!isLocalDir(model) && looksLikePath(model))
    return wrong(existsSync(model) ? 'is not a folder' : 'no such folder');
  let dir: string;
  try {
    dir = await resolveModelDir(model);
  } catch (error) {
    // A Hub id has an owner ("Qwen/Qwen3-0.6B"); a bare name is more likely a mistyped local folder.
    const bare = !model.includes('/') ? `; there is no local folder '${model}' either` : '';
    return wrong((error as Error).message + bare);
  }
  const configPath = join(dir, 'config.json');
  if (!existsSync(configPath))
    return wrong(`${configPath} does not exist (a model folder holds config.json, *.safetensors and tokenizer.json)`);
  let config: Qwen3Config;
  try {
    config = parseQwen3Config(parseJsonText(readFileSync(configPath, 'utf8'), configPath), configPath);
  } catch (error) {
    return wrong((error as Error).message);
  }
  // What loading the model checks before it reads the weights' data: their headers against config.json, the
  // stop tokens of generation_config.json, and a tokenizer whose ids the embedding covers.
  try {
    const checkpoint = await SafetensorsCheckpoint.open(dir);
    try {
      checkCheckpointHeaders(checkpoint, config, dir);
    } finally {
      await checkpoint.close();
    }
    const generationPath = join(dir, GENERATION_CONFIG_FILE);
    if (existsSync(generationPath))
      defaultStopTokenIds(config, parseJsonText(readFileSync(generationPath, 'utf8'), generationPath), generationPath);
    const tokenizerPath = join(dir, 'tokenizer.json');
    if (isLocalDir(model) && !existsSync(tokenizerPath)) return wrong(`${tokenizerPath} does not exist`);
    const tokenizer = await loadTokenizer(model);
    if (tokenizer.vocabSize > config.vocab_size)
      return wrong(
        `${tokenizerPath}: the tokenizer has ${tokenizer.vocabSize} ids, more than config.json's vocab_size ${config.vocab_size} (ids past it have no embedding)`,
      );
  } catch (error) {
    return wrong((error as Error).message);
  }
  return { problem: null, config };
}

/**
 * What is wrong with `model` (a local folder or a Hub repo id) as a run's base
 * model, or null when nothing is. A Hub id is downloaded into the cache (as
 * loading it would).
 */
export async function modelProblem(model: string): Promise<string | null> {
  return (await examineModel(model)).problem;
}

/** `modelProblem` as an error: `<where> '<model>': <problem>`; the model's config when nothing is wrong. */
export async function checkModel(model: string, where: string): Promise<Qwen3Config> {
  const examined = await examineModel(model);
  if (examined.problem !== null) throw new ConfigError(`${where} '${model}': ${examined.problem}`);
  return examined.config;
}

/**
 * A LoRA rank above the smallest side of a matrix it adapts adds parameters and
 * no capacity (the update's rank is at most that side); such a rank is a
 * mistake, and a large one would allocate for minutes. An error naming both.
 * `modelConfig` is what `checkModel` returns.
 */
export function checkLoraRank(modelConfig: Qwen3Config, rank: number, where: string): void {
  const c = modelConfig;
  const sides = {
    hidden_size: c.hidden_size,
    intermediate_size: c.intermediate_size,
    'num_attention_heads x head_dim': c.num_attention_heads * c.head_dim,
    'num_key_value_heads x head_dim': c.num_key_value_heads * c.head_dim,
  };
  const [name, side] = Object.entries(sides).sort((a, b) => a[1] - b[1])[0]!;
  if (rank > side)
    throw new ConfigError(
      `${where}: lora.r must be at most ${side} (the model's ${name}, the smallest side of the matrices LoRA adapts), got ${rank}`,
    );
}
