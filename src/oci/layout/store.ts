/**
 * The read side every layout shares (a directory on disk, a tar archive):
 * the index, blob sizes and verified blob streams. Repository views, the
 * manifest reader, the graph walk and the tar writer are written once
 * against this.
 */
import type { Readable } from "node:stream";
import type { Digest } from "../../core/digest.js";
import type { Descriptor, ImageIndex } from "../../core/oci-types.js";
import type { CallOptions } from "../content.js";

/** Options for opening a blob. */
export interface OpenBlobOptions extends CallOptions {
  /**
   * Verify digest and size while streaming (default true). Only a caller that
   * verifies the same bytes itself, such as the tar writer, turns this off,
   * to avoid hashing every byte twice.
   */
  readonly verify?: boolean;
}

/** Read access to one OCI image layout. */
export interface LayoutStore {
  /** Human name for messages: `oci:/srv/mirror`, `oci-archive:/media/site.tar`. */
  readonly name: string;
  /** The parsed `index.json`. */
  readIndex(options?: CallOptions): Promise<ImageIndex>;
  /** The stored size of a blob, or undefined when it is absent. */
  blobSize(digest: Digest, options?: CallOptions): Promise<number | undefined>;
  /**
   * Streams a blob. Throws LayoutError BLOB_NOT_FOUND when absent; the stream
   * fails with ContentVerificationError when the bytes do not match.
   */
  openBlob(descriptor: Descriptor, options?: OpenBlobOptions): Promise<Readable>;
  /**
   * Reads a small blob (a manifest) whole and verified, without a stream.
   * Optional: stores that have it spare the many concurrent manifest reads of
   * a lock one file stream and one abort listener each on the run's signal
   * (eleven of those on one signal is a Node MaxListenersExceededWarning).
   * Callers check the size limit first.
   */
  readBlobBytes?(descriptor: Descriptor, options?: CallOptions): Promise<Buffer>;
}
