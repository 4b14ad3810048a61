import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '@molrl/sandbox-reward';
import { setBackend } from '@molrl/tensor';
import { ModelRollouts, OpenAIRollouts, vllmLoraSync, type RolloutRequest } from './rollout.js';
import { sandboxReward, scoreRewards } from './rewards.js';
import { EOS, charCodec, tinySetup } from './test-model.test-util.js';
import { GrpoTrainer } from './trainer.js';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A local server answering like vLLM's OpenAI-compatible API; it records each request body. */
function openAIServer(): Promise<{ server: Server; url: string; bodies: Record<string, unknown>[] }> {
  const bodies: Record<string, unknown>[] = [];
  const read = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString()));
      req.on('end', () => resolve(data));
    });
  const server = createServer(async (req, res) => {
    const body = JSON.parse(await read(req)) as Record<string, unknown>;
    bodies.push({ ...body, path: req.url });
    const n = body.n as number;
    // Completion i of a prompt: i + 1 'a's; the last one runs into max_tokens.
    const text = (i: number) => 'a'.repeat(i === n - 1 ? (body.max_tokens as number) + 3 : i + 1);
    const reason = (i: number) => (i === n - 1 ? 'length' : 'stop');
    // Model 'tiny-ids' answers return_token_ids as vLLM does: the sampled ids (here 1 per 'a', so they differ
    // from the text's re-encoding), EOS included when it stopped on it.
    const ids = (i: number) =>
      body.model === 'tiny-ids' && body.return_token_ids === true
        ? { token_ids: [...Array<number>(text(i).length).fill(1), ...(reason(i) === 'stop' ? [EOS] : [])] }
        : {};
    res.setHeader('content-type', 'application/json');
    if (req.url === '/v1/load_lora_adapter' || req.url === '/v1/unload_lora_adapter') {
      res.end('"Success"');
    } else if (req.url === '/v1/completions') {
      res.end(
        JSON.stringify({
          id: 'c',
          object: 'text_completion',
          created: 0,
          model: body.model,
          choices: Array.from({ length: n }, (_, i) => ({
            index: n - 1 - i,
            text: text(n - 1 - i),
            finish_reason: reason(n - 1 - i),
            logprobs: null,
            ...ids(n - 1 - i),
          })),
        }),
      );
    } else if (req.url === '/v1/chat/completions') {
      res.end(
        JSON.stringify({
          id: 'c',
          object: 'chat.completion',
          created: 0,
          model: body.model,
          choices: Array.from({ length: n }, (_, i) => ({
            index: i,
            message: { role: 'assistant', content: text(i) },
            finish_reason: reason(i),
            ...ids(i),
          })),
        }),
      );
    } else {
      res.statusCode = 404;
      res.end(JSON.stringify({ error: { message: `no route ${req.url}` } }));
    }
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, bodies }),
    ),
  );
}

const sampling = { temperature: 0.9, topP: 0.95, topK: 20, minP: 0, repetitionPenalty: 1 };

