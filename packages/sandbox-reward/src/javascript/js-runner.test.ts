import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../limits.js';
import { JsRunner } from './js-runner.js';

describe('JsRunner', () => {
  it('gives up on a run that does not stop after its time limit, and serves the next from a new isolate', async () => {
    // Case mapping of a long string outside Latin-1 honours V8's termination only
    // seconds after it was asked (~5 s here); the runner waits 20 ms past the limit.
    const runner = new JsRunner(20);
    try {
      const stuck = await runner.run(
        "let s = '\\u1e9b'.repeat(1e5); for (;;) s.toUpperCase()",
        { ...DEFAULT_LIMITS, timeoutMs: 100 },
        undefined,
      );
      expect(stuck.status).toBe('timeout');
      expect(stuck.error?.message).toBe(
        'the run exceeded its time limit (100 ms) and did not stop within 20 ms of it; its isolate was abandoned',
      );
      const next = await runner.run('final_answer(6 * 7)', DEFAULT_LIMITS, undefined);
      expect(next).toMatchObject({ status: 'ok', result: 42 });
    } finally {
      runner.close();
    }
  });
});
