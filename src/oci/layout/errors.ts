/**
 * The failure family of OCI image layouts (directories and tar archives).
 *
 * Content that does not match its digest is reported with the shared
 * `ContentVerificationError` (verify.ts) instead, so that one `catch` handles
 * corrupt bytes the same way whether they came from a registry or a layout.
 */
import { AirgapError } from "../../core/errors.js";

/**
 * Why a layout could not be used. Stable strings that tests and scripts match on:
 * - `NOT_A_LAYOUT`: no `oci-layout` file, or an unsupported `imageLayoutVersion`.
 * - `INVALID_INDEX`, `INVALID_MANIFEST`: JSON that is not what the image spec describes.
 * - `TOO_LARGE`: `index.json`, `oci-layout` or a manifest over its size limit.
 * - `BLOB_NOT_FOUND`, `MANIFEST_NOT_FOUND`: referenced content is absent.
 * - `INVALID_REFERENCE`: a repository name or tag that cannot become a ref.name.
 * - `UNSAFE_ENTRY`: a tar entry with `..` or an absolute path.
 * - `UNSUPPORTED_ENTRY`: a tar entry that is a link, device or fifo.
 * - `DUPLICATE_ENTRY`: the same name twice in one tar.
 * - `INVALID_ENTRY`: a tar entry under `blobs/` whose name is not a digest.
 * - `TRUNCATED`, `CORRUPT_ARCHIVE`: the tar ends early or a header is damaged.
 * - `INCOMPLETE`: a tar to be written lacks a blob its index needs.
 * - `LOCKED`: another process holds the layout's writer lock (writer-lock.ts) and did not let go in time.
 */
export type LayoutErrorCode =
  | "NOT_A_LAYOUT"
  | "INVALID_INDEX"
  | "INVALID_MANIFEST"
  | "TOO_LARGE"
  | "BLOB_NOT_FOUND"
  | "MANIFEST_NOT_FOUND"
  | "INVALID_REFERENCE"
  | "UNSAFE_ENTRY"
  | "UNSUPPORTED_ENTRY"
  | "DUPLICATE_ENTRY"
  | "INVALID_ENTRY"
  | "TRUNCATED"
  | "CORRUPT_ARCHIVE"
  | "INCOMPLETE"
  | "LOCKED";

/** An OCI layout (directory or tar) is unusable or refused; `entry` names the offending file when there is one. */
export class LayoutError extends AirgapError {
  declare readonly code: LayoutErrorCode;
  /** The layout directory or archive path. */
  readonly location: string;
  /** The entry inside the layout (`blobs/sha256/…`, `index.json`), when one is to blame. */
  readonly entry?: string;

  constructor(code: LayoutErrorCode, location: string, message: string, options?: { entry?: string; cause?: unknown }) {
    super(code, `${location}: ${message}`, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.location = location;
    if (options?.entry !== undefined) this.entry = options.entry;
  }
}
