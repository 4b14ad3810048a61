import { describe, expect, it } from 'vitest';
import { pythonStrip } from './python-strip.js';

describe('pythonStrip', () => {
  it("strips what Python's str methods strip", () => {
    // Python: '\x1c a \x85'.strip() == 'a'; '\ufeffa'.strip() keeps the BOM (not whitespace to Python).
    expect(pythonStrip('\x1c a \x85', 'strip')).toBe('a');
    expect(pythonStrip('\ufeffa\u3000', 'strip')).toBe('\ufeffa');
    expect(pythonStrip('\n\n  code\n', 'lstrip', '\n')).toBe('  code\n');
    expect(pythonStrip('xyabcyx', 'rstrip', 'xy')).toBe('xyabc');
    expect(pythonStrip('xyabcyx', 'strip', 'yx')).toBe('abc');
    expect(pythonStrip('😀a😀', 'strip', '😀')).toBe('a');
    expect(pythonStrip('  a  ', 'strip', null)).toBe('a');
    expect(pythonStrip('aaa', 'strip', 'a')).toBe('');
  });

  it('refuses what Python refuses', () => {
    expect(() => pythonStrip(3, 'strip')).toThrow('strip() of a number, not a string');
    expect(() => pythonStrip('a', 'lstrip', 3)).toThrow('lstrip arg must be None or str, got number');
  });
});
