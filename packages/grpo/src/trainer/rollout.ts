/**
 * Rollout sources: where the G completions of each prompt come from. Either our
 * own model's KV-cache generation (`ModelRollouts`) or any OpenAI-compatible
 * inference server (`OpenAIRollouts`: vLLM, SGLang, ...) through the `openai`
 * client, as the paper did with vLLM. A server returns text; it is encoded
 * with the same tokenizer so the trainer scores exactly those tokens, and a
 * completion the server ended with a stop token gets the EOS id back.
 */
import OpenAI from 'openai';
import type { Qwen3ForCausalLM } from '@molrl/model';
import type { LoraHandle } from '@molrl/lora';
import type { ChatMessage } from './rewards.js';

/** The part of a tokenizer the trainer uses (`@molrl/tokenize`'s `Tokenizer` fits). */
export interface TextCodec {
  encode(text: string): number[];
  decode(ids: number[]): string;
  /** Renders chat messages as the model's prompt text (needed for chat prompts). */
  applyChatTemplate?(messages: ChatMessage[], options: { addGenerationPrompt?: boolean }): string;
}

export interface SamplingConfig {
  temperature: number;
  topP: number;
  /** 0 = off. */
  topK: number;
  /** 0 = off. */
  minP: number;
  repetitionPenalty: number;
}

export interface RolloutPrompt {
  /** The prompt as token ids (after the chat template, left-truncated to maxPromptLength). */
  ids: number[];
  /** The prompt text the ids came from. */
  text: string;
  /** The messages, for chat prompts. */
  messages?: ChatMessage[];
  /**
   * True when `ids` are only the last tokens of the text's encoding (cut to
   * maxPromptLength): a server must then sample after those ids, not the whole text.
   */
  truncated?: boolean;
}

export interface RolloutRequest {
  prompts: readonly RolloutPrompt[];
  numGenerations: number;
  maxCompletionLength: number;
  sampling: SamplingConfig;
  /** Seed of this batch's sampling. */
  seed: number;
  /** Fires on Ctrl-C: stop generating (rejecting with its reason) at the next safe point. */
  signal?: AbortSignal;
}

export interface Completion {
  ids: number[];
  text: string;
}

export interface RolloutSource {
  readonly name: string;
  /** Completions grouped by prompt: `result[p][g]`. */
  generate(request: RolloutRequest): Promise<Completion[][]>;
  /**
   * Called by the trainer before each rollout batch: a server-side source
   * loads the current adapter here so it samples from the policy being trained.
   */
  syncPolicy?(lora: LoraHandle, step: number): Promise<void>;
}

export interface ModelRolloutsOptions {
  /** Stop tokens (default the model config's eos_token_id). */
  eosTokenIds?: number[];
  /** Rows generated together (default all of a batch). */
  generationBatchSize?: number;
  onStep?: (step: number) => void;
}

/** Rollouts from our own model (KV cache, seeded samplers), with the adapter as it is (on). */
export class ModelRollouts implements RolloutSource {
  readonly name = 'model';
  constructor(
    readonly model: Qwen3ForCausalLM,
    readonly codec: TextCodec,
    readonly options: ModelRolloutsOptions = {},
  ) {}

  async generate(request: RolloutRequest): Promise<Completion[][]> {
    const rows = request.prompts.flatMap((p) => new Array<number[]>(request.numGenerations).fill(p.ids));
    const chunk = this.options.generationBatchSize ?? rows.length;
    const out: number[][] = [];
    const wasTraining = this.model.module.training;
    this.model.eval();
    try {
      for (let i = 0; i < rows.length; i += chunk) {
        const s = request.sampling;
        const ids = await this.model.generate(rows.slice(i, i + chunk), {
          maxNewTokens: request.maxCompletionLength,
          temperature: s.temperature,
          topP: s.topP,
          ...(s.topK > 0 ? { topK: s.topK } : {}),
          ...(s.minP > 0 ? { minP: s.minP } : {}),
          ...(s.repetitionPenalty !== 1 ? { repetitionPenalty: s.repetitionPenalty } : {}),
          // Each chunk its own streams: rows within a generate call draw from (seed, row).
          seed: request.seed + i,
          ...(this.options.eosTokenIds ? { stopTokenIds: this.options.eosTokenIds } : {}),
          ...(this.options.onStep ? { onStep: this.options.onStep } : {}),
          ...(request.signal ? { signal: request.signal } : {}),
        });
        out.push(...ids);
      }
    } finally {
      if (wasTraining) this.model.train();
    }
    return request.prompts.map((_, p) =>
      out
        .slice(p * request.numGenerations, (p + 1) * request.numGenerations)
        .map((ids) => ({ ids, text: this.codec.decode(ids) })),
    );
  }
}

