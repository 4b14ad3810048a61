import { describe, expect, it } from 'vitest';
import { startProgress, type ProgressStream } from './index.js';

// Any object with write() is a stream: no Node stream class is needed, so the public
// types stand without @types/node (this file typechecks only with the structural type).
function sink(isTTY: boolean): ProgressStream & { text: () => string } {
  let out = '';
  return {
    isTTY,
    columns: 100,
    write(text: string) {
      out += text;
      return true;
    },
    text: () => out,
  };
}

describe('ProgressStream', () => {
  it('takes plain log lines into a plain object', () => {
    const stream = sink(false);
    const p = startProgress('copy', 4, { stream, unit: 'files', lineIntervalMs: 0 });
    p.update(4);
    p.stop();
    expect(stream.text()).toMatch(/^copy: 4\/4 files 100%/);
  });

  it('draws the bar into a plain object that says it is a TTY', () => {
    const stream = sink(true);
    const p = startProgress('copy', 4, { stream, unit: 'files' });
    p.update(2, 'halfway');
    p.stop();
    expect(stream.text()).toContain('copy [');
    expect(stream.text()).toContain('2/4 files');
  });
});
