/**
 * The argument checks of `evaluate`: every field of EvaluateOptions and of
 * each suite and item, before anything is generated, with a message that names
 * the field (`evaluate: suites[1].items[3].check must be a function`). A run
 * that would otherwise start and fail an hour in, or produce a report from no
 * items at all, stops here.
 */
import { checkOptionNames, type OptionKeys } from '@molrl/hub-cache';
import type { EvaluateOptions } from './evaluate.js';
import { validateProfile, type SamplingProfile } from './generator.js';

const describe = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'string' ? JSON.stringify(v) : typeof v;

function fail(field: string, what: string, value: unknown): never {
  throw new TypeError(`evaluate: ${field} must be ${what}, got ${describe(value)}`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function positiveInteger(field: string, value: unknown): void {
  if (value !== undefined && !(typeof value === 'number' && Number.isInteger(value) && value >= 1))
    fail(field, 'an integer >= 1', value);
}

function optionalString(field: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'string' || value === '')) fail(field, 'a non-empty string', value);
}

function validatePrompt(field: string, prompt: unknown): void {
  if (typeof prompt === 'string') return;
  if (!Array.isArray(prompt) || prompt.length === 0) fail(field, 'a string or a non-empty array of messages', prompt);
  prompt.forEach((m: unknown, k) => {
    if (!isObject(m)) fail(`${field}[${k}]`, 'a message object', m);
    if (m.role !== 'system' && m.role !== 'user' && m.role !== 'assistant')
      fail(`${field}[${k}].role`, '"system", "user" or "assistant"', m.role);
    if (typeof m.content !== 'string') fail(`${field}[${k}].content`, 'a string', m.content);
  });
}

const EVALUATE_OPTION_KEYS = {
  generator: true,
  suites: true,
  profile: true,
  cachePath: true,
  batchSize: true,
  concurrency: true,
  seed: true,
  regrade: true,
  progress: true,
  metricsPath: true,
  signal: true,
} satisfies OptionKeys<EvaluateOptions>;

const PROFILE_KEYS = {
  temperature: true,
  topP: true,
  topK: true,
  presencePenalty: true,
  maxTokens: true,
  thinking: true,
} satisfies OptionKeys<SamplingProfile>;

export function validateEvaluateOptions(options: EvaluateOptions): void {
  if (!isObject(options)) fail('options', 'an object', options);
  checkOptionNames(options, Object.keys(EVALUATE_OPTION_KEYS), 'evaluate');
  const { generator, suites } = options as unknown as Record<string, unknown>;
  if (!isObject(generator)) fail('generator', 'a Generator (an object with name and generate)', generator);
  if (typeof generator.name !== 'string' || generator.name === '')
    fail('generator.name', 'a non-empty string', generator.name);
  if (typeof generator.generate !== 'function') fail('generator.generate', 'a function', generator.generate);
  if (!Array.isArray(suites)) fail('suites', 'an array of suites', suites);
  if (suites.length === 0) throw new RangeError('evaluate: suites is empty: there is nothing to evaluate');
  suites.forEach((suite: unknown, s) => {
    const at = `suites[${s}]`;
    if (!isObject(suite)) fail(at, 'a suite object', suite);
    if (typeof suite.name !== 'string' || suite.name === '') fail(`${at}.name`, 'a non-empty string', suite.name);
    positiveInteger(`${at}.samples`, suite.samples ?? null);
    if (!Array.isArray(suite.items)) fail(`${at}.items`, 'an array', suite.items);
    if (suite.items.length === 0)
      throw new RangeError(`evaluate: ${at} ("${suite.name}") has no items: its pass@1 would be 0 / 0`);
    suite.items.forEach((item: unknown, i) => {
      const where = `${at}.items[${i}]`;
      if (!isObject(item)) fail(where, 'an item object', item);
      if (typeof item.id !== 'string' || item.id === '') fail(`${where}.id`, 'a non-empty string', item.id);
      validatePrompt(`${where}.prompt`, item.prompt);
      if (typeof item.check !== 'function') fail(`${where}.check`, 'a function', item.check);
    });
  });
  if (options.profile !== undefined) {
    if (!isObject(options.profile)) fail('profile', 'a sampling profile object', options.profile);
    checkOptionNames(options.profile, Object.keys(PROFILE_KEYS), 'evaluate: profile');
    validateProfile(options.profile, 'evaluate: profile');
  }
  positiveInteger('batchSize', options.batchSize);
  positiveInteger('concurrency', options.concurrency);
  if (options.seed !== undefined && !(typeof options.seed === 'number' && Number.isSafeInteger(options.seed)))
    fail('seed', 'a safe integer', options.seed);
  optionalString('cachePath', options.cachePath);
  optionalString('metricsPath', options.metricsPath);
  if (options.regrade !== undefined && typeof options.regrade !== 'boolean')
    fail('regrade', 'a boolean', options.regrade);
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal))
    fail('signal', 'an AbortSignal', options.signal);
  if (options.progress !== undefined && !isObject(options.progress))
    fail('progress', 'a progress options object', options.progress);
}