export interface OpenAIRolloutsOptions {
  /** A ready client, or the server's base URL (`http://host:8000/v1`). */
  client?: OpenAI;
  baseURL?: string;
  apiKey?: string;
  /** The served model's name. */
  model: string;
  /** '/v1/completions' on the prompt text (default; what TRL's vLLM path does) or '/v1/chat/completions' on the messages. */
  endpoint?: 'completions' | 'chat';
  /** The tokenizer of the trained model (the server must serve the same). */
  codec: TextCodec;
  /** The EOS id appended when the server reports finish_reason 'stop' (and its ids do not end with it). */
  eosTokenId: number;
  /**
   * Where a completion's token ids come from. 'auto' (default): the server's own
   * (`return_token_ids`, vLLM >= 0.10.2, whose choices then carry `token_ids`),
   * else the text re-encoded with `codec`; 'server': the server's, an error when
   * it gives none; 'reencode': always the text re-encoded (the request asks for no
   * ids). The sampled ids are what GRPO must score: re-encoded text can tokenize
   * differently from what the server sampled.
   */
  tokenIds?: 'auto' | 'server' | 'reencode';
  /** Requests in flight at once (default 8). */
  concurrency?: number;
  /** Brings the server's policy up to date with the adapter (e.g. `vllmLoraSync(...)`); without it the server keeps its own weights. */
  syncPolicy?: (lora: LoraHandle, step: number) => Promise<void>;
}

/** One choice of a server's answer: its text, why it ended, and the sampled ids when the server gave them. */
interface ServerChoice {
  text: string;
  reason: string | null | undefined;
  index: number;
  tokenIds?: number[];
}

/** A choice's `token_ids` (vLLM's field beyond OpenAI's), checked; undefined when absent. */
function servedIds(choice: object, prompt: number): number[] | undefined {
  const ids = (choice as { token_ids?: unknown }).token_ids;
  if (ids === undefined || ids === null) return undefined;
  if (!Array.isArray(ids) || !ids.every((id) => Number.isInteger(id) && id >= 0))
    throw new Error(
      `OpenAIRollouts: the server's token_ids for prompt ${prompt} are not a list of token ids (got ${JSON.stringify(ids).slice(0, 80)})`,
    );
  return ids as number[];
}

/** Rollouts from an OpenAI-compatible server: one request per prompt with `n` = numGenerations. */
export class OpenAIRollouts implements RolloutSource {
  readonly name = 'openai';
  readonly client: OpenAI;
  constructor(readonly options: OpenAIRolloutsOptions) {
    if (!options.client && !options.baseURL) throw new Error('OpenAIRollouts: give a client or a baseURL');
    if (!options.model) throw new Error('OpenAIRollouts: model (the served model name) is required');
    this.client = options.client ?? new OpenAI({ baseURL: options.baseURL, apiKey: options.apiKey ?? 'EMPTY' });
    if (options.syncPolicy) this.syncPolicy = options.syncPolicy;
  }

  syncPolicy?: (lora: LoraHandle, step: number) => Promise<void>;

  private finish(choice: ServerChoice, max: number, index: number): Completion {
    const mode = this.options.tokenIds ?? 'auto';
    const served = mode !== 'reencode' ? choice.tokenIds : undefined;
    if (mode === 'server' && served === undefined)
      throw new Error(
        `OpenAIRollouts: the server gave no token_ids for prompt ${index} (tokenIds: 'server' needs a server that answers return_token_ids, e.g. vLLM >= 0.10.2); use tokenIds 'auto' or 'reencode' to re-encode the text`,
      );
    const ids = served ? [...served] : this.options.codec.encode(choice.text);
    const eos = this.options.eosTokenId;
    if (choice.reason === 'stop' && ids.length < max && ids.at(-1) !== eos) ids.push(eos);
    return { ids: ids.slice(0, max), text: choice.text };
  }

