/**
 * Chat templates from tokenizer_config.json rendered with @huggingface/jinja,
 * under transformers' `apply_chat_template` conventions: the template sees
 * `messages`, `tools`, `documents`, `add_generation_prompt`, the special tokens
 * (`bos_token`, `eos_token`, ...) and any extra keyword (`enable_thinking` only
 * when given, since templates test `enable_thinking is defined`).
 */
import { Template } from '@huggingface/jinja';
import { checkOptionNames, optionNames } from '@molrl/hub-cache';
import { describeValue } from './describe-value.js';
import { TokenizerFormatError } from './errors.js';
import { PYTHON_JSON_NUMBERS, pythonJsonNumbers, usePythonJsonNumbers } from './python-json-numbers.js';
import { PYTHON_STRIP, pythonStrip, usePythonStrip } from './python-strip.js';
import { tokenContent, validateTokenizerConfig, type TokenizerConfigJson } from './tokenizer-json.js';

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

/** The name errors give a tokenizer_config.json whose path is not known. */
const CONFIG_FILE = 'tokenizer_config.json';

/** The template text the config selects (by name for multi-template configs). */
export function selectTemplate(config: TokenizerConfigJson, nameOrTemplate?: string): string {
  return selectTemplateOf(config, nameOrTemplate, CONFIG_FILE);
}

/** selectTemplate, with errors naming `file`, the path the config was read from. */
function selectTemplateOf(config: TokenizerConfigJson, nameOrTemplate: string | undefined, file: string): string {
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
        file,
      );
    return t;
  }
  if (Array.isArray(t)) {
    t.forEach((x, i) => {
      if (typeof x !== 'object' || x === null || typeof x.name !== 'string' || typeof x.template !== 'string')
        throw new TokenizerFormatError(
          `chat_template[${i}]`,
          `expected { name, template } with two strings, got ${JSON.stringify(x)?.slice(0, 60)}`,
          file,
        );
    });
    const wanted = nameOrTemplate ?? 'default';
    const found = t.find((x) => x.name === wanted) ?? (nameOrTemplate === undefined ? t[0] : undefined);
    if (!found) throw new TokenizerFormatError('chat_template', `no template named "${wanted}"`, file);
    return found.template;
  }
  throw new TokenizerFormatError(
    'chat_template',
    t === undefined || t === null
      ? 'missing: this tokenizer has no chat template'
      : `expected a template string or a list of { name, template }, got ${typeof t}`,
    file,
  );
}

/** The compiled template; a syntax error names where the template came from. */
function compileTemplate(source: string, fromOptions: boolean, file: string): Template {
  try {
    return new Template(source);
  } catch (error) {
    const message = `not a valid template: ${(error as Error).message}`;
    if (fromOptions) throw new TypeError(`applyChatTemplate: options.chatTemplate is ${message}`, { cause: error });
    throw new TokenizerFormatError('chat_template', message, file, { cause: error });
  }
}

/** The keys of ChatTemplateOptions. */
export const CHAT_TEMPLATE_OPTION_KEYS = optionNames<ChatTemplateOptions>({
  addGenerationPrompt: true,
  enableThinking: true,
  tools: true,
  documents: true,
  chatTemplate: true,
  extra: true,
});

/** What an unknown option of applyChatTemplate may have been meant as. */
export const EXTRA_HINT = 'other template variables go in options.extra';

function checkTemplateOptions(options: ChatTemplateOptions): void {
  const bad = (field: string, what: string, v: unknown) => {
    throw new TypeError(
      `applyChatTemplate: options.${field} must be ${what}, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`,
    );
  };
  if (typeof options !== 'object' || options === null || Array.isArray(options)) bad('(options)', 'an object', options);
  checkOptionNames(options, CHAT_TEMPLATE_OPTION_KEYS, 'applyChatTemplate', { hint: EXTRA_HINT });
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

/**
 * The messages' fields this package and templates rely on: a role that is a
 * non-empty string (passed to the template unchanged, as transformers does),
 * a string content (or none), and `tool_calls` a list of objects.
 */
function checkMessages(messages: ChatMessage[]): void {
  if (!Array.isArray(messages))
    throw new TypeError(`applyChatTemplate: messages must be an array, got ${describeValue(messages)}`);
  messages.forEach((m, i) => {
    if (typeof m !== 'object' || m === null || Array.isArray(m))
      throw new TypeError(`applyChatTemplate: messages[${i}] must be an object, got ${describeValue(m)}`);
    if (typeof m.role !== 'string' || m.role === '')
      throw new TypeError(
        `applyChatTemplate: messages[${i}].role must be a non-empty string, got ${describeValue(m.role)}`,
      );
    if (typeof m.content !== 'string' && m.content !== null && m.content !== undefined)
      throw new TypeError(
        `applyChatTemplate: messages[${i}].content must be a string, got ${describeValue(m.content)}`,
      );
    const calls: unknown = m.tool_calls;
    if (calls === undefined || calls === null) return;
    if (!Array.isArray(calls))
      throw new TypeError(
        `applyChatTemplate: messages[${i}].tool_calls must be an array of tool calls, got ${describeValue(calls)}`,
      );
    calls.forEach((c: unknown, j) => {
      if (typeof c !== 'object' || c === null || Array.isArray(c))
        throw new TypeError(
          `applyChatTemplate: messages[${i}].tool_calls[${j}] must be an object ({ type?, id?, function: { name, arguments } }), got ${describeValue(c)}`,
        );
    });
  });
}

export function applyChatTemplate(
  config: TokenizerConfigJson,
  messages: ChatMessage[],
  options: ChatTemplateOptions = {},
): string {
  return renderChatTemplate(config, messages, options, CONFIG_FILE);
}

/** applyChatTemplate, with errors about the config naming `configFile`, the path it was read from. */
export function renderChatTemplate(
  config: TokenizerConfigJson,
  messages: ChatMessage[],
  options: ChatTemplateOptions,
  configFile: string,
): string {
  checkMessages(messages);
  checkTemplateOptions(options);
  if (typeof config !== 'object' || config === null || Array.isArray(config))
    throw new TypeError(`applyChatTemplate: tokenizerConfig must be an object, got ${describeValue(config)}`);
  validateTokenizerConfig(config, configFile);
  const source = selectTemplateOf(config, options.chatTemplate, configFile);
  let template = compiled.get(source);
  if (!template) {
    template = compileTemplate(source, source === options.chatTemplate, configFile);
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
