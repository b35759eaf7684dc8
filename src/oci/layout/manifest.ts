/**
 * Reading manifests and indexes out of a layout: bounded in size, verified
 * against their digest, checked against the spec, and with their children
 * listed so the graph can be walked.
 */
import type { Descriptor, ImageIndex, ImageManifest } from "../../core/oci-types.js";
import { isImageManifestMediaType, isIndexMediaType, MediaType } from "../../core/media-types.js";
import type { CallOptions } from "../content.js";
import { MANIFEST_SIZE_LIMIT, readAllLimited } from "../verify.js";
import { checkImageManifest, checkIndex, isJsonObject, parseJson } from "./descriptor-json.js";
import { LayoutError } from "./errors.js";
import { blobEntryName } from "./layout-files.js";
import type { LayoutStore } from "./store.js";

/** A manifest or index read from a layout: the exact bytes, the parsed form and its children. */
export type ManifestContent =
  | {
      readonly kind: "index";
      readonly descriptor: Descriptor;
      readonly bytes: Buffer;
      readonly index: ImageIndex;
      readonly children: readonly Descriptor[];
    }
  | {
      readonly kind: "manifest";
      readonly descriptor: Descriptor;
      readonly bytes: Buffer;
      readonly manifest: ImageManifest;
      readonly children: readonly Descriptor[];
    };

/** Options for reading a manifest. */
export interface ReadManifestOptions extends CallOptions {
  /** Refuse manifests larger than this (default MANIFEST_SIZE_LIMIT, 4 MiB, as registries and containerd do). */
  readonly limit?: number;
}

/** True when a descriptor points at a manifest or index (which has children), not a plain blob. */
export function isManifestDescriptor(descriptor: Descriptor): boolean {
  return isIndexMediaType(descriptor.mediaType) || isImageManifestMediaType(descriptor.mediaType);
}

/**
 * The children of a manifest, in document order: an index's manifests; an
 * image manifest's config then layers. `subject` is NOT a child: it points at
 * the image a referrer describes, which is a parent in copy order.
 */
export function manifestChildren(content: { readonly kind: "index"; readonly index: ImageIndex } | { readonly kind: "manifest"; readonly manifest: ImageManifest }): readonly Descriptor[] {
  return content.kind === "index" ? content.index.manifests : [content.manifest.config, ...content.manifest.layers];
}

/**
 * Reads, verifies and parses the manifest or index `descriptor` names. Which
 * it is comes from the descriptor's media type, or, when that is not a
 * manifest type (resolving a bare digest), from the document's own
 * `mediaType` field or shape.
 */
export async function readManifest(store: LayoutStore, descriptor: Descriptor, options: ReadManifestOptions = {}): Promise<ManifestContent> {
  const limit = options.limit ?? MANIFEST_SIZE_LIMIT;
  const entry = blobEntryName(descriptor.digest);
  const stored = await store.blobSize(descriptor.digest, options);
  if (stored === undefined) throw new LayoutError("BLOB_NOT_FOUND", store.name, `manifest ${descriptor.digest} is not in the layout (${entry})`, { entry });
  if (descriptor.size > limit || stored > limit) {
    throw new LayoutError("TOO_LARGE", store.name, `manifest ${entry} is ${Math.max(descriptor.size, stored)} bytes, over the ${limit}-byte limit`, { entry });
  }
  const bytes = store.readBlobBytes !== undefined ? await store.readBlobBytes(descriptor, options) : await readAllLimited(await store.openBlob(descriptor, options), limit, `manifest ${entry}`);
  const parsed = parseJson(bytes);
  if (!parsed.ok) throw new LayoutError("INVALID_MANIFEST", store.name, `manifest ${entry} is ${parsed.reason}`, { entry });

  const declared = isJsonObject(parsed.value) && typeof parsed.value.mediaType === "string" ? parsed.value.mediaType : undefined;
  let kind: "index" | "manifest";
  if (isIndexMediaType(descriptor.mediaType)) kind = "index";
  else if (isImageManifestMediaType(descriptor.mediaType)) kind = "manifest";
  else if (isIndexMediaType(declared)) kind = "index";
  else if (isImageManifestMediaType(declared)) kind = "manifest";
  else if (isJsonObject(parsed.value) && Array.isArray(parsed.value.manifests)) kind = "index";
  else if (isJsonObject(parsed.value) && isJsonObject(parsed.value.config)) kind = "manifest";
  else throw new LayoutError("INVALID_MANIFEST", store.name, `${entry} is neither an image manifest nor an index`, { entry });

  if (kind === "index") {
    const checked = checkIndex(parsed.value);
    if (!checked.ok) throw new LayoutError("INVALID_MANIFEST", store.name, `index ${entry}: ${checked.reason}`, { entry });
    const index = checked.value;
    return { kind, descriptor, bytes, index, children: manifestChildren({ kind, index }) };
  }
  const checked = checkImageManifest(parsed.value);
  if (!checked.ok) throw new LayoutError("INVALID_MANIFEST", store.name, `manifest ${entry}: ${checked.reason}`, { entry });
  const manifest = checked.value as unknown as ImageManifest;
  return { kind, descriptor, bytes, manifest, children: manifestChildren({ kind, manifest }) };
}

/**
 * The media type a manifest's own bytes declare or imply, for resolving a
 * digest that is not listed in index.json.
 */
export function manifestMediaType(content: ManifestContent): string {
  const declared = content.kind === "index" ? content.index.mediaType : content.manifest.mediaType;
  if (declared !== undefined) return declared;
  return content.kind === "index" ? MediaType.OciIndex : MediaType.OciManifest;
}
