/**
 * A minimal OpenAI-compatible chat-completions server (`POST
 * /v1/chat/completions`, `GET /v1/models`) whose answers come from a function.
 * It lets evaluation run end to end offline (the eval-openai example answers
 * from the gold data) and is what the client is tested against.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChatMessage } from './generator.js';

export interface ChatRequestBody {
  model: string;
  messages: ChatMessage[];
  [key: string]: unknown;
}

export interface ChatReply {
  content: string;
  /** Sent as `reasoning_content`, the way vLLM's reasoning parser does. */
  reasoning?: string;
}

export interface ChatServer {
  /** Base URL for the client, ending in /v1. */
  url: string;
  /** Every request body received, in order. */
  requests: ChatRequestBody[];
  close(): Promise<void>;
}

export interface ChatServerOptions {
  /** Model ids listed by /v1/models and accepted in requests (default: any). */
  models?: string[];
  /** Required `Authorization: Bearer` key (default: none). */
  apiKey?: string;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function error(res: ServerResponse, status: number, message: string, type = 'invalid_request_error'): void {
  sendJson(res, status, { error: { message, type, code: null, param: null } });
}

export async function startChatServer(
  respond: (body: ChatRequestBody) => ChatReply | string | Promise<ChatReply | string>,
  options: ChatServerOptions = {},
): Promise<ChatServer> {
  const requests: ChatRequestBody[] = [];
  let counter = 0;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`)
      return error(res, 401, 'invalid api key', 'authentication_error');
    if (req.method === 'GET' && url.pathname === '/v1/models') {
      return sendJson(res, 200, {
        object: 'list',
        data: (options.models ?? []).map((id) => ({ id, object: 'model', created: 0, owned_by: 'molrl' })),
      });
    }
    if (req.method !== 'POST' || url.pathname !== '/v1/chat/completions')
      return error(res, 404, `no route ${req.method} ${url.pathname}`);
    let body: ChatRequestBody;
    try {
      body = JSON.parse(await readBody(req)) as ChatRequestBody;
    } catch {
      return error(res, 400, 'the body is not valid JSON');
    }
    if (typeof body.model !== 'string' || !Array.isArray(body.messages) || body.messages.length === 0) {
      return error(res, 400, 'model (string) and messages (non-empty array) are required');
    }
    if (options.models && !options.models.includes(body.model))
      return error(res, 404, `model "${body.model}" does not exist`);
    if (body.stream) return error(res, 400, 'streaming is not supported by this server');
    requests.push(body);
    const reply = await respond(body);
    const r = typeof reply === 'string' ? { content: reply } : reply;
    counter++;
    sendJson(res, 200, {
      id: `chatcmpl-${counter}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: r.content,
            ...(r.reasoning !== undefined ? { reasoning_content: r.reasoning } : {}),
          },
          finish_reason: 'stop',
          logprobs: null,
        },
      ],
      usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
    });
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => error(res, 500, String(err), 'server_error'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
