/**
 * The facts the lock records about a manifest: digest, media type, size,
 * and the bytes below it (config plus layers; for an index, per child), so
 * plan can estimate what a copy moves without fetching anything again.
 */
import type { Digest } from "../core/digest.js";
import { isImageManifestMediaType, isIndexMediaType } from "../core/media-types.js";
import { formatPlatform, type Descriptor, type Platform } from "../core/oci-types.js";
import type { CallOptions } from "../oci/content.js";
import { ResolveError } from "../sources/errors.js";
import type { LockedChildManifest, LockedManifest } from "../lock/model.js";
import type { SourceManifest, SourceRepository } from "../sources/source-repository.js";

/** Facts of a root manifest, with its children when it is an index. */
export interface ManifestFacts extends LockedManifest {
  readonly manifests?: readonly LockedChildManifest[];
}

/** Indexes nested deeper than this are refused (real images nest at most two levels). */
const MAX_DEPTH = 4;

interface Parsed {
  readonly kind: "index" | "manifest" | "other";
  readonly children: readonly Descriptor[];
}

function sizeOf(value: unknown): number {
  const size = (value as { size?: unknown } | undefined)?.size;
  return typeof size === "number" && Number.isSafeInteger(size) && size >= 0 ? size : 0;
}

function parse(manifest: SourceManifest, name: string): Parsed & { readonly contentSize?: number } {
  let json: unknown;
  try {
    json = JSON.parse(manifest.bytes.toString("utf8"));
  } catch {
    throw new ResolveError("SOURCE_INVALID", `${name}@${manifest.descriptor.digest} is not JSON`);
  }
  const o = (typeof json === "object" && json !== null ? json : {}) as Record<string, unknown>;
  const mediaType = manifest.descriptor.mediaType;
  if (isIndexMediaType(mediaType) || (!isImageManifestMediaType(mediaType) && Array.isArray(o["manifests"]))) {
    const list = Array.isArray(o["manifests"]) ? o["manifests"] : [];
    const children = list.filter((d): d is Descriptor => typeof d === "object" && d !== null && typeof (d as Descriptor).digest === "string" && typeof (d as Descriptor).mediaType === "string");
    return { kind: "index", children };
  }
  if (typeof o["config"] === "object" || Array.isArray(o["layers"])) {
    const layers = Array.isArray(o["layers"]) ? o["layers"] : [];
    return { kind: "manifest", children: [], contentSize: sizeOf(o["config"]) + layers.reduce((sum: number, l) => sum + sizeOf(l), 0) };
  }
  return { kind: "other", children: [] };
}

function platformText(platform: Platform | undefined): string | undefined {
  if (platform === undefined || typeof platform.os !== "string" || typeof platform.architecture !== "string") return undefined;
  return formatPlatform(platform);
}

async function contentOf(repo: SourceRepository, manifest: SourceManifest, depth: number, options: CallOptions): Promise<{ contentSize?: number; manifests?: LockedChildManifest[] }> {
  const parsed = parse(manifest, repo.name);
  if (parsed.kind === "manifest") return parsed.contentSize !== undefined ? { contentSize: parsed.contentSize } : {};
  if (parsed.kind === "other") return {};
  if (depth >= MAX_DEPTH) throw new ResolveError("SOURCE_INVALID", `${repo.name}@${manifest.descriptor.digest} nests indexes more than ${MAX_DEPTH} deep`);
  const manifests = await Promise.all(
    parsed.children.map(async (child): Promise<LockedChildManifest> => {
      const fetched = await repo.getManifest(child.digest as Digest, options);
      if (fetched === undefined) {
        throw new ResolveError("SOURCE_INVALID", `index ${repo.name}@${manifest.descriptor.digest} lists ${child.digest}${child.platform ? ` (${platformText(child.platform) ?? "?"})` : ""}, which the source does not have`);
      }
      const below = await contentOf(repo, { descriptor: { ...fetched.descriptor, mediaType: child.mediaType }, bytes: fetched.bytes }, depth + 1, options);
      const platform = platformText(child.platform);
      return {
        ...(platform !== undefined ? { platform } : {}),
        digest: child.digest,
        mediaType: child.mediaType,
        size: fetched.descriptor.size,
        ...(below.contentSize !== undefined ? { contentSize: below.contentSize } : {}),
      };
    }),
  );
  const contentSize = manifests.reduce((sum, m) => sum + m.size + (m.contentSize ?? 0), 0);
  return { contentSize, manifests };
}

/**
 * Reads what the lock records about `root`: for an image manifest the
 * config and layer bytes; for an index each child (fetched by digest, in
 * index order) with its platform and bytes.
 */
export async function manifestFacts(repo: SourceRepository, root: SourceManifest, options: CallOptions = {}): Promise<ManifestFacts> {
  const below = await contentOf(repo, root, 0, options);
  return {
    digest: root.descriptor.digest,
    mediaType: root.descriptor.mediaType,
    size: root.descriptor.size,
    ...(below.contentSize !== undefined ? { contentSize: below.contentSize } : {}),
    ...(below.manifests !== undefined ? { manifests: below.manifests } : {}),
  };
}
