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
   * path -> the commit that last changed the file, which paths-info's `lastCommit`
   * reports (as the Hub does: not the revision's head). Default: the revision's commit.
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

/** A branch or tag other than main, at its own commit. */
export interface HubRevision {
  files: Record<string, string | Uint8Array>;
  /** 40-hex commit id (default: derived from the files). */
  commit?: string;
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
}

export interface PreparedRepo {
  name: string;
  type: string;
  files: Map<string, RepoFile>;
  commit: string;
  refs: Set<string>;
  token?: string;
  gated: boolean;
  fileCommits: Map<string, string>;
  directoryOid(path: string): string;
  /** The snapshot a revision (main, a ref, a branch/tag of `revisions`, or a commit) names, or null. */
  resolve(revision: string): PreparedSnapshot | null;
}

const hex = (algorithm: 'sha1' | 'sha256', ...parts: Uint8Array[]) => {
  const hash = createHash(algorithm);
  for (const p of parts) hash.update(p);
  return hash.digest('hex');
};
const utf8 = (s: string) => new TextEncoder().encode(s);
const gitBlobOid = (content: Uint8Array) => hex('sha1', utf8(`blob ${content.length}\0`), content);

function repoFile(path: string, data: Uint8Array, lfsSuffixes: readonly string[]): RepoFile {
  if (!lfsSuffixes.some((s) => path.endsWith(s))) return { data, oid: gitBlobOid(data) };
  const oid = hex('sha256', data);
  const pointer = utf8(`version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${data.length}\n`);
  return { data, oid: gitBlobOid(pointer), lfs: { oid, size: data.length, pointerSize: pointer.length } };
}

function prepareSnapshot(
  name: string,
  files: Record<string, string | Uint8Array>,
  commit: string | undefined,
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
  if (!/^[0-9a-f]{40}$/.test(id)) throw new Error(`repo ${name}: commit must be 40 lowercase hex digits, got "${id}"`);
  return { commit: id, files: prepared };
}

export function prepareRepo(name: string, repo: HubRepo): PreparedRepo {
  const lfsSuffixes = repo.lfsSuffixes ?? DEFAULT_LFS_SUFFIXES;
  const main = prepareSnapshot(name, repo.files, repo.commit, lfsSuffixes);
  const refs = new Set(['main', ...(repo.refs ?? []), main.commit]);
  const snapshots = new Map<string, PreparedSnapshot>([...refs].map((r) => [r, main]));
  for (const [ref, revision] of Object.entries(repo.revisions ?? {})) {
    if (snapshots.has(ref)) throw new Error(`repo ${name}: revision "${ref}" is given twice`);
    const snapshot = prepareSnapshot(name, revision.files, revision.commit, lfsSuffixes);
    snapshots.set(ref, snapshot);
    snapshots.set(snapshot.commit, snapshot);
  }
  return {
    name,
    type: repo.type ?? 'model',
    files: main.files,
    commit: main.commit,
    refs,
    token: repo.token,
    gated: repo.gated ?? false,
    fileCommits: new Map(Object.entries(repo.fileCommits ?? {})),
    directoryOid: (path) => hex('sha1', utf8(path)),
    resolve: (revision) => snapshots.get(revision) ?? null,
  };
}
