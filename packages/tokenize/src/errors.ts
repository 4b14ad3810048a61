/** A tokenizer.json / tokenizer_config.json that does not match the format, with where it went wrong. */
export class TokenizerFormatError extends Error {
  constructor(
    /** Dotted path of the offending field, e.g. `model.merges[12]`. */
    readonly field: string,
    message: string,
    /** The file the data came from, when known. */
    readonly file?: string,
    options?: ErrorOptions,
  ) {
    super(`${file ? `${file}: ` : ''}${field}: ${message}`, options);
    this.name = 'TokenizerFormatError';
  }
}

/** A component type (model, normalizer, pre-tokenizer, ...) this package does not implement. */
export class UnsupportedComponentError extends TokenizerFormatError {
  constructor(field: string, type: string, file?: string, hint?: string) {
    super(field, `unsupported type "${type}"${hint ? ` (${hint})` : ''}`, file);
    this.name = 'UnsupportedComponentError';
  }
}
