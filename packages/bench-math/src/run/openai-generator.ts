/**
 * A Generator over any OpenAI-compatible `/v1/chat/completions` server, with
 * the `openai` client. vLLM/SGLang extensions ride in the request body:
 * `top_k` and `chat_template_kwargs.enable_thinking`. A server that returns
 * the reasoning separately (`reasoning_content`, vLLM's reasoning parser) gets
 * it back inside a <think> block so extraction sees one text.
 */
import OpenAI from 'openai';
import { checkOptionNames, type OptionKeys } from '@molrl/hub-cache';
import { toMessages, validateProfile, type GenerateOptions, type Generator, type Prompt } from './generator.js';
import { mapConcurrent } from './limit.js';

export interface OpenAIGeneratorOptions {
  /** e.g. http://localhost:8000/v1 */
  baseURL: string;
  model: string;
  /** Default: $OPENAI_API_KEY, else "EMPTY" (vLLM accepts any key). */
  apiKey?: string;
  /** Requests in flight at once (default 8). */
  concurrency?: number;
  /** A system prompt added before prompts that have none. */
  system?: string;
  /** Send `top_k` and `chat_template_kwargs` (vLLM/SGLang); false for the OpenAI API itself (default true). */
  extensions?: boolean;
  /** Per-request timeout in ms (default 1 hour: long thinking runs take a while). */
  timeoutMs?: number;
  maxRetries?: number;
  fetch?: typeof fetch;
}

const OPENAI_GENERATOR_OPTION_KEYS = {
  baseURL: true,
  model: true,
  apiKey: true,
  concurrency: true,
  system: true,
  extensions: true,
  timeoutMs: true,
  maxRetries: true,
  fetch: true,
} satisfies OptionKeys<OpenAIGeneratorOptions>;

export function openaiGenerator(options: OpenAIGeneratorOptions): Generator {
  checkOptionNames(options, Object.keys(OPENAI_GENERATOR_OPTION_KEYS), 'openaiGenerator');
  if (!options.baseURL) throw new Error('openaiGenerator: baseURL is required');
  if (!options.model) throw new Error('openaiGenerator: model is required');
  const client = new OpenAI({
    baseURL: options.baseURL,
    apiKey: options.apiKey ?? process.env.OPENAI_API_KEY ?? 'EMPTY',
    timeout: options.timeoutMs ?? 3_600_000,
    maxRetries: options.maxRetries ?? 2,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const extensions = options.extensions ?? true;
  return {
    name: options.model,
    async generate(prompts: Prompt[], o: GenerateOptions): Promise<string[]> {
      validateProfile(o, 'openaiGenerator');
      return mapConcurrent(prompts, options.concurrency ?? 8, async (prompt, i) => {
        const body: Record<string, unknown> = {
          model: options.model,
          messages: toMessages(prompt, options.system),
          temperature: o.temperature,
          top_p: o.topP,
          presence_penalty: o.presencePenalty,
          max_tokens: o.maxTokens,
          n: 1,
        };
        if (o.seeds?.[i] !== undefined) body.seed = o.seeds[i];
        if (extensions) {
          if (o.topK > 0) body.top_k = o.topK;
          body.chat_template_kwargs = { enable_thinking: o.thinking };
        }
        const res = await client.chat.completions.create(
          body as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming,
          { signal: o.signal },
        );
        const choice = res.choices[0];
        if (!choice) throw new Error(`openaiGenerator: ${options.baseURL} returned no choices for prompt ${i}`);
        const message = choice.message as {
          content: string | null;
          reasoning_content?: string | null;
          reasoning?: string | null;
        };
        const reasoning = message.reasoning_content ?? message.reasoning ?? null;
        const content = message.content ?? '';
        return reasoning ? `<think>${reasoning}</think>${content}` : content;
      });
    },
  };
}
