import { describe, expect, it } from 'vitest';
import { checkOptionNames, closestOptionName, optionNames } from './option-names.js';

const KNOWN = ['revision', 'cacheDir', 'accessToken', 'localFilesOnly', 'dtype', 'hubUrl'];

describe('option names', () => {
  it('finds the meant name: camelCase of a snake_case name, the API name of a Python argument, a near miss', () => {
    expect(closestOptionName('local_files_only', KNOWN)).toBe('localFilesOnly');
    expect(closestOptionName('cache_dir', KNOWN)).toBe('cacheDir');
    expect(closestOptionName('token', KNOWN)).toBe('accessToken');
    expect(closestOptionName('torch_dtype', KNOWN)).toBe('dtype');
    expect(closestOptionName('endpoint', KNOWN)).toBe('hubUrl');
    expect(closestOptionName('localFileOnly', KNOWN)).toBe('localFilesOnly');
    expect(closestOptionName('localfilesonly', KNOWN)).toBe('localFilesOnly');
    expect(closestOptionName('revison', KNOWN)).toBe('revision');
    expect(closestOptionName('zzz', KNOWN)).toBeUndefined();
    expect(closestOptionName('temperature', KNOWN)).toBeUndefined();
    // A Python name whose API name this function does not take suggests nothing rather than something unrelated.
    expect(closestOptionName('max_shard_size', KNOWN)).toBeUndefined();
  });

  it('refuses the first unknown key naming the function, the key and the known ones', () => {
    expect(() => checkOptionNames({ revision: 'main', local_files_only: true }, KNOWN, 'load')).toThrow(
      new TypeError(
        "load: unknown option 'local_files_only' (did you mean 'localFilesOnly'?); known: revision, cacheDir, accessToken, localFilesOnly, dtype, hubUrl",
      ),
    );
    expect(() => checkOptionNames({ zzz: undefined }, KNOWN, 'load')).toThrow(/^load: unknown option 'zzz'; known: /);
    expect(() => checkOptionNames({ revision: undefined, dtype: 'float32' }, KNOWN, 'load')).not.toThrow();
  });

  it('names a nested key with its prefix, and says the hint after the known names', () => {
    expect(() =>
      checkOptionNames({ max_length: 8 }, ['maxLength', 'direction'], 'encode', { prefix: 'truncation.' }),
    ).toThrow(
      "encode: unknown option 'truncation.max_length' (did you mean 'truncation.maxLength'?); known: truncation.maxLength, truncation.direction",
    );
    expect(() =>
      checkOptionNames({ date_string: 'x' }, ['extra'], 'render', { hint: 'template variables go in extra' }),
    ).toThrow("render: unknown option 'date_string'; known: extra; template variables go in extra");
  });

  it('lists the names of a complete options record', () => {
    expect(optionNames<{ a?: number; b: string }>({ a: true, b: true })).toEqual(['a', 'b']);
  });
});
