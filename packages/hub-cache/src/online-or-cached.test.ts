import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHubServer, type HubServer } from '@molrl/hub-test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubError } from './hub-error.js';
import { onlineOrCached } from './online-or-cached.js';

let hub: HubServer;
beforeAll(async () => {
  hub = await startHubServer({ 'org/model': { files: { 'config.json': '{}' } } });
});
afterAll(() => hub.close());

const model = { type: 'model' as const, name: 'org/model' };
const cacheDir = () => mkdtempSync(join(tmpdir(), 'hub-online-'));

describe('onlineOrCached', () => {
  it('loads online when the Hub answers, from the cache offline or when it cannot be reached', async () => {
    const online = async (s: { commit: string }) => `online ${s.commit.slice(0, 4)}`;
    const fromCache = () => 'cached';
    expect(await onlineOrCached(model, { hubUrl: hub.url, cacheDir: cacheDir() }, online, fromCache)).toMatch(
      /^online [0-9a-f]{4}$/,
    );
    const seen = hub.requests.length;
    expect(await onlineOrCached(model, { hubUrl: hub.url, localFilesOnly: true }, online, fromCache)).toBe('cached');
    expect(hub.requests.length).toBe(seen);
    expect(await onlineOrCached(model, { hubUrl: 'http://127.0.0.1:1' }, online, fromCache)).toBe('cached');
  });

  it('names both failures when the cache cannot serve an unreachable Hub, and never hides a refusal', async () => {
    const cacheMiss = () => {
      throw new Error('no refs/main');
    };
    const err = await onlineOrCached(model, { hubUrl: 'http://127.0.0.1:1' }, async () => 'online', cacheMiss).catch(
      (e: unknown) => e as Error,
    );
    expect((err as Error).message).toMatch(
      /^org\/model@main: cannot reach http:\/\/127\.0\.0\.1:1 .*, and the cache cannot serve it: no refs\/main$/,
    );
    let asked = false;
    const refused = onlineOrCached(
      { type: 'model', name: 'org/absent' },
      { hubUrl: hub.url },
      async () => 'x',
      () => {
        asked = true;
        return 'cached';
      },
    );
    await expect(refused).rejects.toBeInstanceOf(HubError);
    expect(asked).toBe(false);
  });
});
