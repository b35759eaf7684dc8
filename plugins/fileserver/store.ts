/**
 * What the fileserver plugin needs from a place that holds files, so that
 * the provider, the Helm repository logic and the tests speak to a WebDAV
 * server and a directory the same way.
 */
import type { CallOptions, DeleteFileResult, FileContent, FileObservation, ObserveFilesOptions, PutFileOptions, PutFileResult } from "airgap/sdk";

/** A file store: paths are relative, `/`-separated, checked by `pathSegments`. */
export interface FileStore {
  /** The target as shown to people (`http://files.internal/`, `/srv/files`). */
  readonly display: string;
  /** Every path gets an answer; see FileObservation. */
  observe(paths: readonly string[], options?: ObserveFilesOptions): Promise<Map<string, FileObservation>>;
  /** Writes via a temp name moved into place, checked against the content's sha256, then the sidecar. */
  put(path: string, content: FileContent, options?: PutFileOptions): Promise<PutFileResult>;
  /** Removes the sidecar, then the file. */
  delete(path: string, options?: CallOptions): Promise<DeleteFileResult>;
  /** Files with a sidecar under `directory`, recursively, as target paths. */
  list(directory: string, options?: CallOptions): Promise<string[]>;
  /** A small file read whole, or undefined when absent; more than `limit` bytes is an error. */
  read(path: string, limit: number, options?: CallOptions): Promise<Buffer | undefined>;
  close(): Promise<void>;
}
