/**
 * The Hub's failures as errors that name the repo and say what to do. An
 * HTTP answer becomes a `HubError` (its status and the Hub's X-Error-Code
 * kept); a Hub that cannot be reached at all becomes a `HubUnreachableError`,
 * on which callers fall back to the cache, as huggingface_hub does.
 */
import { HubApiError } from '@huggingface/hub';
import { repoUrl, type HubRepo } from './repo-id.js';

/** The Hub answered with an error status. */
export class HubError extends Error {
  override name = 'HubError';
  constructor(
    message: string,
    /** The HTTP status (401, 403, 404, ...). */
    readonly statusCode: number,
    /** The Hub's X-Error-Code (RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo), or null. */
    readonly errorCode: string | null,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The Hub could not be reached (no answer: refused, DNS, timeout). */
export class HubUnreachableError extends Error {
  override name = 'HubUnreachableError';
}

/** What a failure happened to: the repo, its revision, the Hub, whether a token was sent, the file. */
export interface HubFailureContext {
  repo: HubRepo;
  revision: string;
  hubUrl: string;
  token: boolean;
  /** The X-Error-Code of the failed response (`@huggingface/hub`'s errors drop it). */
  errorCode: string | null;
  path?: string;
}

/** Whether `err` means no answer came back at all (as opposed to an HTTP status or a bug). */
export function isUnreachable(err: unknown): boolean {
  if (err instanceof HubApiError || err instanceof HubError) return false;
  if (err instanceof HubUnreachableError) return true;
  const e = err as { name?: string; message?: string; code?: string; cause?: { code?: string; message?: string } };
  return (
    (e?.name === 'TypeError' && /fetch failed|network/i.test(e.message ?? '')) ||
    /ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|UND_ERR_CONNECT/.test(
      `${e?.code ?? ''} ${e?.cause?.code ?? ''} ${e?.message ?? ''}`,
    )
  );
}

/** An error's message, and its cause's when it has one (what Node's fetch puts the reason in). */
export function errorDetail(err: unknown): string {
  const e = err as Error;
  return e?.cause instanceof Error ? `${e.message}: ${e.cause.message}` : String(e?.message ?? err);
}

/** What the Hub's status means for this repo and what to do about it. */
function explain(err: HubApiError, ctx: HubFailureContext): string {
  const { repo, revision, hubUrl, token, errorCode } = ctx;
  const message = err.message;
  if (err.statusCode === 401)
    return (
      `the Hub refused access (401): the repo is private or gated, or does not exist; ` +
      (token
        ? 'the token sent was not accepted: check it (accessToken, $HF_TOKEN or the token file) and that its account can read the repo'
        : 'no token was sent: set HF_TOKEN or pass accessToken (a token of an account that can read the repo)')
    );
  if (err.statusCode === 403)
    return errorCode === 'GatedRepo' || /restricted|gated/i.test(message)
      ? `the repo is gated (403) and the token's account has not been granted access: request access at ${repoUrl(hubUrl, repo)}, then load again with that account's token`
      : `the Hub refused access (403): the token lacks read permission for this repo (${message})`;
  if (err.statusCode === 404 && errorCode === 'RevisionNotFound')
    return `revision '${revision}' does not exist on the Hub (404): check the branch, tag or commit`;
  if (err.statusCode === 404 && errorCode === 'EntryNotFound')
    return `the repo has no file ${ctx.path ?? ''} at this revision (404)`;
  if (err.statusCode === 404)
    return `the ${repo.type === 'dataset' ? 'dataset ' : ''}repo does not exist on the Hub (404) at ${hubUrl}: check the id${repo.type === 'dataset' ? " (a dataset's, not a model's)" : ''}; a private repo also needs a token (HF_TOKEN or accessToken)`;
  return `the Hub answered ${err.statusCode}: ${message}`;
}

/**
 * `err` from a Hub call as an error starting with `where`: a `HubError` for an
 * HTTP answer, a `HubUnreachableError` for no answer, else `where: message`.
 */
export function hubFailure(err: unknown, where: string, ctx: HubFailureContext): Error {
  if (err instanceof HubError || err instanceof HubUnreachableError) return err;
  if (err instanceof HubApiError)
    return new HubError(`${where}: ${explain(err, ctx)}`, err.statusCode, ctx.errorCode, { cause: err });
  const detail = errorDetail(err);
  if (isUnreachable(err))
    return new HubUnreachableError(
      `${where}: cannot reach ${ctx.hubUrl} (${detail}; check the connection or HF_ENDPOINT)`,
      {
        cause: err,
      },
    );
  return new Error(`${where}: ${detail}`, { cause: err });
}
