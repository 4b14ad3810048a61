/** Names that reach the file system: a repo id and a path inside the repo. */

export type HubRepoType = 'model' | 'dataset';

/** A repo on the Hub: its type and its id ("owner/name", or "name"). */
export interface HubRepo {
  type: HubRepoType;
  name: string;
}

export const COMMIT_PATTERN = /^[0-9a-f]{40}$/;

/** True for a full commit hash (40 lowercase hex digits). */
export function isCommit(revision: string): boolean {
  return COMMIT_PATTERN.test(revision);
}

/** The Hub's rule for a repo id, and no "." or ".." component that would leave the cache folder. */
export function isRepoId(name: unknown): name is string {
  return typeof name === 'string' && /^[\w.-]+(\/[\w.-]+)?$/.test(name) && !/(^|\/)\.|\.\./.test(name);
}

/** Throws a TypeError naming `where` unless `repo` is a model or dataset repo with a valid id. */
export function checkRepo(repo: unknown, where: string): asserts repo is HubRepo {
  const r = repo as Partial<HubRepo> | null;
  if (typeof r !== 'object' || r === null || (r.type !== 'model' && r.type !== 'dataset'))
    throw new TypeError(`${where}: repo must be { type: 'model' | 'dataset', name }, got ${JSON.stringify(repo)}`);
  if (!isRepoId(r.name)) throw new TypeError(`${where}: ${JSON.stringify(r.name)} is not a Hub repo id (owner/name)`);
}

/** True for a relative file path inside a repo: not empty, no ".." component, not absolute. */
export function isRepoPath(path: unknown): path is string {
  return (
    typeof path === 'string' &&
    path !== '' &&
    !path.replace(/\\/g, '/').split('/').includes('..') &&
    !/^([/\\]|[a-zA-Z]:)/.test(path)
  );
}

/** The repo's folder name in the cache, as huggingface_hub names it: `models--owner--name`. */
export function repoFolderName(repo: HubRepo): string {
  return [`${repo.type}s`, ...repo.name.split('/')].join('--');
}

/** The repo's page on the Hub (datasets under /datasets/). */
export function repoUrl(hubUrl: string, repo: HubRepo): string {
  return `${hubUrl}/${repo.type === 'dataset' ? 'datasets/' : ''}${repo.name}`;
}
