/**
 * The models of a run: the base model (a local folder or a Hub id) with its
 * tokenizer, and the same base with the run's adapters on top: MoL's adapter
 * merged in (the model GRPO starts from), then GRPO's adapter.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isLocalDir, Qwen3ForCausalLM } from '@molrl/model';
import { loadLora } from '@molrl/lora';
import { Tokenizer, type ChatMessage as TokenizerChatMessage } from '@molrl/tokenize';
import type { TextCodec } from '@molrl/grpo';
import type { RunFolder } from './run-folder.js';

export type Stage = 'base' | 'mol' | 'grpo';

export interface LoadedModel {
  model: Qwen3ForCausalLM;
  tokenizer: Tokenizer;
}

/** The tokenizer beside a model: a local folder's own (its absence an error naming the folder), else the Hub repo's. */
export async function loadTokenizer(model: string): Promise<Tokenizer> {
  if (!isLocalDir(model)) return Tokenizer.fromHub(model);
  if (!existsSync(join(model, 'tokenizer.json')))
    throw new Error(
      `${model}: the model folder has no tokenizer.json (the run needs the model's tokenizer beside its weights: copy tokenizer.json and tokenizer_config.json there)`,
    );
  return Tokenizer.fromFile(model);
}

export async function loadBase(model: string): Promise<LoadedModel> {
  const [m, tokenizer] = await Promise.all([Qwen3ForCausalLM.fromPretrained(model), loadTokenizer(model)]);
  return { model: m, tokenizer };
}

/** The base model with a stage's adapters applied and merged (for evaluation and as GRPO's start). */
export async function loadStage(run: RunFolder, model: string, stage: Stage): Promise<LoadedModel> {
  const loaded = await loadBase(model);
  if (stage === 'base') return loaded;
  (await loadLora(loaded.model, run.adapterDir('mol'))).mergeAndUnload();
  if (stage === 'grpo') (await loadLora(loaded.model, run.adapterDir('grpo'))).mergeAndUnload();
  return loaded;
}

/** The tokenizer as GRPO's text codec (chat prompts through the model's own chat template). */
export function textCodec(tokenizer: Tokenizer): TextCodec {
  return {
    encode: (text) => tokenizer.encode(text, { addSpecialTokens: false }),
    decode: (ids) => tokenizer.decode(ids, { skipSpecialTokens: true }),
    applyChatTemplate: (messages, options) => tokenizer.applyChatTemplate(messages as TokenizerChatMessage[], options),
  };
}
