/**
 * Refusing option keys a function does not know. An options object is read by
 * name, so a typo or Python's snake_case spelling (`max_new_tokens`) would
 * otherwise be dropped without a word and the run go on with the default.
 */

/** Every key of an options type, as a record TypeScript checks complete (`satisfies OptionKeys<T>`). */
export type OptionKeys<T> = Record<keyof Required<T>, true>;

/** The known key `key` most plausibly meant: its camelCase form, or the same letters in another case. */
function meant(key: string, known: readonly string[]): string | undefined {
  const camel = key.replace(/[_-]+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
  return known.find((k) => k === camel) ?? known.find((k) => k.toLowerCase() === camel.toLowerCase());
}

/**
 * Throws a TypeError naming `fn` and the first key of `options` that `known`
 * lacks, with the name it most likely meant and the keys there are.
 */
export function checkOptionKeys(fn: string, options: object, known: Record<string, true>): void {
  const names = Object.keys(known);
  for (const key of Object.keys(options)) {
    if (Object.hasOwn(known, key)) continue;
    const near = meant(key, names);
    throw new TypeError(
      `${fn}: unknown option '${key}'${near ? ` (did you mean '${near}'?)` : ''} (known: ${names.join(', ')})`,
    );
  }
}
