/**
 * Walking the content graph of a layout: from index.json entries (or any
 * roots) down to every manifest, config and layer, children first, each digest
 * once. Used to decide what a tar must contain and to check a layout is
 * complete.
 */
import type { Descriptor } from "../../core/oci-types.js";
import type { CallOptions } from "../content.js";
import { ContentVerificationError } from "../verify.js";
import { LayoutError } from "./errors.js";
import { blobEntryName } from "./layout-files.js";
import { isManifestDescriptor, readManifest } from "./manifest.js";
import type { LayoutStore } from "./store.js";

/** Everything reachable from the roots. */
export interface WalkResult {
  /** Every stored descriptor reachable from the roots, children before parents, each digest once. */
  readonly descriptors: readonly Descriptor[];
  /**
   * Blobs that are absent but carry `urls` (non-distributable / foreign
   * layers): legitimately not stored, fetched from their URLs by runtimes.
   */
  readonly foreign: readonly Descriptor[];
}

/** Indexes of indexes deeper than this are refused: real images nest two levels at most. */
const MAX_DEPTH = 16;

/**
 * Walks the graph below `roots`. Throws LayoutError BLOB_NOT_FOUND for a
 * missing child (naming it), and ContentVerificationError when a stored blob
 * has another size than its descriptor says.
 */
export async function walkLayout(store: LayoutStore, roots: readonly Descriptor[], options: CallOptions = {}): Promise<WalkResult> {
  const seen = new Set<string>();
  const descriptors: Descriptor[] = [];
  const foreign: Descriptor[] = [];

  const visit = async (descriptor: Descriptor, depth: number, parent: string): Promise<void> => {
    if (seen.has(descriptor.digest)) return;
    seen.add(descriptor.digest);
    options.signal?.throwIfAborted();
    const entry = blobEntryName(descriptor.digest);
    const size = await store.blobSize(descriptor.digest, options);
    if (size === undefined) {
      if (!isManifestDescriptor(descriptor) && descriptor.urls !== undefined && descriptor.urls.length > 0) {
        foreign.push(descriptor);
        return;
      }
      throw new LayoutError("BLOB_NOT_FOUND", store.name, `${entry} (${descriptor.mediaType}, referenced by ${parent}) is not in the layout`, { entry });
    }
    if (size !== descriptor.size) {
      throw new ContentVerificationError(`${store.name}: ${entry} is ${size} bytes but ${parent} says ${descriptor.size}`, descriptor.digest);
    }
    if (isManifestDescriptor(descriptor)) {
      if (depth > MAX_DEPTH) throw new LayoutError("INVALID_MANIFEST", store.name, `${entry} is nested more than ${MAX_DEPTH} indexes deep`, { entry });
      const content = await readManifest(store, descriptor, options);
      for (const child of content.children) await visit(child, depth + 1, entry);
    }
    descriptors.push(descriptor);
  };

  for (const root of roots) await visit(root, 0, "index.json");
  return { descriptors, foreign };
}
