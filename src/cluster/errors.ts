/**
 * Failures reading or writing cluster output files.
 */
import { AirgapError } from "../core/errors.js";

/** Why an output file could not be read or written. */
export type ClusterOutputErrorCode = "OUTPUT_UNREADABLE" | "OUTPUT_CHANGED" | "OUTPUT_WRITE";

/**
 * An output file could not be read (`OUTPUT_UNREADABLE`: not a regular
 * file, too large, permission), changed since it was planned
 * (`OUTPUT_CHANGED`: apply refuses to overwrite what nobody reviewed), or
 * could not be written (`OUTPUT_WRITE`). The message names the file.
 */
export class ClusterOutputError extends AirgapError {
  readonly path: string;

  constructor(code: ClusterOutputErrorCode, path: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.path = path;
  }
}
