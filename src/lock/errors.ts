/**
 * The failure family of airgap.lock on disk.
 */
import { AirgapError } from "../core/errors.js";

/**
 * Stable codes of {@link LockFileError}:
 * - `LOCK_INVALID`: not JSON (truncated, merge conflict) or not the shape of an airgap.lock;
 * - `LOCK_VERSION`: written by a newer airgap (or an unknown version);
 * - `LOCK_READ`: the file exists but cannot be read.
 */
export type LockFileErrorCode = "LOCK_INVALID" | "LOCK_VERSION" | "LOCK_READ";

/** airgap.lock cannot be used; the message says what is wrong and what to do. */
export class LockFileError extends AirgapError {
  declare readonly code: LockFileErrorCode;
  /** The lock file's path (or display name). */
  readonly path: string;

  constructor(code: LockFileErrorCode, path: string, message: string, options?: { readonly cause?: unknown }) {
    super(code, `${path}: ${message}`, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.path = path;
  }
}
