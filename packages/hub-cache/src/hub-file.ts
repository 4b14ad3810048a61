/** A file of a repo at one commit, as the Hub lists it. */
export interface HubFileInfo {
  path: string;
  /** Bytes of the file itself (an LFS file's content, not its pointer). */
  size: number;
  /** What the cache names its blob after: the LFS sha256, the Xet hash or the git oid. */
  etag: string;
}

/** Orders files by path (code-unit order, as the Hub lists them). */
export function byPath(a: HubFileInfo, b: HubFileInfo): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}
