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
