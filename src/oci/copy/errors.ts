/**
 * The failure family of the copy graph. Like oras-go's `CopyError`, it says
 * which side failed (the source being read or the target being written), what
 * was being done, and to which descriptor, so that "the upstream blob is
 * corrupt" and "the mirror refused the push" read differently to the user and
 * to the plan executor's retry policy.
 *
 * A cancelled copy is not a CopyError: it rejects with the AbortSignal's
 * reason, so callers can tell "stopped on request" from "failed".
 */
import { AirgapError } from "../../core/errors.js";
import type { Descriptor } from "../../core/oci-types.js";

/** Which end of a copy failed. */
export type CopySide = "source" | "target";

/** The operation that failed, as in oras-go's `CopyError.Op`. */
export type CopyOperation = "resolve" | "exists" | "fetch" | "push" | "mount" | "tag" | "parse" | "filter";

/**
 * Stable codes:
 * - `COPY_FAILED`: an I/O operation failed on one side (the cause says why).
 * - `COPY_NOT_FOUND`: the source reference or a referenced manifest is absent.
 * - `COPY_INVALID_MANIFEST`: a source manifest is not JSON the copy understands.
 * - `COPY_UNSUPPORTED`: content the copy refuses (schema 1 manifests, absurd nesting).
 * - `COPY_NO_MATCHING_PLATFORM`: platform filtering left nothing; the message lists what the index has.
 */
export type CopyErrorCode = "COPY_FAILED" | "COPY_NOT_FOUND" | "COPY_INVALID_MANIFEST" | "COPY_UNSUPPORTED" | "COPY_NO_MATCHING_PLATFORM";

/** Everything that identifies a failed copy step. */
export interface CopyErrorDetails {
  readonly code?: CopyErrorCode;
  readonly operation: CopyOperation;
  readonly side: CopySide;
  /** The store that failed (`ContentReader.name`). */
  readonly location: string;
  /** The content concerned; absent only when a reference did not resolve to any. */
  readonly descriptor?: Descriptor;
  /** The tag or digest being resolved or tagged, when the step is about a reference. */
  readonly reference?: string;
  readonly cause?: unknown;
  /** Replaces the generated message. */
  readonly message?: string;
}

function causeMessage(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  return cause === undefined ? "unknown error" : String(cause);
}

/** A copy step failed; `side`, `operation` and `descriptor` say where, `cause` says why. */
export class CopyError extends AirgapError {
  declare readonly code: CopyErrorCode;
  readonly operation: CopyOperation;
  readonly side: CopySide;
  readonly location: string;
  readonly descriptor?: Descriptor;
  readonly reference?: string;

  constructor(details: CopyErrorDetails) {
    const what = details.descriptor !== undefined ? `${details.descriptor.mediaType} ${details.descriptor.digest}` : (details.reference ?? "content");
    const message = details.message ?? `${details.operation} of ${what} failed on the ${details.side} (${details.location}): ${causeMessage(details.cause)}`;
    super(details.code ?? "COPY_FAILED", message, details.cause !== undefined ? { cause: details.cause } : undefined);
    this.operation = details.operation;
    this.side = details.side;
    this.location = details.location;
    if (details.descriptor !== undefined) this.descriptor = details.descriptor;
    if (details.reference !== undefined) this.reference = details.reference;
  }
}
