import { createHash } from 'node:crypto';

/** A repo as the test describes it. */
export interface HubRepo {
  type?: 'model' | 'dataset';
  /** path -> content (strings are UTF-8 encoded). */
  files: Record<string, string | Uint8Array>;
  /** 40-hex commit id (default: derived from the files). */
  commit?: string;
  /** Extra branch or tag names that resolve to the commit. */
  refs?: string[];
  /** Bearer token required to read the repo. */
  token?: string;
  /**
   * A gated repo (with `token`): a request with another Bearer token gets 403 `GatedRepo`
   * (that account has not been granted access), one with none 401, as on the Hub.
   */
  gated?: boolean;
  /**
   * Further branches or tags, each at a commit of its own with its own files (the
   * commit is addressable too). `refs` all point at the main commit.
   */
  revisions?: Record<string, HubRevision>;
  /**
   * path -> the commit that last changed the file at the main commit, which
   * paths-info's `lastCommit` reports (as the Hub does: not the revision's head).
   * Default: the revision's commit. Other revisions give their own.
   */
  fileCommits?: Record<string, string>;
  /**
   * Path suffixes of files stored in Git LFS; their paths-info and tree entries carry
   * `lfs: { oid, size, pointerSize }` as on the Hub (default: `DEFAULT_LFS_SUFFIXES`).
   */
  lfsSuffixes?: readonly string[];
}

/** Binary formats the Hub's default `.gitattributes` sends to LFS. */
export const DEFAULT_LFS_SUFFIXES: readonly string[] = [
  '.safetensors',
  '.bin',
  '.pt',
  '.pth',
  '.ckpt',
  '.onnx',
  '.h5',
  '.msgpack',
  '.model',
  '.gguf',
  '.parquet',
  '.arrow',
  '.npy',
  '.npz',
  '.pkl',
  '.pickle',
  '.gz',
  '.zip',
  '.tar',
  '.zst',
  '.xz',
];

/** A branch or tag other than main, at its own commit (or, given to `push`, a branch's new commit). */
export interface HubRevision {
  files: Record<string, string | Uint8Array>;
  /** 40-hex commit id (default: derived from the files). */
  commit?: string;
  /** path -> the commit that last changed the file at this commit (default: this commit). */
  fileCommits?: Record<string, string>;
}

export interface LfsInfo {
  /** sha256 of the content. */
  oid: string;
  size: number;
  pointerSize: number;
}

export interface RepoFile {
  data: Uint8Array;
  /** Git blob id: of the content, or of the LFS pointer for LFS files. */
  oid: string;
  lfs?: LfsInfo;
}

export interface PreparedSnapshot {
  commit: string;
  files: Map<string, RepoFile>;
  /** path -> the commit that last changed it (a path not here: this commit). */
  fileCommits: Map<string, string>;
}

export interface PreparedRepo {
  name: string;
  type: string;
  token?: string;
  gated: boolean;
  directoryOid(path: string): string;
  /** The snapshot a revision (main, a ref, a branch/tag of `revisions`, or a commit) names, or null. */
  resolve(revision: string): PreparedSnapshot | null;
  /** Move `branch` (made if new) to a new commit holding `revision`'s files; earlier commits stay addressable. The new commit. */
  push(branch: string, revision: HubRevision): string;
}

const hex = (algorithm: 'sha1' | 'sha256', ...parts: Uint8Array[]) => {
  const hash = createHash(algorithm);
  for (const p of parts) hash.update(p);
  return hash.digest('hex');
};
const utf8 = (s: string) => new TextEncoder().encode(s);
const isCommit = (revision: string) => /^[0-9a-f]{40}$/.test(revision);
const gitBlobOid = (content: Uint8Array) => hex('sha1', utf8(`blob ${content.length}\0`), content);

function repoFile(path: string, data: Uint8Array, lfsSuffixes: readonly string[]): RepoFile {
  if (!lfsSuffixes.some((s) => path.endsWith(s))) return { data, oid: gitBlobOid(data) };
  const oid = hex('sha256', data);
  const pointer = utf8(`version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${data.length}\n`);
  return { data, oid: gitBlobOid(pointer), lfs: { oid, size: data.length, pointerSize: pointer.length } };
}

function prepareSnapshot(
  name: string,
  { files, commit, fileCommits }: HubRevision,
  lfsSuffixes: readonly string[],
): PreparedSnapshot {
  const prepared = new Map(
    Object.entries(files).map(([path, content]) => [
      path,
      repoFile(path, typeof content === 'string' ? utf8(content) : content, lfsSuffixes),
    ]),
  );
  const id =
    commit ??
    hex('sha1', utf8(JSON.stringify([...prepared.keys()].sort()) + [...prepared.values()].map((f) => f.oid).join()));
  if (!isCommit(id)) throw new Error(`repo ${name}: commit must be 40 lowercase hex digits, got "${id}"`);
  return { commit: id, files: prepared, fileCommits: new Map(Object.entries(fileCommits ?? {})) };
}

export function prepareRepo(name: string, repo: HubRepo): PreparedRepo {
  const lfsSuffixes = repo.lfsSuffixes ?? DEFAULT_LFS_SUFFIXES;
  const main = prepareSnapshot(name, repo, lfsSuffixes);
  const refs = new Set(['main', ...(repo.refs ?? []), main.commit]);
  const snapshots = new Map<string, PreparedSnapshot>([...refs].map((r) => [r, main]));
  for (const [ref, revision] of Object.entries(repo.revisions ?? {})) {
    if (snapshots.has(ref)) throw new Error(`repo ${name}: revision "${ref}" is given twice`);
    const snapshot = prepareSnapshot(name, revision, lfsSuffixes);
    snapshots.set(ref, snapshot);
    snapshots.set(snapshot.commit, snapshot);
  }
  return {
    name,
    type: repo.type ?? 'model',
    token: repo.token,
    gated: repo.gated ?? false,
    directoryOid: (path) => hex('sha1', utf8(path)),
    resolve: (revision) => snapshots.get(revision) ?? null,
    push: (branch, revision) => {
      if (isCommit(branch)) throw new Error(`repo ${name}: push names a branch, not a commit ("${branch}")`);
      const snapshot = prepareSnapshot(name, revision, lfsSuffixes);
      const existing = snapshots.get(snapshot.commit);
      if (existing && existing !== snapshots.get(branch))
        throw new Error(`repo ${name}: commit ${snapshot.commit} already exists at another revision`);
      snapshots.set(branch, snapshot);
      snapshots.set(snapshot.commit, snapshot);
      return snapshot.commit;
    },
  };
}
