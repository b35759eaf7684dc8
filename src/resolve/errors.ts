/**
 * The failure families of resolution. Expected outcomes (a tag that does not
 * exist, a filter that selects nothing) are {@link ResolveProblem}s collected
 * across all entries; these errors are for what stops one entry or the whole
 * command: an unusable source, an unreadable lock file.
 */
import { AirgapError } from "../core/errors.js";

/**
 * Why a source could not be used for an entry. Stable codes:
 * - `SOURCE_UNSUPPORTED`: the source type is not implemented yet (`docker-archive`);
 * - `SOURCE_NOT_FOUND`: a disk source's path does not exist;
 * - `SOURCE_INVALID`: the source answered something unusable (a broken index.yaml, an index child that is missing);
 * - `SOURCE_HTTP`: an HTTP source (Helm repository, file URL) answered an unexpected status.
 */
export type ResolveErrorCode = "SOURCE_UNSUPPORTED" | "SOURCE_NOT_FOUND" | "SOURCE_INVALID" | "SOURCE_HTTP";

/**
 * A source could not be used. Carries the JSON pointer of the airgap.yaml
 * entry when the thrower knows it, so the CLI can print `airgap.yaml:LINE:COL`.
 */
export class ResolveError extends AirgapError {
  declare readonly code: ResolveErrorCode;
  /** JSON pointer of the entry in airgap.yaml (`/bundles/platform/images/2`), when known. */
  readonly pointer: string | undefined;

  constructor(code: ResolveErrorCode, message: string, options?: { readonly pointer?: string; readonly cause?: unknown }) {
    super(code, message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.pointer = options?.pointer;
  }
}

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
