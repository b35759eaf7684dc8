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

/**
 * The facts of a failure as plain data, for events, observations and JSON
 * output: the message, airgap's stable code, and, when a registry or server
 * answered, its HTTP status, its own error codes and whether a later retry
 * may help. Read by duck typing so that core imports nothing.
 */
export interface FailureFacts {
  readonly message: string;
  /** airgap's stable code (`REGISTRY_HTTP`, `LAYOUT_LOCKED`, …), when the error has one. */
  readonly code?: string;
  /** HTTP status, when a server answered. */
  readonly status?: number;
  /** The server's own error codes (OCI `errors[].code`, Harbor's, ECR's `__type`). */
  readonly serverCodes?: readonly string[];
  /** True when the same request may succeed later (429, 5xx, connection failures). */
  readonly temporary?: boolean;
}

/** The facts of any thrown value, keeping what the error carries (and what its causes carry: a copy failure wraps the registry's answer). */
export function failureFacts(error: unknown): FailureFacts {
  if (!(error instanceof Error)) return { message: String(error) };
  let status: number | undefined;
  let serverCodes: string[] = [];
  let temporary: boolean | undefined;
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const x = e as Error & { status?: unknown; errors?: unknown; temporary?: unknown };
    if (status === undefined && typeof x.status === "number") status = x.status;
    if (serverCodes.length === 0 && Array.isArray(x.errors)) serverCodes = x.errors.map((y: { code?: unknown }) => y?.code).filter((c): c is string => typeof c === "string");
    if (temporary === undefined && typeof x.temporary === "boolean") temporary = x.temporary;
  }
  return {
    message: error.message,
    ...(error instanceof AirgapError ? { code: error.code } : {}),
    ...(status !== undefined ? { status } : {}),
    ...(serverCodes.length > 0 ? { serverCodes } : {}),
    ...(temporary !== undefined ? { temporary } : {}),
  };
}
