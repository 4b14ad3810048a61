import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultAccessToken, hubCacheDir, hubUrlOf, offlineByEnv } from './environment.js';
import { isRepoId, isRepoPath, repoFolderName } from './repo-id.js';

afterEach(() => vi.unstubAllEnvs());

describe('the environment huggingface_hub reads', () => {
  it('takes the endpoint from the option, else $HF_ENDPOINT, without a trailing slash', () => {
    vi.stubEnv('HF_ENDPOINT', 'https://mirror.example/');
    expect(hubUrlOf()).toBe('https://mirror.example');
    expect(hubUrlOf('http://127.0.0.1:9//')).toBe('http://127.0.0.1:9');
    vi.stubEnv('HF_ENDPOINT', undefined);
    expect(hubUrlOf()).toBe('https://huggingface.co');
  });

  it('finds the token in $HF_TOKEN, else in the login token file', () => {
    const home = mkdtempSync(join(tmpdir(), 'hf-home-'));
    vi.stubEnv('HF_TOKEN', '');
    vi.stubEnv('HF_TOKEN_PATH', undefined);
    vi.stubEnv('HF_HOME', home);
    expect(defaultAccessToken()).toBeUndefined();
    writeFileSync(join(home, 'token'), 'hf_from_file\n');
    expect(defaultAccessToken()).toBe('hf_from_file');
    vi.stubEnv('HF_TOKEN', ' hf_from_env ');
    expect(defaultAccessToken()).toBe('hf_from_env');
  });

  it('reads offline mode from $HF_HUB_OFFLINE or $TRANSFORMERS_OFFLINE, and the cache folder', () => {
    vi.stubEnv('HF_HUB_OFFLINE', '0');
    vi.stubEnv('TRANSFORMERS_OFFLINE', '');
    expect(offlineByEnv()).toBe(false);
    vi.stubEnv('TRANSFORMERS_OFFLINE', 'YES');
    expect(offlineByEnv()).toBe(true);
    vi.stubEnv('HF_HUB_CACHE', '/tmp/hf-cache');
    expect(hubCacheDir()).toBe('/tmp/hf-cache');
    expect(hubCacheDir('/elsewhere')).toBe('/elsewhere');
  });

  it('names repos and paths as the cache does, refusing any that would leave it', () => {
    expect(repoFolderName({ type: 'dataset', name: 'org/data' })).toBe('datasets--org--data');
    expect(repoFolderName({ type: 'model', name: 'gpt2' })).toBe('models--gpt2');
    for (const bad of ['', '../x', 'org/..', 'a/b/c', 'org/.hidden', 7]) expect(isRepoId(bad)).toBe(false);
    for (const bad of ['', '../x', 'a/../../b', '/etc/passwd', 'C:x', 'a\\..\\b']) expect(isRepoPath(bad)).toBe(false);
    expect(isRepoPath('data/train-00000.parquet')).toBe(true);
  });
});
