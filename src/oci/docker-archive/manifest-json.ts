/**
 * The two JSON documents of a `docker save` archive: `manifest.json` (one item
 * per image: config file, tags, layer files) and each image's config (whose
 * `rootfs.diff_ids` name the layers). Both come from removable media, so
 * every field is checked before it is trusted and each problem names the entry.
 */
import { parseDigest, type Digest } from "../../core/digest.js";
import type { Platform } from "../../core/oci-types.js";
import { formatReference, parseReference } from "../../core/reference.js";
import { isJsonObject, parseJson } from "../layout/descriptor-json.js";
import { LayoutError } from "../layout/errors.js";

/** The archive's table of contents. */
export const MANIFEST_JSON = "manifest.json";

/** One `manifest.json` item, checked. */
export interface DockerManifestItem {
  /** Entry name of the image config (`<hex>.json`, or `blobs/sha256/<hex>` since Docker 25). */
  readonly config: string;
  /** Normalised full references (`docker.io/library/nginx:1.25`), in archive order; empty for untagged images. */
  readonly repoTags: readonly string[];
  /** Entry names of the uncompressed layer tars, base first. */
  readonly layers: readonly string[];
}

/** What airgap needs from an image config. */
export interface DockerImageConfig {
  readonly diffIds: readonly Digest[];
  readonly platform?: Platform;
}

/**
 * Normalises a RepoTag like docker does (`nginx:1.25` → `docker.io/library/nginx:1.25`).
 * Tags without a tag part or with a digest are refused: `docker load` refuses them too.
 */
export function normalizeRepoTag(value: string, location: string): string {
  const parsed = parseReference(value);
  if (!parsed.ok) throw new LayoutError("INVALID_REFERENCE", location, `${MANIFEST_JSON} has RepoTag ${JSON.stringify(value)}: ${parsed.reason}`, { entry: MANIFEST_JSON });
  if (parsed.reference.tag === undefined || parsed.reference.digest !== undefined) {
    throw new LayoutError("INVALID_REFERENCE", location, `${MANIFEST_JSON} has RepoTag ${JSON.stringify(value)}, which is not of the form name:tag`, { entry: MANIFEST_JSON });
  }
  return formatReference(parsed.reference);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === "string");
}

/** Parses and checks `manifest.json`; refuses a tag that names two different images. */
export function decodeManifestJson(bytes: Uint8Array, location: string): readonly DockerManifestItem[] {
  const fail = (reason: string): never => {
    throw new LayoutError("INVALID_INDEX", location, `${MANIFEST_JSON} ${reason}`, { entry: MANIFEST_JSON });
  };
  const parsed = parseJson(bytes);
  if (!parsed.ok) return fail(`is ${parsed.reason}`);
  if (!Array.isArray(parsed.value)) return fail("must be a JSON array of images");
  if (parsed.value.length === 0) return fail("lists no images");
  const items: DockerManifestItem[] = [];
  const owners = new Map<string, number>();
  for (const [i, raw] of parsed.value.entries()) {
    if (!isJsonObject(raw)) return fail(`[${i}] must be an object`);
    if (typeof raw.Config !== "string" || raw.Config === "") return fail(`[${i}].Config must be a non-empty string`);
    if (raw.RepoTags !== undefined && raw.RepoTags !== null && !isStringArray(raw.RepoTags)) return fail(`[${i}].RepoTags must be an array of strings`);
    if (!isStringArray(raw.Layers)) return fail(`[${i}].Layers must be an array of strings`);
    if (raw.LayerSources !== undefined && raw.LayerSources !== null && !(isJsonObject(raw.LayerSources) && Object.keys(raw.LayerSources).length === 0)) {
      return fail(`[${i}] has LayerSources (foreign layers of Windows images), which airgap does not support`);
    }
    const repoTags: string[] = [];
    for (const tag of isStringArray(raw.RepoTags) ? raw.RepoTags : []) {
      const full = normalizeRepoTag(tag, location);
      const owner = owners.get(full);
      if (owner !== undefined && owner !== i) return fail(`names ${full} for two images ([${owner}] and [${i}]); refusing to guess which one is meant`);
      owners.set(full, i);
      if (!repoTags.includes(full)) repoTags.push(full);
    }
    items.push({ config: raw.Config, repoTags, layers: raw.Layers });
  }
  return items;
}

/** Parses and checks an image config: `rootfs.diff_ids` must be digests; the platform is taken when present. */
export function decodeImageConfig(bytes: Uint8Array, entry: string, location: string): DockerImageConfig {
  const fail = (reason: string): never => {
    throw new LayoutError("INVALID_MANIFEST", location, `image config ${entry} ${reason}`, { entry });
  };
  const parsed = parseJson(bytes);
  if (!parsed.ok) return fail(`is ${parsed.reason}`);
  const config = parsed.value;
  if (!isJsonObject(config)) return fail("must be a JSON object");
  const rootfs = config.rootfs;
  if (!isJsonObject(rootfs) || rootfs.type !== "layers" || !isStringArray(rootfs.diff_ids)) return fail('has no rootfs {"type":"layers","diff_ids":[…]}');
  const diffIds: Digest[] = [];
  for (const [i, value] of rootfs.diff_ids.entries()) {
    const digest = parseDigest(value);
    if (!digest.ok) return fail(`rootfs.diff_ids[${i}]: ${digest.reason}`);
    diffIds.push(digest.digest);
  }
  const { os, architecture, variant } = config;
  if (typeof os !== "string" || typeof architecture !== "string" || os === "" || architecture === "") return { diffIds };
  return { diffIds, platform: { os, architecture, ...(typeof variant === "string" && variant !== "" ? { variant } : {}) } };
}
