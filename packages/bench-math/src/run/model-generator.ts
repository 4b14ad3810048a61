/**
 * A Generator over our own model: a causal LM with `generate(inputIds,
 * options)` (`@molrl/model`'s Qwen3ForCausalLM) and a tokenizer with a chat
 * template (`@molrl/tokenize`'s Tokenizer). Typed structurally, so this
 * package does not pull in the model stack; any object with these methods works.
 */
import { checkOptionNames, type OptionKeys } from '@molrl/hub-cache';
import { toMessages, validateProfile, type GenerateOptions, type Generator, type Prompt } from './generator.js';

export interface CausalLM {
  generate(
    inputIds: number[][],
    options: {
      maxNewTokens: number;
      temperature?: number;
      topP?: number;
      topK?: number;
      presencePenalty?: number;
      seed?: number;
      stopTokenIds?: number[];
      /** Stops generation at the next token (`@molrl/model` yields between tokens while one is given). */
      signal?: AbortSignal;
    },
  ): Promise<number[][]>;
}

export interface ChatTokenizer {
  applyChatTemplate(
    messages: Array<{ role: string; content: string }>,
    options: { addGenerationPrompt?: boolean; enableThinking?: boolean },
  ): string;
  encode(text: string, options?: { addSpecialTokens?: boolean }): number[];
  decode(ids: ArrayLike<number>, options?: { skipSpecialTokens?: boolean }): string;
}

export interface ModelGeneratorOptions {
  /** Shown in reports (default "molrl-model"). */
  name?: string;
  /** Prompts per `model.generate` call (default 4). */
  batchSize?: number;
  /** Cap on new tokens, below the profile's (a small CPU model cannot write 30k tokens). */
  maxNewTokens?: number;
  /** Tokens that end a completion (default: the model's eos). */
  stopTokenIds?: number[];
  system?: string;
}

const MODEL_GENERATOR_OPTION_KEYS = {
  name: true,
  batchSize: true,
  maxNewTokens: true,
  stopTokenIds: true,
  system: true,
} satisfies OptionKeys<ModelGeneratorOptions>;

export function modelGenerator(
  model: CausalLM,
  tokenizer: ChatTokenizer,
  options: ModelGeneratorOptions = {},
): Generator {
  checkOptionNames(options, Object.keys(MODEL_GENERATOR_OPTION_KEYS), 'modelGenerator');
  const batchSize = options.batchSize ?? 4;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`modelGenerator: batchSize must be an integer >= 1, got ${batchSize}`);
  return {
    name: options.name ?? 'molrl-model',
    async generate(prompts: Prompt[], o: GenerateOptions): Promise<string[]> {
      validateProfile(o, 'modelGenerator');
      const out: string[] = [];
      for (let start = 0; start < prompts.length; start += batchSize) {
        o.signal?.throwIfAborted();
        const batch = prompts.slice(start, start + batchSize);
        const ids = batch.map((p) =>
          tokenizer.encode(
            tokenizer.applyChatTemplate(toMessages(p, options.system), {
              addGenerationPrompt: true,
              enableThinking: o.thinking,
            }),
            {
              addSpecialTokens: false,
            },
          ),
        );
        const generated = await model.generate(ids, {
          maxNewTokens: Math.min(o.maxTokens, options.maxNewTokens ?? o.maxTokens),
          temperature: o.temperature,
          topP: o.topP,
          topK: o.topK,
          presencePenalty: o.presencePenalty,
          // Each prompt its own seed: its completion depends on it alone, not on the batch it falls in
          // (a resumed evaluation, which batches only what its cache lacks, draws the same completions).
          ...(o.seeds ? { seeds: o.seeds.slice(start, start + batch.length) } : { seed: start }),
          ...(options.stopTokenIds ? { stopTokenIds: options.stopTokenIds } : {}),
          // Per token: Ctrl-C stops a long generation at the next token.
          ...(o.signal ? { signal: o.signal } : {}),
        });
        for (const g of generated) out.push(tokenizer.decode(g, { skipSpecialTokens: true }));
      }
      return out;
    },
  };
}
