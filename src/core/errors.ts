/**
 * Error families. Expected outcomes (absent, already current, no changes) are
 * return values; these classes are for failures, one class per family, each
 * with a stable `code` that scripts and tests can match on.
 */
import type { Diagnostic } from "./diagnostics.js";

/** Base of every error airgap raises on purpose. */
export class AirgapError extends Error {
  /** Stable, machine-readable identifier of the failure family. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The configuration could not be loaded or is invalid; carries every diagnostic found. */
export class ConfigError extends AirgapError {
  readonly diagnostics: readonly Diagnostic[];

  constructor(diagnostics: readonly Diagnostic[], message = "configuration is invalid") {
    super("CONFIG_INVALID", message);
    this.diagnostics = diagnostics;
  }
}

/** A user-supplied value (flag, path, reference) is unusable; the message says which and why. */
export class UsageError extends AirgapError {
  constructor(message: string) {
    super("USAGE", message);
  }
}

/** A bug in airgap: the message asks the user to report it. */
export class InternalError extends AirgapError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("INTERNAL", `internal error: ${message} (this is a bug in airgap; please report it)`, options);
  }
}
