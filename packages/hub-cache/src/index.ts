export { DEFAULT_HUB_URL, defaultAccessToken, hubCacheDir, hubUrlOf, offlineByEnv } from './environment.js';
export {
  COMMIT_PATTERN,
  checkRepo,
  isCommit,
  isRepoId,
  isRepoPath,
  repoFolderName,
  repoUrl,
  type HubRepo,
  type HubRepoType,
} from './repo-id.js';
export { HubError, HubUnreachableError, hubFailure, isUnreachable, type HubFailureContext } from './hub-error.js';
export { byPath, type HubFileInfo } from './hub-file.js';
export { HUB_LOAD_OPTION_KEYS, onlineOrCached, type OnlineOrCachedOptions } from './online-or-cached.js';
export { checkOptionNames, closestOptionName, optionNames, type OptionKeys } from './option-names.js';
export { RepoCache } from './repo-cache.js';
export { withDownloadLock, type DownloadLockOptions } from './download-lock.js';
export {
  DOWNLOAD_PROGRESS_THRESHOLD,
  HUB_ACCESS_OPTION_KEYS,
  HubSnapshot,
  type DownloadAllOptions,
  type HubAccessOptions,
  type HubSnapshotOptions,
} from './hub-snapshot.js';
