/**
 * Whether a safetensors checkpoint's headers fit a Qwen3 config: every tensor
 * the config implies is there with its shape and a floating-point dtype, and
 * nothing else is (a tied lm_head.weight aside, as transformers ignores it).
 * Reads headers only: what `fromPretrained` checks before it reads any data,
 * and what a caller can check of a model without loading it.
 */
import type { Qwen3Config } from './config.js';
import { configDefaultsNote } from './config-defaults.js';
import type { SafetensorsCheckpoint } from './safetensors/checkpoint.js';
import { FLOAT_DTYPES, isFloatDType } from './safetensors/dtypes.js';
import { expectedWeightShapes } from './weights.js';

/**
 * Throws, naming `dir` and the tensor, at the first header that does not fit `config`; where
 * config.json lacked a field that decides the shapes (transformers' default was used), the error
 * names the file and the field too.
 */
export function checkCheckpointHeaders(checkpoint: SafetensorsCheckpoint, config: Qwen3Config, dir: string): void {
  const expected = expectedWeightShapes(config);
  const note = configDefaultsNote(config);
  const missing = [...expected.keys()].filter((n) => !checkpoint.has(n));
  if (missing.length) {
    throw new Error(
      `${dir}: checkpoint lacks ${missing.length} tensor(s): ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', ...' : ''}${note}`,
    );
  }
  // transformers ignores a tied lm_head.weight in the file; anything else unknown is a different architecture.
  const unexpected = checkpoint
    .names()
    .filter((n) => !expected.has(n) && !(n === 'lm_head.weight' && config.tie_word_embeddings));
  if (unexpected.length) {
    throw new Error(
      `${dir}: checkpoint has ${unexpected.length} tensor(s) a Qwen3 model does not use: ${unexpected.slice(0, 10).join(', ')}${note}`,
    );
  }
  for (const [name, shape] of expected) {
    const entry = checkpoint.entry(name);
    if (entry.shape.length !== shape.length || entry.shape.some((d, i) => d !== shape[i])) {
      throw new Error(
        `${dir}: tensor '${name}' has shape [${entry.shape.join(', ')}], config.json implies [${shape.join(', ')}]${note}`,
      );
    }
    // An 8-bit float tensor is a quantised checkpoint's (its values need scales this loader does not apply).
    if (entry.dtype === 'F8_E4M3' || entry.dtype === 'F8_E5M2')
      throw new Error(
        `${dir}: tensor '${name}' is ${entry.dtype} (8-bit float) in the checkpoint, which is not loaded here; a Qwen3 weight must be ${FLOAT_DTYPES.join(', ')}`,
      );
    // An integer tensor would be read as its integer values (logits of 1e10): the header contradicts the model.
    if (!isFloatDType(entry.dtype))
      throw new Error(
        `${dir}: tensor '${name}' is ${entry.dtype} in the checkpoint; a Qwen3 weight is floating point (${FLOAT_DTYPES.join(', ')})`,
      );
  }
}
