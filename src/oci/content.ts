/**
 * The small interfaces every place content lives implements (a registry
 * repository, an OCI layout, a bundle tar), in the spirit of oras-go's
 * `content.Storage` + `Resolver` and go-containerregistry's `remote`/`layout`
 * packages: the copy graph is written once against these.
 *
 * A store is scoped to ONE repository; a layout store maps the repository to
 * the `org.opencontainers.image.ref.name` prefix.
 */
import type { Readable } from "node:stream";
import type { Descriptor } from "../core/oci-types.js";

/** Options every network- or disk-touching call accepts. */
export interface CallOptions {
  readonly signal?: AbortSignal;
}

/** Options of {@link ContentWriter.push}. */
export interface PushOptions extends CallOptions {
  /**
   * Opens the same content again from its start. A writer whose upload was
   * interrupted after the stream was partly read uses it to restart or resume
   * instead of failing (a stream is never resent half-read); writers that
   * need no second read ignore it.
   */
  readonly reopen?: () => Promise<Readable>;
}

/** Read access to content: resolve a tag, check, fetch. */
export interface ContentReader {
  /** A short human name for errors and events (`127.0.0.1:5000/team/app`, `oci:./mirror`). */
  readonly name: string;
  /**
   * Resolves a tag or digest to the descriptor of the manifest it names.
   * Returns undefined when it does not exist: absence is an answer, not an error.
   */
  resolve(reference: string, options?: CallOptions): Promise<Descriptor | undefined>;
  /** True when the blob or manifest is present. Never throws for "not found". */
  exists(descriptor: Descriptor, options?: CallOptions): Promise<boolean>;
  /**
   * Streams the content. The stream fails if the bytes do not match
   * `descriptor.digest` and `descriptor.size`, so nothing unverified is passed on.
   */
  fetch(descriptor: Descriptor, options?: CallOptions): Promise<Readable>;
}

/** Write access: push content by digest, then point a tag at it. */
export interface ContentWriter extends ContentReader {
  /**
   * Stores content under its digest; manifests and blobs are told apart by
   * media type. The content is verified while it is written, and nothing is
   * made visible unless it matched.
   */
  push(descriptor: Descriptor, content: Readable, options?: PushOptions): Promise<void>;
  /** Points `tag` at an already pushed manifest. Called last, after all children. */
  tag(descriptor: Descriptor, tag: string, options?: CallOptions): Promise<void>;
  /**
   * Cross-repository blob mount within the same target. Returns false when
   * the target declined (then the caller uploads); optional capability.
   */
  mount?(descriptor: Descriptor, fromRepository: string, options?: CallOptions): Promise<boolean>;
}
