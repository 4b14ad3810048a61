/** A benchmark's command-line options: the value after `name` (`--sizes 256,512`), or undefined when absent. */
export function flagValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
