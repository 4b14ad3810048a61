import { PassThrough } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { formatDuration, startProgress } from './progress.js';

function capture(): { stream: NodeJS.WriteStream; text: () => string } {
  const pass = new PassThrough();
  let out = '';
  pass.on('data', (c: Buffer) => (out += c.toString()));
  return { stream: pass as unknown as NodeJS.WriteStream, text: () => out };
}

describe('startProgress', () => {
  it('writes plain lines with counts, rate and ETA when not on a terminal', () => {
    const { stream, text } = capture();
    const p = startProgress('train', 10, { stream, unit: 'steps', lineIntervalMs: 0 });
    p.update(5, 'loss 1.5');
    p.update(10);
    p.stop();
    const lines = text().trim().split('\n');
    expect(lines[0]).toMatch(/^train: 5\/10 steps 50% \([\d.]+ steps\/s, ETA .+\) loss 1\.5$/);
    expect(lines[1]).toMatch(/^train: 10\/10 steps 100%/);
  });

  it('counts the rate from `initial` on (a resumed run does not claim its earlier steps as done now)', () => {
    const { stream, text } = capture();
    let now = 1_000;
    const clock = vi.spyOn(performance, 'now').mockImplementation(() => now);
    try {
      const p = startProgress('train', 200, { stream, unit: 'steps', lineIntervalMs: 0, initial: 100 });
      now += 2_000;
      p.update(104);
      expect(text()).toMatch(/^train: 104\/200 steps 52% \(2\.0 steps\/s, ETA 48s\)/);
      expect(() => startProgress('x', 1, { stream, initial: -1 })).toThrow(/initial must be a finite number >= 0/);
    } finally {
      clock.mockRestore();
    }
  });

  it('rate-limits plain lines but always logs completion', () => {
    const { stream, text } = capture();
    const p = startProgress('x', 100, { stream, lineIntervalMs: 60_000 });
    for (let i = 1; i <= 100; i++) p.update(i);
    const lines = text().trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^x: 100\/100/);
  });

  it('rate-limits a total that grows with every unit, and logs the final count at stop', () => {
    const { stream, text } = capture();
    const p = startProgress('rows', 0, { stream, lineIntervalMs: 60_000 });
    // Work discovered as it goes: every update is "complete" (done === total).
    for (let i = 1; i <= 3000; i++) {
      p.setTotal(i);
      p.update(i, `kept ${i}`);
    }
    p.stop();
    const lines = text().trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^rows: 1\/1 /);
    expect(lines[1]).toMatch(/^rows: 3000\/3000 .* kept 3000$/);
  });

  it('does not repeat the final line at stop', () => {
    const { stream, text } = capture();
    const p = startProgress('x', 3, { stream, lineIntervalMs: 60_000 });
    p.update(3);
    p.stop();
    expect(text().trim().split('\n')).toHaveLength(1);
  });

  it('follows a changed total and notes an early stop', () => {
    const { stream, text } = capture();
    const p = startProgress('y', 4, { stream, lineIntervalMs: 60_000 });
    p.setTotal(8);
    p.update(2);
    p.stop();
    expect(text()).toMatch(/y: 2\/8 .* stopped\n$/);
  });

  it('names a mode it does not know', () => {
    expect(() => startProgress('z', 2, { mode: 'quiet' as never })).toThrow(
      'startProgress: mode must be one of auto, bar, lines, silent, got "quiet"',
    );
  });

  it('is silent when asked', () => {
    const { stream, text } = capture();
    const p = startProgress('z', 2, { stream, mode: 'silent' });
    p.update(2);
    p.stop();
    expect(text()).toBe('');
  });
});

describe('startProgress on bad input', () => {
  it('refuses a total, label or option it cannot draw, naming it', () => {
    const { stream } = capture();
    expect(() => startProgress('t', Number.NaN, { stream })).toThrow(
      'startProgress("t"): total must be a finite number >= 0, got NaN',
    );
    expect(() => startProgress('t', -1, { stream })).toThrow('total must be a finite number >= 0, got -1');
    expect(() => startProgress('t', Number.POSITIVE_INFINITY, { stream })).toThrow('got Infinity');
    expect(() => startProgress('t', '10' as never, { stream })).toThrow('got "10"');
    expect(() => startProgress(undefined as never, 1, { stream })).toThrow(
      'startProgress: label must be a string, got undefined',
    );
    expect(() => startProgress('t', 1, { stream, units: 'steps' } as never)).toThrow(
      'startProgress("t"): unknown option "units" (known: unit, stream, mode, lineIntervalMs, initial)',
    );
    expect(() => startProgress('t', 1, { stream, lineIntervalMs: Number.NaN })).toThrow(
      'lineIntervalMs must be a finite number >= 0, got NaN',
    );
    expect(() => startProgress('t', 1, { stream, unit: 5 as never })).toThrow('unit must be a string, got 5');
    expect(() => startProgress('t', 1, { stream: {} as never })).toThrow(
      'stream must be an object with a write(text) method',
    );
    expect(() => startProgress('t', 1, null as never)).toThrow('options must be an object, got null');
    expect(() => startProgress('t', 1, { stream, initial: Number.NaN })).toThrow(
      'startProgress: initial must be a finite number >= 0, got NaN',
    );
  });

  it('refuses an update or total that is NaN, negative or infinite in every mode, and draws nothing of it', () => {
    for (const mode of ['lines', 'bar', 'silent'] as const) {
      const { stream, text } = capture();
      const p = startProgress('t', 10, { stream, mode, lineIntervalMs: 0 });
      expect(() => p.update(Number.NaN)).toThrow(
        'startProgress("t").update: done must be a finite number >= 0, got NaN',
      );
      expect(() => p.update(-1)).toThrow('got -1');
      expect(() => p.update(Number.POSITIVE_INFINITY)).toThrow('got Infinity');
      expect(() => p.update('3' as never)).toThrow('got "3"');
      expect(() => p.setTotal(Number.NaN)).toThrow(
        'startProgress("t").setTotal: total must be a finite number >= 0, got NaN',
      );
      expect(() => p.setTotal(-5)).toThrow('got -5');
      p.stop();
      expect(text()).not.toContain('NaN');
      expect(text()).not.toContain('Infinity');
    }
  });

  it('takes an update that goes back (a retried download) as it is', () => {
    const { stream, text } = capture();
    const p = startProgress('get', 10, { stream, lineIntervalMs: 0 });
    p.update(6);
    p.update(2, 'retry');
    p.stop();
    expect(text()).toMatch(/get: 2\/10 .*retry\n/);
  });
});

describe('formatDuration', () => {
  it('formats seconds, minutes and hours', () => {
    expect(formatDuration(42)).toBe('42s');
    expect(formatDuration(125)).toBe('2m05s');
    expect(formatDuration(3 * 3600 + 7 * 60)).toBe('3h07m');
    expect(formatDuration(Number.NaN)).toBe('?');
  });
});
