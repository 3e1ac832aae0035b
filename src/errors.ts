/**
 * The one error model of convlab: every error the library raises on purpose is a `ConvlabError` (or a subclass, one
 * per subsystem: IdxError, SafetensorsError, SpecError, …) with a stable `code` such as `E_IDX_MAGIC`,
 * `E_SPEC_SHAPE` or `E_IMAGE_TOO_LARGE`. Codes never change meaning, so programs and tests match on them, not on the
 * message text; the message names the file, the field and the fix, for people. The CLI prints the message alone
 * (no stack unless --debug).
 */
export class ConvlabError extends Error {
  constructor(
    /** Stable and machine-readable: `E_` + subsystem + what went wrong, in capitals. */
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Whether `error` is one of convlab's own (and so has a `code` and a message meant for the user). */
export function isConvlabError(error: unknown): error is ConvlabError {
  return error instanceof ConvlabError;
}
