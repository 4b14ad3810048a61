/**
 * Refusing option keys a function does not know, as transformers' `from_pretrained`
 * refuses keyword arguments it does not use: a misspelt `localFileOnly` (or Python's
 * `local_files_only`, or huggingface_hub's `token`) must not load as if it had not
 * been given. The loaders of every package that reads the Hub share this rule.
 */

/**
 * The keys of an options type as a record TypeScript checks complete and exact
 * (`{ revision: true, ... } satisfies OptionKeys<HubAccessOptions>`): the typecheck
 * fails when the type gains or loses a key the record does not.
 */
export type OptionKeys<T> = { [K in keyof Required<T>]: true };

/** The names of an options record, as `checkOptionNames` takes them. */
export function optionNames<T>(keys: OptionKeys<T>): readonly string[] {
  return Object.keys(keys);
}

/** Python names of transformers / huggingface_hub arguments whose camelCase form is not this API's name. */
const PYTHON_NAMES: Readonly<Record<string, string>> = {
  token: 'accessToken',
  use_auth_token: 'accessToken',
  torch_dtype: 'dtype',
  endpoint: 'hubUrl',
  max_shard_size: 'maxShardBytes',
};

/** `local_files_only` -> `localFilesOnly`. */
function camelCase(name: string): string {
  return name.replace(/_+([a-z0-9])/gi, (_, c: string) => c.toUpperCase());
}

/** Edits (insert, delete, substitute, swap two adjacent characters) that turn a into b, or more than `max`. */
function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      row.push(d);
    }
    prev2 = prev;
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The known option a mistyped `name` most likely meant: its camelCase form
 * (`local_files_only`), the API's name for a Python argument (`token`,
 * `torch_dtype`), else the closest by edits (letter case free, at most 3 edits,
 * keeping more than 40% of the name, commander.js's rule); undefined when none
 * is close.
 */
export function closestOptionName(name: string, known: readonly string[]): string | undefined {
  const camel = camelCase(name);
  if (camel !== name && known.includes(camel)) return camel;
  const python = Object.hasOwn(PYTHON_NAMES, name) ? PYTHON_NAMES[name] : undefined;
  if (python !== undefined && known.includes(python)) return python;
  let best: string | undefined;
  let bestDistance = 4;
  for (const candidate of known) {
    const distance = editDistance(camel.toLowerCase(), candidate.toLowerCase(), 3);
    const longest = Math.max(camel.length, candidate.length);
    if (distance < bestDistance && (longest - distance) / longest > 0.4) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * Throws a TypeError naming `fn` and the key at the first key of `options` not
 * in `known`, with the known name it most likely meant when one is close.
 * `prefix` names a nested object (`truncation.`); `hint` is said after the known names.
 */
export function checkOptionNames(
  options: object,
  known: readonly string[],
  fn: string,
  where: { prefix?: string; hint?: string } = {},
): void {
  const prefix = where.prefix ?? '';
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const near = closestOptionName(key, known);
    throw new TypeError(
      `${fn}: unknown option '${prefix}${key}'${near === undefined ? '' : ` (did you mean '${prefix}${near}'?)`}; ` +
        `known: ${known.map((k) => prefix + k).join(', ')}${where.hint ? `; ${where.hint}` : ''}`,
    );
  }
}
