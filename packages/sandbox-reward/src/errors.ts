/**
 * Thrown for bad configuration only (never for bad user code): the message
 * names the option that was wrong and why.
 */
export class SandboxConfigError extends Error {
  constructor(
    /** The option path, e.g. `limits.timeoutMs`. */
    readonly option: string,
    problem: string,
  ) {
    super(`invalid sandbox option \`${option}\`: ${problem}`);
    this.name = 'SandboxConfigError';
  }
}

/** Thrown when a closed sandbox is asked to run code. */
export class SandboxClosedError extends Error {
  constructor() {
    super('the sandbox is closed');
    this.name = 'SandboxClosedError';
  }
}

/** How a wrong value is named in an error: `null`, an array, a quoted string, a number, else its type. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? value.slice(0, 60) + '...' : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined) return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  return typeof value;
}