describe('OpenAIRollouts against a local OpenAI-compatible server', () => {
  let srv: Awaited<ReturnType<typeof openAIServer>>;
  beforeAll(async () => {
    srv = await openAIServer();
  });
  afterAll(() => srv.server.close());

  const request = (chat: boolean): RolloutRequest => ({
    prompts: [
      {
        ids: charCodec.encode('abc'),
        text: 'abc',
        ...(chat ? { messages: [{ role: 'user' as const, content: 'abc' }] } : {}),
      },
      {
        ids: charCodec.encode('xyz'),
        text: 'xyz',
        ...(chat ? { messages: [{ role: 'user' as const, content: 'xyz' }] } : {}),
      },
    ],
    numGenerations: 3,
    maxCompletionLength: 5,
    sampling,
    seed: 11,
  });

  it('/v1/completions: n per prompt, sampling fields sent, choices in index order, EOS added on stop, cut at the limit', async () => {
    const source = new OpenAIRollouts({ baseURL: srv.url, model: 'tiny', codec: charCodec, eosTokenId: EOS });
    const out = await source.generate(request(false));
    expect(out.length).toBe(2);
    expect(out[0]!.map((c) => c.ids)).toEqual([
      [0, EOS],
      [0, 0, EOS],
      [0, 0, 0, 0, 0],
    ]);
    const body = srv.bodies.find((b) => b.path === '/v1/completions' && b.prompt === 'xyz')!;
    expect(body).toMatchObject({ model: 'tiny', n: 3, max_tokens: 5, temperature: 0.9, top_p: 0.95, top_k: 20 });
  });

  it("takes the server's sampled token ids when it gives them, and re-encodes only when told or when it does not", async () => {
    const source = (model: string, tokenIds?: 'auto' | 'server' | 'reencode', endpoint?: 'chat') =>
      new OpenAIRollouts({ baseURL: srv.url, model, codec: charCodec, eosTokenId: EOS, tokenIds, endpoint });
    const served = [
      [1, EOS],
      [1, 1, EOS],
      [1, 1, 1, 1, 1],
    ];
    expect((await source('tiny-ids').generate(request(false)))[0]!.map((c) => c.ids)).toEqual(served);
    expect((await source('tiny-ids', 'server', 'chat').generate(request(true)))[1]!.map((c) => c.ids)).toEqual(served);
    const reencoded = [
      [0, EOS],
      [0, 0, EOS],
      [0, 0, 0, 0, 0],
    ];
    expect((await source('tiny-ids', 'reencode').generate(request(false)))[0]!.map((c) => c.ids)).toEqual(reencoded);
    expect(srv.bodies.at(-1)).not.toHaveProperty('return_token_ids');
    // A server without the field: 'auto' re-encodes, 'server' says what it needs.
    expect((await source('tiny').generate(request(false)))[0]!.map((c) => c.ids)).toEqual(reencoded);
    expect(srv.bodies.at(-1)).toMatchObject({ return_token_ids: true });
    await expect(source('tiny', 'server').generate(request(false))).rejects.toThrow(
      /the server gave no token_ids for prompt 0 \(tokenIds: 'server' needs a server that answers return_token_ids/,
    );
  });

  it('/v1/chat/completions on chat prompts', async () => {
    const source = new OpenAIRollouts({
      baseURL: srv.url,
      model: 'tiny',
      codec: charCodec,
      eosTokenId: EOS,
      endpoint: 'chat',
    });
    const out = await source.generate(request(true));
    expect(out[1]!.map((c) => c.text)).toEqual(['a', 'aa', 'aaaaaaaa']);
    expect(
      srv.bodies.some(
        (b) => b.path === '/v1/chat/completions' && JSON.stringify(b.messages) === '[{"role":"user","content":"xyz"}]',
      ),
    ).toBe(true);
    await expect(source.generate(request(false))).rejects.toThrow(
      /prompt 0 is plain text; the chat endpoint needs chat messages/,
    );
  });

  it('a prompt cut to maxPromptLength reaches the server as the ids the trainer scores, not the whole text', async () => {
    const cut = {
      ids: charCodec.encode('lmn'),
      text: 'jklmn',
      messages: [{ role: 'user' as const, content: 'jklmn' }],
      truncated: true,
    };
    const whole = { ids: charCodec.encode('xyz'), text: 'xyz', messages: [{ role: 'user' as const, content: 'xyz' }] };
    const req: RolloutRequest = { ...request(true), prompts: [cut, whole] };
    const before = srv.bodies.length;
    await new OpenAIRollouts({ baseURL: srv.url, model: 'tiny', codec: charCodec, eosTokenId: EOS }).generate(req);
    await new OpenAIRollouts({
      baseURL: srv.url,
      model: 'tiny',
      codec: charCodec,
      eosTokenId: EOS,
      endpoint: 'chat',
    }).generate(req);
    const sent = srv.bodies.slice(before);
    // /v1/completions takes a list of token ids as its prompt; the whole one goes as text.
    expect(sent.filter((b) => b.path === '/v1/completions').map((b) => b.prompt)).toEqual([cut.ids, 'xyz']);
    // The chat endpoint renders the messages itself: vLLM cuts them to the same last tokens.
    const chat = sent.filter((b) => b.path === '/v1/chat/completions');
    expect(chat.map((b) => b.truncate_prompt_tokens)).toEqual([3, undefined]);
    expect(sent.filter((b) => b.path === '/v1/completions').every((b) => !('truncate_prompt_tokens' in b))).toBe(true);
  });

  it('GrpoTrainer marks the prompts it cuts, so a server samples after the same tokens', async () => {
    await setBackend('cpu');
    const { model, lora } = tinySetup();
    const before = srv.bodies.length;
    const trainer = new GrpoTrainer({
      model,
      lora,
      codec: charCodec,
      train: [{ prompt: 'abcdefgh' }, { prompt: 'xyz' }],
      rewardFunctions: [{ name: 'length', score: ({ completionIds }) => completionIds.map((ids) => ids.length) }],
      rollouts: new OpenAIRollouts({ baseURL: srv.url, model: 'tiny', codec: charCodec, eosTokenId: EOS }),
      config: {
        outputDir: mkdtempSync(join(tmpdir(), 'grpo-cut-')),
        numGenerations: 3,
        globalBatchSize: 6,
        microBatchSize: 3,
        maxCompletionLength: 5,
        maxPromptLength: 4,
        maxSteps: 1,
        progress: 'silent',
      },
    });
    await trainer.trainLoop();
    const prompts = srv.bodies.slice(before).map((b) => b.prompt);
    expect(prompts).toEqual(expect.arrayContaining([charCodec.encode('efgh'), 'xyz']));
    expect(prompts.length).toBe(2);
  });

  it('drives a GRPO step: server text is re-encoded and scored under our model', async () => {
    await setBackend('cpu');
    const { model, lora } = tinySetup();
    const trainer = new GrpoTrainer({
      model,
      lora,
      codec: charCodec,
      train: [{ prompt: [{ role: 'user', content: 'abc' }] }, { prompt: [{ role: 'user', content: 'xyz' }] }],
      rewardFunctions: [{ name: 'length', score: ({ completionIds }) => completionIds.map((ids) => ids.length) }],
      rollouts: new OpenAIRollouts({
        baseURL: srv.url,
        model: 'tiny',
        codec: charCodec,
        eosTokenId: EOS,
        endpoint: 'chat',
      }),
      config: {
        outputDir: mkdtempSync(join(tmpdir(), 'grpo-openai-')),
        numGenerations: 3,
        globalBatchSize: 6,
        microBatchSize: 3,
        maxCompletionLength: 5,
        maxSteps: 1,
        progress: 'silent',
      },
    });
    const { steps } = await trainer.trainLoop();
    expect(steps[0]!['completions/mean_length']).toBeCloseTo((2 + 3 + 5) / 3, 6);
    expect(steps[0]!['completions/clipped_ratio']).toBeCloseTo(1 / 3, 6);
    expect(steps[0]!['rewards/length/mean']).toBeCloseTo((2 + 3 + 5) / 3, 6);
    expect(Number.isFinite(steps[0]!.loss)).toBe(true);
  });

  it('vllmLoraSync swaps the trained adapter into the server before each rollout batch', async () => {
    await setBackend('cpu');
    const { model, lora } = tinySetup();
    const adapterDir = mkdtempSync(join(tmpdir(), 'grpo-sync-'));
    const before = srv.bodies.length;
    const trainer = new GrpoTrainer({
      model,
      lora,
      codec: charCodec,
      train: [{ prompt: 'abc' }],
      rewardFunctions: [{ name: 'length', score: ({ completionIds }) => completionIds.map((ids) => ids.length) }],
      rollouts: new OpenAIRollouts({
        baseURL: srv.url,
        model: 'policy',
        codec: charCodec,
        eosTokenId: EOS,
        syncPolicy: vllmLoraSync({ baseURL: srv.url, loraName: 'policy', adapterDir }),
      }),
      config: {
        outputDir: mkdtempSync(join(tmpdir(), 'grpo-sync-out-')),
        numGenerations: 3,
        globalBatchSize: 3,
        microBatchSize: 3,
        maxCompletionLength: 5,
        maxSteps: 2,
        progress: 'silent',
      },
    });
    await trainer.trainLoop();
    const calls = srv.bodies.slice(before).map((b) => `${String(b.path)} ${String(b.lora_path ?? b.model)}`);
    expect(calls).toEqual([
      `/v1/load_lora_adapter ${adapterDir}/step-0`,
      '/v1/completions policy',
      '/v1/unload_lora_adapter undefined',
      `/v1/load_lora_adapter ${adapterDir}/step-1`,
      '/v1/completions policy',
    ]);
    expect(existsSync(join(adapterDir, 'step-1', 'adapter_model.safetensors'))).toBe(true);
  });
});

describe('ModelRollouts', () => {
  it('samples G completions per prompt with the KV cache, seeded, at most maxCompletionLength tokens', async () => {
    await setBackend('cpu');
    const { model } = tinySetup();
    const source = new ModelRollouts(model, charCodec);
    const req: RolloutRequest = {
      prompts: [
        { ids: [1, 2, 3], text: 'bcd' },
        { ids: [4], text: 'e' },
      ],
      numGenerations: 4,
      maxCompletionLength: 7,
      sampling,
      seed: 5,
    };
    const a = await source.generate(req);
    const b = await source.generate(req);
    expect(a).toEqual(b);
    expect(a.map((g) => g.length)).toEqual([4, 4]);
    for (const c of a.flat()) {
      expect(c.ids.length).toBeLessThanOrEqual(7);
      expect(c.text).toBe(charCodec.decode(c.ids));
    }
    expect(new Set(a[0]!.map((c) => c.ids.join(','))).size).toBeGreaterThan(1);
  });
});

describe('sandboxReward', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await createSandbox({ workers: 2, warmPython: false, pythonStandby: false });
  });
  afterAll(async () => {
    await sandbox.close();
  });

  it('scores code completions with the multi-stage and binary rewards, weighted, each kept apart', async () => {
    const completions = [
      '```js\nfinalAnswer(6 * 7)\n```',
      '```js\nfinalAnswer(41)\n```',
      '```js\nthrow new Error("no")\n```',
      'no code here',
    ];
    const batch = {
      examples: completions.map(() => ({ prompt: 'what is 6 * 7?', answer: '42' })),
      completions,
      completionIds: completions.map(() => []),
    };
    const scores = await scoreRewards(
      [
        sandboxReward('multi-stage', { sandbox, language: 'javascript' }),
        sandboxReward('binary', { sandbox, language: 'javascript' }),
      ],
      batch,
      [1, 0.5],
    );
    expect([...scores.perFunction[0]!]).toEqual([1, 0.4, 0.1, 0]);
    expect([...scores.perFunction[1]!]).toEqual([1, 0, 0, 0]);
    expect([...scores.total]).toEqual([1.5, 0.4, 0.1, 0]);
  });

  it('checks the kind when the reward function is made', () => {
    // @ts-expect-error an unknown kind
    expect(() => sandboxReward('partial', { sandbox })).toThrow(/kind must be 'multi-stage' or 'binary'/);
    expect(sandboxReward('binary', { sandbox }).name).toBe('binary');
    expect(sandboxReward('multi-stage', { sandbox }).name).toBe('multi_stage');
  });

  it('names an example without the answer field', async () => {
    const reward = sandboxReward('binary', { sandbox, answerField: 'solution' });
    await expect(
      Promise.resolve(reward.score({ examples: [{ prompt: 'p' }], completions: ['x'], completionIds: [[]] })),
    ).rejects.toThrow(/example 0 has no field 'solution'/);
  });
});
