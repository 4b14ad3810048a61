import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChatServer, type ChatServer } from './chat-server.js';
import { PAPER_PROFILE } from './generator.js';
import { openaiGenerator } from './openai-generator.js';

describe('openaiGenerator against a local chat-completions server', () => {
  let server: ChatServer;
  let inFlight = 0;
  let maxInFlight = 0;
  beforeAll(async () => {
    server = await startChatServer(
      async (body) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 20));
        inFlight--;
        const last = body.messages[body.messages.length - 1]!.content;
        if (last.includes('reason')) return { reasoning: 'thinking hard', content: 'so \\boxed{7}' };
        return `echo: ${last}`;
      },
      { models: ['qwen3-8b'], apiKey: 'secret' },
    );
  });
  afterAll(() => server.close());

  it('sends the paper profile with vLLM extensions and returns completions in order', async () => {
    const gen = openaiGenerator({
      baseURL: server.url,
      model: 'qwen3-8b',
      apiKey: 'secret',
      concurrency: 3,
      system: 'Be brief.',
    });
    const prompts = Array.from({ length: 7 }, (_, i) => `q${i}`);
    const out = await gen.generate(prompts, { ...PAPER_PROFILE, seeds: prompts.map((_, i) => 100 + i) });
    expect(out).toEqual(prompts.map((p) => `echo: ${p}`));
    expect(maxInFlight).toBeLessThanOrEqual(3);
    expect(maxInFlight).toBeGreaterThan(1);
    const body = server.requests.find((r) => r.messages.some((m) => m.content === 'q2'))!;
    expect(body).toMatchObject({
      model: 'qwen3-8b',
      temperature: 0.6,
      top_p: 0.95,
      top_k: 20,
      presence_penalty: 1,
      max_tokens: 30720,
      seed: 102,
      chat_template_kwargs: { enable_thinking: true },
    });
    expect(body.messages[0]).toEqual({ role: 'system', content: 'Be brief.' });
  });

  it('puts separately returned reasoning back in a think block', async () => {
    const gen = openaiGenerator({ baseURL: server.url, model: 'qwen3-8b', apiKey: 'secret' });
    const [c] = await gen.generate(['please reason'], { ...PAPER_PROFILE, thinking: false });
    expect(c).toBe('<think>thinking hard</think>so \\boxed{7}');
  });

  it('leaves out extensions for the OpenAI API itself', async () => {
    const gen = openaiGenerator({ baseURL: server.url, model: 'qwen3-8b', apiKey: 'secret', extensions: false });
    await gen.generate(['plain'], PAPER_PROFILE);
    const body = server.requests[server.requests.length - 1]!;
    expect(body.top_k).toBeUndefined();
    expect(body.chat_template_kwargs).toBeUndefined();
  });

  it('surfaces server errors (unknown model, bad key)', async () => {
    await expect(
      openaiGenerator({ baseURL: server.url, model: 'nope', apiKey: 'secret', maxRetries: 0 }).generate(
        ['x'],
        PAPER_PROFILE,
      ),
    ).rejects.toThrow(/does not exist/);
    await expect(
      openaiGenerator({ baseURL: server.url, model: 'qwen3-8b', apiKey: 'wrong', maxRetries: 0 }).generate(
        ['x'],
        PAPER_PROFILE,
      ),
    ).rejects.toThrow(/invalid api key/);
  });

  it('rejects an invalid profile before sending anything', async () => {
    const before = server.requests.length;
    await expect(
      openaiGenerator({ baseURL: server.url, model: 'qwen3-8b' }).generate(['x'], { ...PAPER_PROFILE, topP: 0 }),
    ).rejects.toThrow(/topP must be in \(0, 1\]/);
    expect(server.requests.length).toBe(before);
  });
});
