/**
 * Chat templates from tokenizer_config.json rendered with @huggingface/jinja,
 * under transformers' `apply_chat_template` conventions: the template sees
 * `messages`, `tools`, `documents`, `add_generation_prompt`, the special tokens
 * (`bos_token`, `eos_token`, ...) and any extra keyword (`enable_thinking` only
 * when given, since templates test `enable_thinking is defined`).
 */
import { Template } from '@huggingface/jinja';
import { TokenizerFormatError } from './errors.js';
import { PYTHON_JSON_NUMBERS, pythonJsonNumbers, usePythonJsonNumbers } from './python-json-numbers.js';
import { PYTHON_STRIP, pythonStrip, usePythonStrip } from './python-strip.js';
import { tokenContent, type TokenizerConfigJson } from './tokenizer-json.js';

export interface ToolCall {
  type?: 'function';
  id?: string;
  function: { name: string; arguments: string | Record<string, unknown> };
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool' | string;
  content: string;
  reasoning_content?: string | null;
  tool_calls?: ToolCall[];
  name?: string;
  tool_call_id?: string;
  [key: string]: unknown;
}

export interface ChatTemplateOptions {
  addGenerationPrompt?: boolean;
  /** Qwen3: false renders an empty think block after the generation prompt. Left undefined unless given. */
  enableThinking?: boolean;
  /** Tool descriptions (JSON schema objects, as transformers passes them). */
  tools?: Array<Record<string, unknown>>;
  documents?: Array<Record<string, unknown>>;
  /** A template string, or the name of one of the config's named templates. */
  chatTemplate?: string;
  /** Extra variables for the template. */
  extra?: Record<string, unknown>;
}

const compiled = new Map<string, Template>();

/** The template text the config selects (by name for multi-template configs). */
export function selectTemplate(config: TokenizerConfigJson, nameOrTemplate?: string): string {
  const t = config.chat_template;
  if (
    nameOrTemplate !== undefined &&
    (typeof t !== 'object' || t === null || !t.some((x) => x.name === nameOrTemplate))
  ) {
    if (nameOrTemplate.includes('{')) return nameOrTemplate;
  }
  if (typeof t === 'string') {
    // One unnamed template is the default; another name is not there.
    if (nameOrTemplate !== undefined && nameOrTemplate !== 'default')
      throw new TokenizerFormatError(
        'chat_template',
        `no template named "${nameOrTemplate}" (this tokenizer has one template, the default)`,
        'tokenizer_config.json',
      );
    return t;
  }
  if (Array.isArray(t)) {
    t.forEach((x, i) => {
      if (typeof x !== 'object' || x === null || typeof x.name !== 'string' || typeof x.template !== 'string')
        throw new TokenizerFormatError(
          `chat_template[${i}]`,
          `expected { name, template } with two strings, got ${JSON.stringify(x)?.slice(0, 60)}`,
          'tokenizer_config.json',
        );
    });
    const wanted = nameOrTemplate ?? 'default';
    const found = t.find((x) => x.name === wanted) ?? (nameOrTemplate === undefined ? t[0] : undefined);
    if (!found)
      throw new TokenizerFormatError('chat_template', `no template named "${wanted}"`, 'tokenizer_config.json');
    return found.template;
  }
  throw new TokenizerFormatError(
    'chat_template',
    t === undefined || t === null
      ? 'missing: this tokenizer has no chat template'
      : `expected a template string or a list of { name, template }, got ${typeof t}`,
    'tokenizer_config.json',
  );
}

/** The compiled template; a syntax error names where the template came from. */
function compileTemplate(source: string, fromOptions: boolean): Template {
  try {
    return new Template(source);
  } catch (error) {
    const message = `not a valid template: ${(error as Error).message}`;
    if (fromOptions) throw new TypeError(`applyChatTemplate: options.chatTemplate is ${message}`, { cause: error });
    throw new TokenizerFormatError('chat_template', message, 'tokenizer_config.json', { cause: error });
  }
}

function checkTemplateOptions(options: ChatTemplateOptions): void {
  const bad = (field: string, what: string, v: unknown) => {
    throw new TypeError(
      `applyChatTemplate: options.${field} must be ${what}, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`,
    );
  };
  if (typeof options !== 'object' || options === null || Array.isArray(options)) bad('(options)', 'an object', options);
  for (const key of ['addGenerationPrompt', 'enableThinking'] as const)
    if (options[key] !== undefined && typeof options[key] !== 'boolean') bad(key, 'a boolean', options[key]);
  for (const key of ['tools', 'documents'] as const)
    if (options[key] !== undefined && options[key] !== null && !Array.isArray(options[key]))
      bad(key, 'an array of objects', options[key]);
  if (options.chatTemplate !== undefined && typeof options.chatTemplate !== 'string')
    bad('chatTemplate', 'a template or a template name', options.chatTemplate);
  if (
    options.extra !== undefined &&
    (typeof options.extra !== 'object' || options.extra === null || Array.isArray(options.extra))
  )
    bad('extra', 'an object', options.extra);
}

export function applyChatTemplate(
  config: TokenizerConfigJson,
  messages: ChatMessage[],
  options: ChatTemplateOptions = {},
): string {
  if (!Array.isArray(messages)) throw new TypeError('applyChatTemplate: messages must be an array');
  messages.forEach((m, i) => {
    if (typeof m !== 'object' || m === null) throw new TypeError(`applyChatTemplate: messages[${i}] is not an object`);
    if (typeof m.role !== 'string') throw new TypeError(`applyChatTemplate: messages[${i}].role must be a string`);
    if (typeof m.content !== 'string' && m.content !== null && m.content !== undefined) {
      throw new TypeError(`applyChatTemplate: messages[${i}].content must be a string`);
    }
  });
  checkTemplateOptions(options);
  const source = selectTemplate(config, options.chatTemplate);
  let template = compiled.get(source);
  if (!template) {
    template = compileTemplate(source, source === options.chatTemplate);
    usePythonStrip(template);
    usePythonJsonNumbers(template);
    compiled.set(source, template);
  }
  const context: Record<string, unknown> = {
    messages,
    tools: options.tools ?? null,
    documents: options.documents ?? null,
    add_generation_prompt: options.addGenerationPrompt ?? false,
    [PYTHON_STRIP]: pythonStrip,
    [PYTHON_JSON_NUMBERS]: pythonJsonNumbers,
  };
  for (const key of ['bos_token', 'eos_token', 'unk_token', 'pad_token'] as const) {
    const v = tokenContent(config[key]);
    if (v !== undefined) context[key] = v;
  }
  if (options.enableThinking !== undefined) context.enable_thinking = options.enableThinking;
  Object.assign(context, options.extra ?? {});
  try {
    return template.render(context);
  } catch (error) {
    // jinja's own words ("Cannot call something that is not a function") name no message or field.
    throw new Error(
      `applyChatTemplate: rendering the chat template failed (${(error as Error).message}); check the messages' ` +
        'roles and fields against what the template reads',
      { cause: error },
    );
  }
}
