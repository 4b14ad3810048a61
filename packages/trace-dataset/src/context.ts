/** The context-length policy: what happens to a labelled trace longer than `maxLength` tokens. */
import type { LabelledTrace } from './types.js';

export const DEFAULT_MAX_LENGTH = 8192;

export type OverLengthPolicy =
  /** Keep the first maxLength tokens (the prompt and the earliest steps). */
  | 'truncate'
  /** Leave the trace out (counted in the manifest). */
  | 'drop';

export interface ContextPolicy {
  maxLength?: number;
  overLength?: OverLengthPolicy;
}

/** The trace within the context, or null when the policy drops it. */
export function fitContext(trace: LabelledTrace, policy: ContextPolicy = {}): LabelledTrace | null {
  const max = policy.maxLength ?? DEFAULT_MAX_LENGTH;
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`maxLength: expected a positive integer, got ${max}`);
  const policyName = policy.overLength ?? 'drop';
  if (policyName !== 'drop' && policyName !== 'truncate')
    throw new RangeError(`overLength: expected 'drop' or 'truncate', got ${JSON.stringify(policyName)}`);
  if (trace.ids.length <= max) return trace;
  if (policyName === 'drop') return null;
  return {
    ids: trace.ids.slice(0, max),
    labels: trace.labels.slice(0, max),
    emptyThink: trace.emptyThink.slice(0, max),
  };
}
