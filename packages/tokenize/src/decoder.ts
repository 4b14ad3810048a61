/** Decoders of tokenizer.json: token strings back to text, as the reference chains them. */
import { byteLevelToBytes } from './byte-level.js';
import { TokenizerFormatError, UnsupportedComponentError } from './errors.js';
import {
  expectComponent,
  expectString,
  metaspaceSettings,
  optionalBoolean,
  type ComponentJson,
} from './tokenizer-json.js';

/** Maps a list of token strings to a list of strings (the chain's unit), joined at the end. */
export type Decoder = (tokens: string[]) => string[];

// ignoreBOM: a leading U+FEFF is text, not a byte-order mark to drop (the reference keeps it).
const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

export function buildDecoder(json: ComponentJson | null | undefined, field = 'decoder', file?: string): Decoder | null {
  if (json === null || json === undefined) return null;
  expectComponent(json, field, file);
  switch (json.type) {
    case 'ByteLevel':
      // A token with a character outside the byte map (an added token) contributes its own UTF-8.
      return (tokens) => {
        const bytes: number[] = [];
        const enc = new TextEncoder();
        for (const t of tokens) {
          const b = byteLevelToBytes(t);
          if (b === null) for (const x of enc.encode(t)) bytes.push(x);
          else for (const x of b) bytes.push(x);
        }
        return [utf8.decode(Uint8Array.from(bytes))];
      };
    case 'Replace': {
      const pattern = json.pattern as { String?: string } | undefined;
      if (!pattern || typeof pattern.String !== 'string')
        throw new TokenizerFormatError(`${field}.pattern`, 'only {"String": ...} patterns are supported', file);
      const from = pattern.String;
      const to = expectString(json.content, `${field}.content`, file);
      return (tokens) => tokens.map((t) => t.replaceAll(from, to));
    }
    case 'Strip': {
      const content = expectString(json.content, `${field}.content`, file);
      const start = Number(json.start ?? 0);
      const stop = Number(json.stop ?? 0);
      return (tokens) =>
        tokens.map((t) => {
          const chars = [...t];
          let a = 0;
          let b = chars.length;
          for (let i = 0; i < start && chars[a] === content; i++) a++;
          for (let i = 0; i < stop && b > a && chars[b - 1] === content; i++) b--;
          return chars.slice(a, b).join('');
        });
    }
    case 'Fuse':
      return (tokens) => [tokens.join('')];
    case 'ByteFallback':
      return (tokens) => {
        const out: string[] = [];
        let pending: number[] = [];
        const flush = () => {
          if (pending.length === 0) return;
          const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
          try {
            out.push(text.decode(Uint8Array.from(pending)));
          } catch {
            for (let i = 0; i < pending.length; i++) out.push('\ufffd');
          }
          pending = [];
        };
        for (const t of tokens) {
          const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(t);
          if (m) pending.push(parseInt(m[1], 16));
          else {
            flush();
            out.push(t);
          }
        }
        flush();
        return out;
      };
    case 'Metaspace': {
      const { replacement, scheme } = metaspaceSettings(json, field, file);
      return (tokens) =>
        tokens.map((t, i) => {
          let s = t.replaceAll(replacement, ' ');
          if (i === 0 && scheme !== 'never' && s.startsWith(' ')) s = s.slice(1);
          return s;
        });
    }
    case 'BPEDecoder': {
      const suffix = typeof json.suffix === 'string' ? json.suffix : '</w>';
      return (tokens) => tokens.map((t, i) => t.replaceAll(suffix, i === tokens.length - 1 ? '' : ' '));
    }
    case 'WordPiece': {
      const prefix = typeof json.prefix === 'string' ? json.prefix : '##';
      const cleanup = optionalBoolean(json.cleanup, `${field}.cleanup`, true, file);
      return (tokens) =>
        tokens.map((t, i) => {
          let s = i > 0 && t.startsWith(prefix) ? t.slice(prefix.length) : i > 0 ? ' ' + t : t;
          if (cleanup)
            s = s
              .replace(/ \./g, '.')
              .replace(/ \?/g, '?')
              .replace(/ !/g, '!')
              .replace(/ ,/g, ',')
              .replace(/ ' /g, "'")
              .replace(/ n't/g, "n't")
              .replace(/ 'm/g, "'m")
              .replace(/ do not/g, " don't")
              .replace(/ 's/g, "'s")
              .replace(/ 've/g, "'ve")
              .replace(/ 're/g, "'re");
          return s;
        });
    }
    case 'Sequence': {
      const list = json.decoders;
      if (!Array.isArray(list)) throw new TokenizerFormatError(`${field}.decoders`, 'expected an array', file);
      const parts = list
        .map((d, i) => buildDecoder(d as ComponentJson, `${field}.decoders[${i}]`, file))
        .filter((d): d is Decoder => d !== null);
      return (tokens) => parts.reduce((acc, d) => d(acc), tokens);
    }
    default:
      throw new UnsupportedComponentError(`${field}.type`, json.type, file);
  }
}
