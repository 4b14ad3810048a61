/**
 * The one rule for loads that may run without the network, as huggingface_hub
 * has it: offline by request (or by $HF_HUB_OFFLINE / $TRANSFORMERS_OFFLINE),
 * read the cache; online, resolve the revision and load; when the Hub cannot
 * be reached at all, read the cache after all, and if it cannot serve either,
 * say both why.
 */
import { offlineByEnv } from './environment.js';
import { HubUnreachableError } from './hub-error.js';
import { HUB_ACCESS_OPTION_KEYS, HubSnapshot, type HubSnapshotOptions } from './hub-snapshot.js';
import type { OptionKeys } from './option-names.js';
import type { HubRepo } from './repo-id.js';

export interface OnlineOrCachedOptions extends HubSnapshotOptions {
  /** Read the cache only, never the network (default: true when $HF_HUB_OFFLINE or $TRANSFORMERS_OFFLINE is 1). */
  localFilesOnly?: boolean;
}

/**
 * The keys of OnlineOrCachedOptions a loader takes from its caller (all but
 * `withFilePaths`, the loader's own choice), for loaders that refuse the keys
 * they do not know (`checkOptionNames`).
 */
export const HUB_LOAD_OPTION_KEYS = {
  ...HUB_ACCESS_OPTION_KEYS,
  onFile: true,
  onWait: true,
  lockStaleMs: true,
  onBytes: true,
  localFilesOnly: true,
} as const satisfies OptionKeys<Omit<OnlineOrCachedOptions, 'withFilePaths'>>;

/**
 * `online(snapshot)` on the resolved revision, or `fromCache()` offline or
 * when the Hub cannot be reached (an error then names the Hub's failure and
 * the cache's). HTTP refusals are thrown as they are: the cache does not
 * stand in for a repo the Hub says is missing or closed.
 */
export async function onlineOrCached<T>(
  repo: HubRepo,
  options: OnlineOrCachedOptions,
  online: (snapshot: HubSnapshot) => Promise<T>,
  fromCache: () => T | Promise<T>,
): Promise<T> {
  if (options.localFilesOnly ?? offlineByEnv()) return fromCache();
  let snapshot: HubSnapshot;
  try {
    snapshot = await HubSnapshot.resolve(repo, options);
  } catch (err) {
    if (!(err instanceof HubUnreachableError)) throw err;
    try {
      return await fromCache();
    } catch (cacheErr) {
      const cacheMiss = (cacheErr as Error).message;
      // The Hub's failure is the cause; the cache miss is in the message.
      // eslint-disable-next-line preserve-caught-error
      throw new Error(`${err.message}, and the cache cannot serve it: ${cacheMiss}`, { cause: err });
    }
  }
  return online(snapshot);
}
