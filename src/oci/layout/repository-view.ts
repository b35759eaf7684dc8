/**
 * One repository's view of a layout, as the copy graph expects a content
 * store to be (content.ts): tags resolve through index.json ref names, blobs
 * are shared by every repository of the layout.
 */
import type { Readable } from "node:stream";
import { isDigest } from "../../core/digest.js";
import type { Descriptor } from "../../core/oci-types.js";
import type { CallOptions, ContentReader } from "../content.js";
import { LayoutError } from "./errors.js";
import { manifestMediaType, readManifest } from "./manifest.js";
import { findRefEntry, fullRefName, isValidRefName } from "./ref-name.js";
import type { LayoutStore } from "./store.js";

/**
 * Checks that `repository:tag`-style names can be built from `repository`:
 * it must itself be a valid ref name without a tag or digest of its own.
 */
export function checkRepositoryName(store: LayoutStore, repository: string): void {
  if (!isValidRefName(repository) || repository.includes("@")) {
    throw new LayoutError("INVALID_REFERENCE", store.name, `"${repository}" cannot name a repository in a layout (expected e.g. registry.example/team/app)`);
  }
}

/** A read-only repository view over any layout store. */
export class LayoutRepository implements ContentReader {
  /** `oci:DIR:REPOSITORY` / `oci-archive:FILE:REPOSITORY`, as skopeo spells layout references. */
  readonly name: string;
  /** The repository name as given, e.g. `registry.example/team/app`. */
  readonly repository: string;
  protected readonly store: LayoutStore;

  constructor(store: LayoutStore, repository: string) {
    checkRepositoryName(store, repository);
    this.store = store;
    this.repository = repository;
    this.name = `${store.name}:${repository}`;
  }

  /**
   * A tag resolves through the ref.name convention (ref-name.ts); a digest
   * resolves to any manifest stored in the layout, with its media type taken
   * from index.json when listed there, else from the manifest itself.
   */
  async resolve(reference: string, options: CallOptions = {}): Promise<Descriptor | undefined> {
    const index = await this.store.readIndex(options);
    if (isDigest(reference)) {
      const listed = index.manifests.find((d) => d.digest === reference);
      if (listed !== undefined) return listed;
      const size = await this.store.blobSize(reference, options);
      if (size === undefined) return undefined;
      try {
        const content = await readManifest(this.store, { mediaType: "application/octet-stream", digest: reference, size }, options);
        return { mediaType: manifestMediaType(content), digest: reference, size };
      } catch (error) {
        // A layer or config digest names no manifest: absent as a manifest, like a registry's 404.
        if (error instanceof LayoutError && (error.code === "INVALID_MANIFEST" || error.code === "TOO_LARGE")) return undefined;
        throw error;
      }
    }
    if (!isValidRefName(fullRefName(this.repository, reference))) return undefined;
    return findRefEntry(index.manifests, this.repository, reference);
  }

  /** True when the blob is stored with the size the descriptor states. */
  async exists(descriptor: Descriptor, options: CallOptions = {}): Promise<boolean> {
    return (await this.store.blobSize(descriptor.digest, options)) === descriptor.size;
  }

  /** Streams the blob, verified against the descriptor. */
  async fetch(descriptor: Descriptor, options: CallOptions = {}): Promise<Readable> {
    return this.store.openBlob(descriptor, options);
  }
}
