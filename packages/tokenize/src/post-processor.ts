/**
 * Post-processors of tokenizer.json for one sequence: the special tokens they add
 * around it, and ByteLevel's offset trimming.
 */
import { TokenizerFormatError, UnsupportedComponentError } from './errors.js';
import { expectComponent, optionalBoolean, type ComponentJson } from './tokenizer-json.js';

export interface PostProcessor {
  /** Special tokens to put before and after a single sequence when special tokens are added. */
  readonly prefix: number[];
  readonly suffix: number[];
  /** Trim whitespace from token offsets (ByteLevel's trim_offsets). */
  readonly trimOffsets: boolean;
}

export function buildPostProcessor(
  json: ComponentJson | null | undefined,
  field = 'post_processor',
  file?: string,
): PostProcessor | null {
  if (json === null || json === undefined) return null;
  expectComponent(json, field, file);
  switch (json.type) {
    case 'ByteLevel':
      return {
        prefix: [],
        suffix: [],
        trimOffsets: optionalBoolean(json.trim_offsets, `${field}.trim_offsets`, true, file),
      };
    case 'TemplateProcessing': {
      const single = json.single;
      const specials = (json.special_tokens ?? {}) as Record<string, { ids?: number[] }>;
      if (!Array.isArray(single)) throw new TokenizerFormatError(`${field}.single`, 'expected an array', file);
      const prefix: number[] = [];
      const suffix: number[] = [];
      let seenSequence = false;
      single.forEach((piece, i) => {
        const p = piece as { SpecialToken?: { id: string }; Sequence?: { id: string } };
        if (p.Sequence) {
          seenSequence = true;
          return;
        }
        if (!p.SpecialToken)
          throw new TokenizerFormatError(`${field}.single[${i}]`, 'expected SpecialToken or Sequence', file);
        const entry = specials[p.SpecialToken.id];
        if (!entry || !Array.isArray(entry.ids))
          throw new TokenizerFormatError(
            `${field}.special_tokens.${p.SpecialToken.id}`,
            'missing or without ids',
            file,
          );
        (seenSequence ? suffix : prefix).push(...entry.ids);
      });
      return { prefix, suffix, trimOffsets: false };
    }
    case 'BertProcessing':
    case 'RobertaProcessing': {
      const cls = json.cls as [string, number] | undefined;
      const sep = json.sep as [string, number] | undefined;
      if (!Array.isArray(cls) || !Array.isArray(sep))
        throw new TokenizerFormatError(field, 'cls and sep must be [token, id]', file);
      return {
        prefix: [cls[1]],
        suffix: [sep[1]],
        trimOffsets:
          json.type === 'RobertaProcessing' && optionalBoolean(json.trim_offsets, `${field}.trim_offsets`, true, file),
      };
    }
    case 'Sequence': {
      const list = json.processors;
      if (!Array.isArray(list)) throw new TokenizerFormatError(`${field}.processors`, 'expected an array', file);
      const parts = list
        .map((p, i) => buildPostProcessor(p as ComponentJson, `${field}.processors[${i}]`, file))
        .filter((p): p is PostProcessor => p !== null);
      return {
        prefix: parts.flatMap((p) => p.prefix),
        suffix: parts.flatMap((p) => p.suffix),
        trimOffsets: parts.some((p) => p.trimOffsets),
      };
    }
    default:
      throw new UnsupportedComponentError(`${field}.type`, json.type, file);
  }
}
