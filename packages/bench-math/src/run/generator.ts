/**
 * What evaluation needs from a model: turn prompts into completions. Two
 * implementations ship: `openaiGenerator` (any OpenAI-compatible
 * chat-completions server: vLLM, SGLang, OpenAI) and `modelGenerator` (our own
 * `Qwen3ForCausalLM` with a `@molrl/tokenize` tokenizer).
 */

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** A prompt: a user message, or a whole conversation. */
export type Prompt = string | ChatMessage[];

/** Sampling settings of one evaluation. */
export interface SamplingProfile {
  temperature: number;
  topP: number;
  /** 0 = off. Not an OpenAI parameter: sent as vLLM's `top_k` extension. */
  topK: number;
  presencePenalty: number;
  /** Most new tokens per completion. */
  maxTokens: number;
  /** Qwen3 thinking mode (`enable_thinking` in the chat template). */
  thinking: boolean;
}

/** The paper's evaluation settings. */
export const PAPER_PROFILE: Readonly<SamplingProfile> = Object.freeze({
  temperature: 0.6,
  topP: 0.95,
  topK: 20,
  presencePenalty: 1.0,
  maxTokens: 30_720,
  thinking: true,
});

export interface GenerateOptions extends SamplingProfile {
  /** One seed per prompt (reproducible sampling where the backend supports it). */
  seeds?: number[];
  signal?: AbortSignal;
}

export interface Generator {
  /** Shown in reports (the model name). */
  readonly name: string;
  /** One completion per prompt, in order. A completion may contain a <think> block. */
  generate(prompts: Prompt[], options: GenerateOptions): Promise<string[]>;
}

export function toMessages(prompt: Prompt, system?: string): ChatMessage[] {
  const messages = typeof prompt === 'string' ? [{ role: 'user' as const, content: prompt }] : prompt;
  return system && !messages.some((m) => m.role === 'system')
    ? [{ role: 'system', content: system }, ...messages]
    : messages;
}

export function validateProfile(p: SamplingProfile, where = 'sampling profile'): void {
  const bad = (field: string, what: string) => {
    throw new RangeError(
      `${where}: ${field} must be ${what}, got ${String((p as unknown as Record<string, unknown>)[field])}`,
    );
  };
  // typeof first: '0.6' >= 0 is true in JavaScript.
  const isNumber = (v: unknown): v is number => typeof v === 'number' && !Number.isNaN(v);
  if (!(isNumber(p.temperature) && Number.isFinite(p.temperature) && p.temperature >= 0)) bad('temperature', '>= 0');
  if (!(isNumber(p.topP) && p.topP > 0 && p.topP <= 1)) bad('topP', 'in (0, 1]');
  if (!(Number.isInteger(p.topK) && p.topK >= 0)) bad('topK', 'an integer >= 0');
  if (!(isNumber(p.presencePenalty) && Number.isFinite(p.presencePenalty))) bad('presencePenalty', 'a finite number');
  if (!(Number.isInteger(p.maxTokens) && p.maxTokens > 0)) bad('maxTokens', 'an integer > 0');
  if (typeof p.thinking !== 'boolean') bad('thinking', 'a boolean');
}
