/**
 * Which fields of a config.json were absent and took transformers' Qwen3Config
 * defaults, remembered per parsed config so that an error the defaults cause
 * later (a checkpoint whose shapes do not fit a default `hidden_size`) can name
 * the file and the missing field. Internal: not part of the package's exports.
 */
import type { Qwen3Config } from './config.js';

interface Defaulted {
  /** The file (or other source) the config was parsed from. */
  where: string;
  /** Field name -> the default value used. */
  fields: ReadonlyMap<string, unknown>;
}

const defaulted = new WeakMap<Qwen3Config, Defaulted>();

/** The fields that decide the weights' names and shapes. */
const SHAPE_FIELDS = [
  'vocab_size',
  'hidden_size',
  'intermediate_size',
  'num_hidden_layers',
  'num_attention_heads',
  'num_key_value_heads',
  'head_dim',
  'tie_word_embeddings',
] as const satisfies readonly (keyof Qwen3Config)[];

/** Record that `config`, parsed from `where`, took `fields` from the defaults. */
export function recordConfigDefaults(config: Qwen3Config, where: string, fields: ReadonlyMap<string, unknown>): void {
  if (fields.size) defaulted.set(config, { where, fields });
}

/**
 * ` (config.json has no "hidden_size" field: transformers' default hidden_size=4096 was used)`
 * for the shape fields `config`'s file lacked, or '' when it had them all (or the
 * config was not parsed from a file): what a shape error caused by a default says.
 */
export function configDefaultsNote(config: Qwen3Config): string {
  const record = defaulted.get(config);
  if (!record) return '';
  const missing = SHAPE_FIELDS.filter((f) => record.fields.has(f) && config[f] === record.fields.get(f));
  if (!missing.length) return '';
  const many = missing.length > 1;
  return (
    ` (${record.where} has no ${missing.map((f) => `"${f}"`).join(', ')} field${many ? 's' : ''}: ` +
    `transformers' default${many ? 's' : ''} ${missing.map((f) => `${f}=${String(config[f])}`).join(', ')} ${many ? 'were' : 'was'} used)`
  );
}
