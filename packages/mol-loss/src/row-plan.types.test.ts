import type { LabelledTrace, TokenLabel as TraceTokenLabel } from '@molrl/trace-dataset';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { TOKEN_LABELS, type TokenLabel } from './row-plan.js';

describe('TokenLabel', () => {
  it('is the same type as trace-dataset’s, so its rows go into the loss unchanged', () => {
    expectTypeOf<TokenLabel>().toEqualTypeOf<TraceTokenLabel>();
    expectTypeOf<LabelledTrace['labels']>().toExtend<readonly TokenLabel[]>();
  });

  it('lists every label once', () => {
    expect([...TOKEN_LABELS].sort()).toEqual(['decision', 'feedback', 'glue', 'prompt']);
  });
});
