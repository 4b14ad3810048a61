import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  removeStaleTemporaries,
  temporaryPath,
  writeAtomically,
  writeFileAtomic,
  writeFileAtomicSync,
} from './atomic.js';

const dir = () => mkdtempSync(join(tmpdir(), 'molrl-atomic-'));

describe('atomic writes', () => {
  it('replaces the file whole and leaves no temporary behind', async () => {
    const d = dir();
    const path = join(d, 'a', 'state.json');
    writeFileAtomicSync(path, '{"v":1}');
    await writeFileAtomic(path, '{"v":2}');
    appendFileSync(join(d, 'other'), 'x');
    expect(readFileSync(path, 'utf8')).toBe('{"v":2}');
    expect(readdirSync(join(d, 'a'))).toEqual(['state.json']);
  });

  it('writes a folder whole or not at all, and replaces an existing one', async () => {
    const d = dir();
    const target = join(d, 'checkpoint-3');
    await writeAtomically(target, async (tmp) => {
      mkdirSync(tmp);
      writeFileSync(join(tmp, 'a'), '1');
    });
    expect(readdirSync(target)).toEqual(['a']);
    await writeAtomically(target, async (tmp) => {
      mkdirSync(tmp);
      writeFileSync(join(tmp, 'b'), '2');
    });
    expect(readdirSync(target)).toEqual(['b']);
    await expect(
      writeAtomically(target, async (tmp) => {
        mkdirSync(tmp);
        writeFileSync(join(tmp, 'c'), '3');
        throw new Error('disk full');
      }),
    ).rejects.toThrow('disk full');
    // The failed write left the old folder as it was and no temporary behind.
    expect(readdirSync(target)).toEqual(['b']);
    expect(readdirSync(d)).toEqual(['checkpoint-3']);
  });

  it('removes the temporaries of processes that are gone, not those of live ones', async () => {
    const d = dir();
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    const ours = temporaryPath(join(d, 'state.json'));
    writeFileSync(ours, 'in progress');
    mkdirSync(join(d, `.checkpoint-4.tmp-${gone}-0`));
    writeFileSync(join(d, `.checkpoint-4.tmp-${gone}-0`, 'adapter'), 'x');
    writeFileSync(join(d, 'plain.tmp'), 'not ours');
    expect(await removeStaleTemporaries(d)).toEqual([`.checkpoint-4.tmp-${gone}-0`]);
    expect(readdirSync(d).sort()).toEqual([ours.slice(d.length + 1), 'plain.tmp'].sort());
    expect(await removeStaleTemporaries(join(d, 'missing'))).toEqual([]);
  });
});
