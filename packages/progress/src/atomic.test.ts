import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  isProcessAlive,
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

  it('makes a missing folder, and refuses a path, data or writer that is not one before making anything', async () => {
    const d = dir();
    writeFileAtomicSync(join(d, 'x', 'y', 'a.json'), '1');
    await writeFileAtomic(join(d, 'p', 'q', 'b.json'), new Uint8Array([50]));
    expect(readFileSync(join(d, 'x', 'y', 'a.json'), 'utf8')).toBe('1');
    expect(readFileSync(join(d, 'p', 'q', 'b.json'), 'utf8')).toBe('2');
    expect(() => writeFileAtomicSync('', 'x')).toThrow('writeFileAtomicSync: path must be a non-empty string, got ""');
    await expect(writeFileAtomic(undefined as never, 'x')).rejects.toThrow(
      'writeFileAtomic: path must be a non-empty string, got undefined',
    );
    expect(() => writeFileAtomicSync(join(d, 'n', 'c.json'), { v: 1 } as never)).toThrow(
      `writeFileAtomicSync(${join(d, 'n', 'c.json')}): data must be a string or a Uint8Array, got object`,
    );
    await expect(writeFileAtomic(join(d, 'n', 'c.json'), 5 as never)).rejects.toThrow(
      'data must be a string or a Uint8Array, got number',
    );
    await expect(writeAtomically(join(d, 'n', 'c'), 'text' as never)).rejects.toThrow(
      `writeAtomically(${join(d, 'n', 'c')}): write must be a function`,
    );
    expect(() => temporaryPath('')).toThrow('temporaryPath: path must be a non-empty string');
    await expect(removeStaleTemporaries('')).rejects.toThrow('removeStaleTemporaries: dir must be a non-empty string');
    // Nothing was made for the refused writes.
    expect(readdirSync(d).sort()).toEqual(['p', 'x']);
  });

  it('says no process has a pid that is not a positive integer (kill() reads 0 as its own process group)', async () => {
    expect(isProcessAlive(process.pid)).toBe(true);
    expect(isProcessAlive(0)).toBe(false);
    expect(isProcessAlive(-1)).toBe(false);
    expect(isProcessAlive(1.5)).toBe(false);
    expect(isProcessAlive(Number.NaN)).toBe(false);
    expect(() => isProcessAlive(String(process.pid) as never)).toThrow('isProcessAlive: pid must be a number, got "');
    // So a temporary named with pid 0 is stale, not a write of this process's group in progress.
    const d = dir();
    writeFileSync(join(d, '.state.json.tmp-0-3'), 'x');
    expect(await removeStaleTemporaries(d)).toEqual(['.state.json.tmp-0-3']);
  });
});
