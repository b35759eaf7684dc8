/**
 * The fileserver's failure families. Expected outcomes (absent, already
 * there) are return values; these are for failures, each with a stable code.
 */
import { AirgapError } from "airgap/sdk";

/** Why a file operation failed. */
export type FileServerErrorCode =
  /** The server answered with an error status; the message carries its own text. */
  | "FILE_HTTP"
  /** The server could not be reached, or the connection broke. */
  | "FILE_NETWORK"
  /** The content does not have the sha256 or size the plan promised (source or read-back). */
  | "FILE_DIGEST"
  /** A path that cannot name a file on the target (`..`, empty segments, a trailing `/`). */
  | "FILE_PATH"
  /** A local filesystem operation failed (directory targets). */
  | "FILE_IO"
  /** A Helm repository index or chart archive that cannot be used. */
  | "FILE_CHART"
  /** The target cannot do what was asked (list without an index, unsupported settings). */
  | "FILE_UNSUPPORTED";

/** A file server or directory target failed; `status` is the HTTP status when there was one. */
export class FileServerError extends AirgapError {
  readonly status: number | undefined;

  constructor(code: FileServerErrorCode, message: string, options?: { cause?: unknown; status?: number }) {
    super(code, message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.status = options?.status;
  }
}
