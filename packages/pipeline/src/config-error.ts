/** A user's mistake in a configuration, a flag or a run folder: the CLI prints its message alone. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** A command line that is wrong in itself (an unknown option, a bad flag value): exit status 2. */
export class UsageError extends ConfigError {
  override name = 'UsageError';
}
