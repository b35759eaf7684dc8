/**
 * Turning `manifest.json` items into images: each config is read and hashed,
 * each layer is matched to its diff_id, and a Docker schema 2 manifest is
 * synthesized. Everything is cross-checked that can be without reading layer
 * bytes (names that state digests, layer counts, sizes of shared layers).
 */
import type { Digest } from "../../core/digest.js";
import type { Descriptor, ImageIndex, Platform } from "../../core/oci-types.js";
import { MediaType } from "../../core/media-types.js";
import { LayoutError } from "../layout/errors.js";
import { refAnnotations } from "../layout/ref-name.js";
import { normalizeEntryName, type TarFileEntry } from "../layout/tar-index.js";
import { ContentVerificationError, MANIFEST_SIZE_LIMIT, sha256Digest } from "../verify.js";
import { digestInName, readEntry, startsWithGzipMagic, type ContentSource } from "./entries.js";
import { decodeImageConfig, MANIFEST_JSON, type DockerManifestItem } from "./manifest-json.js";
import { DOCKER_LAYER_TAR, synthesizeManifest } from "./schema2.js";

/** Image configs larger than this are refused (real ones are a few KiB; long histories reach ~100 KiB). */
export const CONFIG_SIZE_LIMIT = 8 * 1024 * 1024;

/** One image of the archive, as airgap presents it. */
export interface DockerArchiveImage {
  /** Full names from RepoTags (`docker.io/library/nginx:1.25`); empty for an untagged image. */
  readonly references: readonly string[];
  /** The synthesized Docker schema 2 manifest. */
  readonly manifest: Descriptor;
  readonly config: Descriptor;
  /** Uncompressed layers, base first; digest = diff_id. */
  readonly layers: readonly Descriptor[];
  readonly platform?: Platform;
  /** Tar entries behind config and layers (link targets, not links), for messages. */
  readonly configEntry: string;
  readonly layerEntries: readonly string[];
}

/** The images and where each digest's bytes are. */
export interface BuiltImages {
  readonly images: readonly DockerArchiveImage[];
  readonly sources: ReadonlyMap<string, ContentSource>;
}

/** Builds the images of `items`, reading configs from the tar at `dataPath` (indexed as `files`). */
export async function buildImages(
  dataPath: string,
  files: ReadonlyMap<string, TarFileEntry>,
  items: readonly DockerManifestItem[],
  location: string,
  signal?: AbortSignal,
): Promise<BuiltImages> {
  const sources = new Map<string, ContentSource>();
  const images: DockerArchiveImage[] = [];
  const lookup = (raw: string, what: string): TarFileEntry => {
    const entry = files.get(normalizeEntryName(raw, location));
    if (entry === undefined) throw new LayoutError("BLOB_NOT_FOUND", location, `${MANIFEST_JSON} names ${what} "${raw}", which is not in the archive`, { entry: raw });
    return entry;
  };
  for (const [i, item] of items.entries()) {
    signal?.throwIfAborted();
    const configEntry = lookup(item.config, `the config of image [${i}]`);
    const configBytes = await readEntry(dataPath, configEntry, CONFIG_SIZE_LIMIT, location, "image config");
    const configDigest = sha256Digest(configBytes);
    const named = digestInName(configEntry.name);
    if (named !== undefined && named !== configDigest) {
      throw new ContentVerificationError(`${location}: image config ${configEntry.name} has digest ${configDigest}, not the one its name states`, named, configDigest);
    }
    const { diffIds, platform } = decodeImageConfig(configBytes, configEntry.name, location);
    if (diffIds.length !== item.layers.length) {
      throw new LayoutError("INVALID_MANIFEST", location, `image [${i}] lists ${item.layers.length} layers in ${MANIFEST_JSON} but its config ${configEntry.name} has ${diffIds.length} rootfs.diff_ids`, {
        entry: configEntry.name,
      });
    }
    const layers: Descriptor[] = [];
    const layerEntries: string[] = [];
    for (const [j, raw] of item.layers.entries()) {
      const entry = lookup(raw, `layer ${j} of image [${i}]`);
      const diffId = diffIds[j] as Digest;
      const stated = digestInName(entry.name);
      if (stated !== undefined && stated !== diffId) {
        throw new LayoutError("INVALID_MANIFEST", location, `layer ${entry.name} of image [${i}] is named for ${stated}, but rootfs.diff_ids[${j}] of ${configEntry.name} is ${diffId}`, { entry: entry.name });
      }
      if (await startsWithGzipMagic(dataPath, entry)) {
        throw new LayoutError("INVALID_ENTRY", location, `layer ${entry.name} is gzip-compressed; docker save writes uncompressed layer tars (compressed tarballs are not supported)`, { entry: entry.name });
      }
      const known = sources.get(diffId);
      if (known?.kind === "entry" && known.entry.size !== entry.size) {
        throw new ContentVerificationError(`${location}: ${known.entry.name} and ${entry.name} both claim diff_id ${diffId} but differ in size (${known.entry.size} and ${entry.size} bytes)`, diffId);
      }
      if (known === undefined) sources.set(diffId, { kind: "entry", entry });
      layers.push({ mediaType: DOCKER_LAYER_TAR, digest: diffId, size: entry.size });
      layerEntries.push(entry.name);
    }
    const config: Descriptor = { mediaType: MediaType.DockerConfig, digest: configDigest, size: configBytes.length };
    if (!sources.has(configDigest)) sources.set(configDigest, { kind: "entry", entry: configEntry });
    const manifest = synthesizeManifest(config, layers);
    if (manifest.bytes.length > MANIFEST_SIZE_LIMIT) {
      throw new LayoutError("TOO_LARGE", location, `image [${i}] has so many layers that its manifest would exceed ${MANIFEST_SIZE_LIMIT} bytes`, { entry: MANIFEST_JSON });
    }
    sources.set(manifest.descriptor.digest, { kind: "memory", bytes: manifest.bytes });
    images.push({
      references: item.repoTags,
      manifest: manifest.descriptor,
      config,
      layers,
      ...(platform !== undefined ? { platform } : {}),
      configEntry: configEntry.name,
      layerEntries,
    });
  }
  return { images, sources };
}

/**
 * The index.json the archive would have as an OCI layout: one entry per
 * RepoTag with the full name in both annotations (as airgap writes layouts),
 * one entry without annotations per untagged image.
 */
export function synthesizedIndex(images: readonly DockerArchiveImage[]): ImageIndex {
  return {
    schemaVersion: 2,
    mediaType: MediaType.OciIndex,
    manifests: images.flatMap((image) => {
      const base = { ...image.manifest, ...(image.platform !== undefined ? { platform: image.platform } : {}) };
      return image.references.length === 0 ? [base] : image.references.map((ref) => ({ ...base, annotations: refAnnotations(ref) }));
    }),
  };
}
