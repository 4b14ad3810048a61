import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.js';
import { lineColumn, parseJsonText, readJsonFile } from './json-file.js';

const error = (text: string) => {
  try {
    parseJsonText(text, 'f.json');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error(`parsed: ${text}`);
};

describe('JSON files', () => {
  it('names the line and column of a syntax error', () => {
    expect(lineColumn('ab\ncd\n', 4)).toEqual({ line: 2, column: 2 });
    // V8 gives a position for these ...
    expect(error('{\n  "a": 1,\n  "b": 2,\n}\n')).toBe(
      'f.json:4:1: not valid JSON (Expected double-quoted property name)',
    );
    expect(error('{"a": 1} x')).toBe('f.json:1:10: not valid JSON (Unexpected non-whitespace character after JSON)');
    // ... and not for these: the place is searched for.
    expect(error('{"a": [1, 2,, 3]}')).toBe("f.json:1:13: not valid JSON (Unexpected token ',')");
    expect(error('{\n "a": tru\n}')).toMatch(/^f\.json:2:10: not valid JSON \(Unexpected token/);
    expect(error('{\n  "seed": ')).toBe('f.json:2:11: not valid JSON (Unexpected end of JSON input)');
    expect(error('')).toBe('f.json:1:1: not valid JSON (Unexpected end of JSON input)');
  });

  it('reads past a byte-order mark; a folder or a missing file is named as such', () => {
    expect(parseJsonText('\ufeff{"a": 1}', 'f.json')).toEqual({ a: 1 });
    const dir = mkdtempSync(join(tmpdir(), 'molrl-json-'));
    expect(() => readJsonFile(dir, 'config file')).toThrow(`${dir}: is a folder, not a JSON config file`);
    expect(() => readJsonFile(join(dir, 'none.json'), 'config file')).toThrow(/none\.json: no such config file$/);
    const file = join(dir, 'x.json');
    writeFileSync(file, '{"a":\n  [1 2]}');
    expect(() => readJsonFile(file)).toThrow(`${file}:2:6: not valid JSON`);
  });
});
