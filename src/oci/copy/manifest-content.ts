/**
 * What the copy graph needs to know about a manifest: whether a descriptor
 * names a manifest (pushed to `/manifests/`, has children) or a blob, and
 * which children a manifest's bytes reference. Parsing keeps each index
 * entry's raw JSON so that a filtered index is rewritten without losing
 * fields airgap does not model.
 */
import { parseDigest } from "../../core/digest.js";
import { MediaType, isImageManifestMediaType, isIndexMediaType } from "../../core/media-types.js";
import type { Descriptor, Platform } from "../../core/oci-types.js";
import { CopyError } from "./errors.js";

/** The OCI 1.1-rc artifact manifest: children in `blobs`; a few registries still hold them. */
export const OCI_ARTIFACT_MANIFEST = "application/vnd.oci.artifact.manifest.v1+json";

/** Docker schema 1 manifests: recognised only to refuse them clearly (their children are not descriptors). */
const SCHEMA1_MANIFESTS: readonly string[] = ["application/vnd.docker.distribution.manifest.v1+json", "application/vnd.docker.distribution.manifest.v1+prettyjws"];

/** Layer types the image spec and Docker mark as non-distributable ("foreign"). */
export const NON_DISTRIBUTABLE_MEDIA_TYPES: readonly string[] = [
  MediaType.DockerForeignLayerGzip,
  "application/vnd.oci.image.layer.nondistributable.v1.tar",
  "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
  "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
];

/** True when the descriptor names a manifest (index, image manifest, artifact manifest, schema 1), not a blob. */
export function isManifestDescriptor(descriptor: Pick<Descriptor, "mediaType">): boolean {
  const type = descriptor.mediaType;
  return isIndexMediaType(type) || isImageManifestMediaType(type) || type === OCI_ARTIFACT_MANIFEST || SCHEMA1_MANIFESTS.includes(type);
}

/**
 * True for a foreign / non-distributable layer: a foreign media type, or
 * `urls` telling clients to fetch it elsewhere (Windows base layers). Such
 * layers are often absent from the source registry by design.
 */
export function isNonDistributable(descriptor: Descriptor): boolean {
  return NON_DISTRIBUTABLE_MEDIA_TYPES.includes(descriptor.mediaType) || (descriptor.urls !== undefined && descriptor.urls.length > 0);
}

/** One entry of an index: the checked descriptor and the exact JSON object it came from. */
export interface IndexEntry {
  readonly descriptor: Descriptor;
  readonly raw: Readonly<Record<string, unknown>>;
}

/** A parsed manifest: an index (entries kept raw for rewriting) or a leaf-bearing manifest (its blobs). */
export type ParsedManifest =
  | { readonly kind: "index"; readonly document: Readonly<Record<string, unknown>>; readonly entries: readonly IndexEntry[] }
  | { readonly kind: "manifest"; readonly children: readonly Descriptor[] };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function checkPlatform(value: unknown): Platform | undefined | string {
  if (value === undefined) return undefined;
  if (!isObject(value) || typeof value["os"] !== "string" || typeof value["architecture"] !== "string") return "platform must be an object with string os and architecture";
  if (value["variant"] !== undefined && typeof value["variant"] !== "string") return "platform.variant must be a string";
  return value as unknown as Platform;
}

/** Checks one descriptor of a manifest; returns the problem as a string so the caller can say where it is. */
function checkDescriptor(value: unknown): Descriptor | string {
  if (!isObject(value)) return "descriptor is not an object";
  const { mediaType, digest, size, urls } = value;
  if (typeof mediaType !== "string" || mediaType === "") return "descriptor has no mediaType";
  if (typeof digest !== "string") return "descriptor has no digest";
  const parsed = parseDigest(digest);
  if (!parsed.ok) return parsed.reason;
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) return `descriptor ${digest} has an invalid size`;
  if (urls !== undefined && (!Array.isArray(urls) || urls.some((u) => typeof u !== "string"))) return `descriptor ${digest} has invalid urls`;
  const platform = checkPlatform(value["platform"]);
  if (typeof platform === "string") return `descriptor ${digest}: ${platform}`;
  return value as unknown as Descriptor;
}

function invalid(descriptor: Descriptor, location: string, why: string, cause?: unknown): CopyError {
  return new CopyError({
    code: "COPY_INVALID_MANIFEST",
    operation: "parse",
    side: "source",
    location,
    descriptor,
    message: `manifest ${descriptor.digest} from ${location} is invalid: ${why}`,
    ...(cause !== undefined ? { cause } : {}),
  });
}

function descriptorList(value: unknown, field: string, descriptor: Descriptor, location: string): Descriptor[] {
  if (!Array.isArray(value)) throw invalid(descriptor, location, `"${field}" is not an array`);
  return value.map((item, i) => {
    const checked = checkDescriptor(item);
    if (typeof checked === "string") throw invalid(descriptor, location, `${field}[${i}]: ${checked}`);
    return checked;
  });
}

/**
 * Parses a manifest's exact bytes. What it is comes from the document's
 * shape (`manifests` → index; `config` + `layers` → image manifest; `blobs`
 * → artifact manifest), so a descriptor with an unusual media type still
 * copies completely. `subject` is deliberately NOT a child: it is the image
 * a referrer describes, which comes before the referrer, not under it.
 */
export function parseManifestContent(bytes: Uint8Array, descriptor: Descriptor, location: string): ParsedManifest {
  if (SCHEMA1_MANIFESTS.includes(descriptor.mediaType)) {
    throw new CopyError({
      code: "COPY_UNSUPPORTED",
      operation: "parse",
      side: "source",
      location,
      descriptor,
      message: `manifest ${descriptor.digest} from ${location} is Docker schema 1 (${descriptor.mediaType}), which airgap does not copy; rebuild or convert the image to schema 2 or OCI`,
    });
  }
  let document: unknown;
  try {
    document = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch (error) {
    throw invalid(descriptor, location, "not JSON", error);
  }
  if (!isObject(document)) throw invalid(descriptor, location, "not a JSON object");
  if (Array.isArray(document["manifests"])) {
    const entries = (document["manifests"] as unknown[]).map((raw, i): IndexEntry => {
      const checked = checkDescriptor(raw);
      if (typeof checked === "string") throw invalid(descriptor, location, `manifests[${i}]: ${checked}`);
      return { descriptor: checked, raw: raw as Record<string, unknown> };
    });
    return { kind: "index", document, entries };
  }
  if (document["config"] !== undefined || document["layers"] !== undefined) {
    const config = checkDescriptor(document["config"]);
    if (typeof config === "string") throw invalid(descriptor, location, `config: ${config}`);
    const layers = document["layers"] === undefined ? [] : descriptorList(document["layers"], "layers", descriptor, location);
    return { kind: "manifest", children: [config, ...layers] };
  }
  if (document["blobs"] !== undefined) return { kind: "manifest", children: descriptorList(document["blobs"], "blobs", descriptor, location) };
  throw invalid(descriptor, location, "neither an index (manifests) nor a manifest (config and layers)");
}

/** The descriptors a parsed manifest points at, in document order. */
export function childrenOf(parsed: ParsedManifest): readonly Descriptor[] {
  return parsed.kind === "index" ? parsed.entries.map((e) => e.descriptor) : parsed.children;
}