  private async one(prompt: RolloutPrompt, request: RolloutRequest, index: number): Promise<Completion[]> {
    const s = request.sampling;
    // vLLM and SGLang read these sampling fields beyond OpenAI's own.
    const extra: Record<string, number | boolean> = {};
    if (s.topK > 0) extra.top_k = s.topK;
    if (s.minP > 0) extra.min_p = s.minP;
    if (s.repetitionPenalty !== 1) extra.repetition_penalty = s.repetitionPenalty;
    if ((this.options.tokenIds ?? 'auto') !== 'reencode') extra.return_token_ids = true;
    // A cut prompt: the server must sample after the ids the trainer scores (as TRL
    // passes vLLM truncate_prompt_tokens), else the completions are off-policy.
    if (prompt.truncated && (this.options.endpoint ?? 'completions') === 'chat')
      extra.truncate_prompt_tokens = prompt.ids.length;
    const common = {
      model: this.options.model,
      n: request.numGenerations,
      temperature: s.temperature,
      top_p: s.topP,
      seed: request.seed + index,
      ...extra,
    };
    const max = request.maxCompletionLength;
    let choices: ServerChoice[];
    if ((this.options.endpoint ?? 'completions') === 'chat') {
      if (!prompt.messages)
        throw new Error(`OpenAIRollouts: prompt ${index} is plain text; the chat endpoint needs chat messages`);
      const res = await this.client.chat.completions.create(
        { ...common, messages: prompt.messages, max_tokens: max } as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming,
        { signal: request.signal },
      );
      choices = res.choices.map((c) => ({
        text: c.message.content ?? '',
        reason: c.finish_reason,
        index: c.index,
        tokenIds: servedIds(c, index),
      }));
    } else {
      const res = await this.client.completions.create(
        // A cut prompt goes as its token ids (the completions API takes a list of ids).
        { ...common, prompt: prompt.truncated ? prompt.ids : prompt.text, max_tokens: max },
        { signal: request.signal },
      );
      choices = res.choices.map((c) => ({
        text: c.text,
        reason: c.finish_reason,
        index: c.index,
        tokenIds: servedIds(c, index),
      }));
    }
    if (choices.length !== request.numGenerations) {
      throw new Error(
        `OpenAIRollouts: the server returned ${choices.length} choices for prompt ${index}, expected n = ${request.numGenerations}`,
      );
    }
    return choices.sort((a, b) => a.index - b.index).map((c) => this.finish(c, max, index));
  }

  async generate(request: RolloutRequest): Promise<Completion[][]> {
    const out = new Array<Completion[]>(request.prompts.length);
    let next = 0;
    const worker = async () => {
      while (next < request.prompts.length) {
        const i = next++;
        out[i] = await this.one(request.prompts[i]!, request, i);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency ?? 8, request.prompts.length) }, worker));
    return out;
  }
}

export interface VllmLoraSyncOptions {
  /** The server's base URL, as for OpenAIRollouts (`http://host:8000/v1`). */
  baseURL: string;
  /** The name the adapter is served under: use it as OpenAIRollouts' `model`. */
  loraName: string;
  /** A folder the server can read (shared disk): the adapter is saved to `<dir>/step-<n>`. */
  adapterDir: string;
  apiKey?: string;
}

/**
 * Keeps a vLLM server sampling from the adapter being trained: saves the
 * adapter in PEFT's format and swaps it in through vLLM's runtime LoRA API
 * (`/v1/unload_lora_adapter`, then `/v1/load_lora_adapter`; the server needs
 * `--enable-lora` and `VLLM_ALLOW_RUNTIME_LORA_UPDATING=True`).
 */
export function vllmLoraSync(options: VllmLoraSyncOptions): (lora: LoraHandle, step: number) => Promise<void> {
  const root = options.baseURL.replace(/\/+$/, '');
  const headers = {
    'content-type': 'application/json',
    ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
  };
  let loaded = false;
  return async (lora, step) => {
    const path = `${options.adapterDir.replace(/\/+$/, '')}/step-${step}`;
    await lora.save(path);
    if (loaded) {
      const res = await fetch(`${root}/unload_lora_adapter`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ lora_name: options.loraName }),
      });
      if (!res.ok)
        throw new Error(`vllmLoraSync: ${root}/unload_lora_adapter answered ${res.status}: ${await res.text()}`);
    }
    const res = await fetch(`${root}/load_lora_adapter`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ lora_name: options.loraName, lora_path: path }),
    });
    if (!res.ok) throw new Error(`vllmLoraSync: ${root}/load_lora_adapter answered ${res.status}: ${await res.text()}`);
    loaded = true;
  };
}
