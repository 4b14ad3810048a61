/**
 * The argument checks of `buildDataset`, run before the source is opened: a
 * missing tokenizer or a misspelt option is one error naming the field, not a
 * build that rejects every row for a reason that is not the row's.
 */
import { checkOptionNames } from '@molrl/hub-cache';
import type { BuildOptions } from './build.js';
import { LABEL_TRACE_OPTION_NAMES } from './label.js';
import type { TraceSource } from './read.js';

const describe = (v: unknown): string =>
  v === null
    ? 'null'
    : Array.isArray(v)
      ? 'an array'
      : typeof v === 'string'
        ? JSON.stringify(v)
        : typeof v === 'number'
          ? String(v)
          : typeof v;

/** Every option `buildDataset` reads: any other is a misspelling, refused rather than built without. */
const BUILD_OPTION_NAMES = Object.keys({
  tokenizer: true,
  outDir: true,
  schema: true,
  externalApi: true,
  splitObservations: true,
  think: true,
  label: true,
  context: true,
  splits: true,
  seed: true,
  format: true,
  badRows: true,
  writeRejects: true,
  progress: true,
  metricsPath: true,
} satisfies Record<keyof BuildOptions, true>);

function fail(field: string, what: string, value: unknown): never {
  throw new TypeError(`buildDataset: ${field} must be ${what}, got ${describe(value)}`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function oneOf(field: string, value: unknown, allowed: readonly string[]): void {
  if (value !== undefined && !allowed.includes(value as string))
    fail(field, allowed.map((a) => JSON.stringify(a)).join(' or '), value);
}

function optional(field: string, value: unknown, type: 'boolean' | 'string'): void {
  if (value === undefined) return;
  if (typeof value !== type || (type === 'string' && value === ''))
    fail(field, type === 'string' ? 'a non-empty string' : 'a boolean', value);
}

function stringList(field: string, value: unknown): void {
  if (value === undefined) return;
  if (!Array.isArray(value) || value.some((r) => typeof r !== 'string')) fail(field, 'an array of strings', value);
}

export function validateBuildOptions(source: TraceSource, options: BuildOptions): void {
  if (typeof source === 'string') {
    if (source === '') fail('source', 'a path or a Hub source { repo }', source);
  } else if (!isObject(source) || typeof source.repo !== 'string' || source.repo === '')
    fail('source', 'a path or a Hub source { repo }', source);
  if (!isObject(options)) fail('options', 'an object with tokenizer and outDir', options);
  checkOptionNames(options, BUILD_OPTION_NAMES, 'buildDataset');
  const tokenizer = options.tokenizer as unknown;
  if (
    !isObject(tokenizer) ||
    typeof tokenizer.encodeChat !== 'function' ||
    typeof tokenizer.countTokens !== 'function' ||
    typeof tokenizer.applyChatTemplate !== 'function'
  )
    fail('options.tokenizer', "a @molrl/tokenize Tokenizer (the model's)", tokenizer);
  optional('options.outDir', options.outDir, 'string');
  if (options.outDir === undefined) fail('options.outDir', 'a non-empty string', undefined);
  if (options.schema !== undefined) {
    if (!isObject(options.schema)) fail('options.schema', 'an object', options.schema);
    const s = options.schema as Record<string, unknown>;
    optional('options.schema.messagesColumn', s.messagesColumn, 'string');
    optional('options.schema.idColumn', s.idColumn, 'string');
    stringList('options.schema.decisionRoles', s.decisionRoles);
    stringList('options.schema.feedbackRoles', s.feedbackRoles);
    if (
      s.observationPattern !== undefined &&
      s.observationPattern !== null &&
      !(s.observationPattern instanceof RegExp)
    )
      fail('options.schema.observationPattern', 'a RegExp or null', s.observationPattern);
  }
  if (options.externalApi !== undefined && options.externalApi !== false) {
    const rule = options.externalApi as unknown;
    if (!isObject(rule)) fail('options.externalApi', 'an ExternalApiRule or false', rule);
    for (const key of ['denyTools', 'localTools', 'denyModules']) stringList(`options.externalApi.${key}`, rule[key]);
    if (!Array.isArray(rule.networkObservations) || rule.networkObservations.some((r) => !(r instanceof RegExp)))
      fail('options.externalApi.networkObservations', 'an array of RegExps', rule.networkObservations);
  }
  optional('options.splitObservations', options.splitObservations, 'boolean');
  oneOf('options.think', options.think, ['clear', 'insert-empty', 'keep']);
  if (options.label !== undefined) {
    if (!isObject(options.label)) fail('options.label', 'an object', options.label);
    // Checked here, not first at labelTrace: there it would reject every row for a reason that is not the row's.
    checkOptionNames(options.label, LABEL_TRACE_OPTION_NAMES, 'buildDataset', { prefix: 'label.' });
  }
  if (options.context !== undefined) {
    if (!isObject(options.context)) fail('options.context', 'an object', options.context);
    const max = options.context.maxLength;
    if (max !== undefined && !(typeof max === 'number' && Number.isInteger(max) && max >= 1))
      fail('options.context.maxLength', 'an integer >= 1', max);
    oneOf('options.context.overLength', options.context.overLength, ['drop', 'truncate']);
  }
  if (options.splits !== undefined && !isObject(options.splits))
    fail('options.splits', 'an object { train?, validation?, test? }', options.splits);
  if (options.seed !== undefined && !(typeof options.seed === 'number' && Number.isSafeInteger(options.seed)))
    fail('options.seed', 'a safe integer', options.seed);
  oneOf('options.format', options.format, ['jsonl', 'parquet']);
  oneOf('options.badRows', options.badRows, ['skip', 'fail']);
  optional('options.writeRejects', options.writeRejects, 'boolean');
  optional('options.metricsPath', options.metricsPath, 'string');
  if (options.progress !== undefined && !isObject(options.progress))
    fail('options.progress', 'a progress options object', options.progress);
}
