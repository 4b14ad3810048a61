/** A value as an error message shows it: its type, and its value where that is short. */
export const describeValue = (v: unknown): string =>
  v === null
    ? 'null'
    : Array.isArray(v)
      ? 'an array'
      : typeof v === 'string'
        ? `string ${JSON.stringify(v)}`
        : typeof v === 'number' || typeof v === 'boolean'
          ? `${typeof v} ${String(v)}`
          : typeof v;
