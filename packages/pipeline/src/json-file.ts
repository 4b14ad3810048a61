/**
 * Reading the JSON files a run is configured by (a --config file, a run's
 * config.json and state.json): every problem is a ConfigError naming the file,
 * and a syntax error its line and column.
 */
import { readFileSync, statSync } from 'node:fs';
import { ConfigError } from './config-error.js';

/** The 1-based line and column of a character offset in `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: offset - start + 1 };
}

/** Whether JSON.parse stopped at the end of `text` (a valid beginning) rather than on a bad character. */
function failsOnlyAtEnd(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch (error) {
    const message = (error as Error).message;
    const position = /at position (\d+)/.exec(message);
    if (position) return Number(position[1]) >= text.length;
    return /Unexpected end of JSON input|Unterminated string/.test(message);
  }
}

/**
 * The offset of the character where `text` stops being JSON. V8 gives it for
 * some errors ("at position N"); for the others, the shortest prefix that fails
 * on a bad character (not at its end) ends there: prefixes only get worse, so a
 * binary search finds it.
 */
function errorOffset(text: string, message: string): number {
  const position = /at position (\d+)/.exec(message);
  if (position) return Number(position[1]);
  if (/Unexpected end of JSON input/.test(message)) return text.length;
  let good = 0;
  let bad = text.length;
  while (bad - good > 1) {
    const mid = (good + bad) >> 1;
    if (failsOnlyAtEnd(text.slice(0, mid))) good = mid;
    else bad = mid;
  }
  return bad - 1;
}

/** JSON text parsed; a syntax error names `where`, the line and the column (a UTF-8 byte-order mark is skipped). */
export function parseJsonText(text: string, where: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body) as unknown;
  } catch (error) {
    const message = (error as Error).message;
    const { line, column } = lineColumn(body, errorOffset(body, message));
    // V8's message without its place and without the quoted text (which can be the whole file).
    const reason = message
      .replace(/\s*\(line \d+ column \d+\)/, '')
      .replace(/( in JSON)? at position \d+/, '')
      .replace(/, ".*" is not valid JSON$/s, '');
    throw new ConfigError(`${where}:${line}:${column}: not valid JSON (${reason})`, { cause: error });
  }
}

/** A JSON file's content; a missing file, a folder or a syntax error is a ConfigError naming the path. */
export function readJsonFile(path: string, what = 'file'): unknown {
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch {
    throw new ConfigError(`${path}: no such ${what}`);
  }
  if (!isFile) throw new ConfigError(`${path}: is a folder, not a JSON ${what}`);
  return parseJsonText(readFileSync(path, 'utf8'), path);
}
