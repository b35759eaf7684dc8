/**
 * imgpkg bundles (carvel-dev/imgpkg): an image whose config carries the
 * label `dev.carvel.imgpkg.bundle`, with `.imgpkg/images.yml` (an
 * ImagesLock) in a layer naming, by digest, every image the bundle's
 * configuration uses. `imgpkg copy -b … --to-repo` moves the bundle AND
 * those images into the one target repository, by digest; kapp-controller
 * then finds them there. Resolution reads the ImagesLock and locks each
 * image, so plan can relocate the bundle as a whole; an image the source
 * lacks is a problem naming it.
 */
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { extract } from "tar-stream";
import { parse as parseYaml } from "yaml";
import type { Digest } from "../core/digest.js";
import { isImageManifestMediaType } from "../core/media-types.js";
import type { Descriptor } from "../core/oci-types.js";
import type { CallOptions } from "../oci/content.js";
import { readAllLimited } from "../oci/verify.js";
import { ResolveError } from "../sources/errors.js";
import type { SourceManifest, SourceRepository } from "../sources/source-repository.js";

/** The config label imgpkg puts on a bundle image. */
export const IMGPKG_BUNDLE_LABEL = "dev.carvel.imgpkg.bundle";

/** Where imgpkg keeps the bundle's ImagesLock inside its layer. */
export const IMAGES_LOCK_PATH = ".imgpkg/images.yml";

/** The largest images.yml read (a lock of thousands of images is far below it). */
const IMAGES_LOCK_LIMIT = 4 * 1024 * 1024;

/** A config blob is small; this bounds a hostile one. */
const CONFIG_LIMIT = 4 * 1024 * 1024;

/** True when the image's config blob labels it an imgpkg bundle. Reads the config only for single image manifests. */
export async function isImgpkgBundle(repo: SourceRepository, manifest: SourceManifest, options: CallOptions = {}): Promise<boolean> {
  if (!isImageManifestMediaType(manifest.descriptor.mediaType)) return false;
  const json = JSON.parse(manifest.bytes.toString("utf8")) as { config?: Descriptor };
  if (json.config === undefined || json.config.size > CONFIG_LIMIT) return false;
  const bytes = await readAllLimited(await repo.reader.fetch(json.config, options), CONFIG_LIMIT, `config ${json.config.digest}`);
  let config: { config?: { Labels?: Record<string, unknown> } };
  try {
    config = JSON.parse(bytes.toString("utf8")) as typeof config;
  } catch {
    return false;
  }
  return config.config?.Labels?.[IMGPKG_BUNDLE_LABEL] !== undefined;
}

/** The text of `.imgpkg/images.yml` in a (gzipped or plain) tar layer, or undefined when the layer lacks it. */
async function imagesLockIn(stream: Readable, gzipped: boolean): Promise<string | undefined> {
  const tar = extract();
  let found: string | undefined;
  tar.on("entry", (header, entry, next) => {
    const name = header.name.replace(/^\.\//, "");
    if (found === undefined && name === IMAGES_LOCK_PATH && header.type === "file" && (header.size ?? 0) <= IMAGES_LOCK_LIMIT) {
      readAllLimited(entry as AsyncIterable<Uint8Array>, IMAGES_LOCK_LIMIT, IMAGES_LOCK_PATH).then((b) => {
        found = b.toString("utf8");
        next();
      }, next);
      return;
    }
    entry.on("end", () => next());
    entry.resume();
  });
  const done = new Promise<void>((resolve, reject) => {
    tar.on("finish", resolve);
    tar.on("error", reject);
  });
  const source = gzipped ? stream.pipe(createGunzip()) : stream;
  source.on("error", (e) => tar.destroy(e));
  source.pipe(tar);
  await done;
  return found;
}

/** One image an ImagesLock names. */
export interface ImagesLockImage {
  /** As images.yml writes it: `host/repository@sha256:…`. */
  readonly image: string;
}

/**
 * The images of an imgpkg bundle's ImagesLock, read from its layers (the
 * last layer holding `.imgpkg/images.yml` wins, as in a file system).
 * Throws when the bundle has none or it is not an ImagesLock.
 */
export async function imagesLockOf(repo: SourceRepository, manifest: SourceManifest, options: CallOptions = {}): Promise<ImagesLockImage[]> {
  const json = JSON.parse(manifest.bytes.toString("utf8")) as { layers?: Descriptor[] };
  let text: string | undefined;
  for (const layer of json.layers ?? []) {
    const gzipped = /gzip/.test(layer.mediaType);
    if (!gzipped && !/tar/.test(layer.mediaType)) continue;
    text = (await imagesLockIn(await repo.reader.fetch(layer, options), gzipped)) ?? text;
  }
  const where = `${repo.name}@${manifest.descriptor.digest}`;
  if (text === undefined) throw new ResolveError("SOURCE_INVALID", `${where} is labelled an imgpkg bundle (${IMGPKG_BUNDLE_LABEL}) but has no ${IMAGES_LOCK_PATH}`);
  let doc: { kind?: unknown; images?: unknown };
  try {
    doc = (parseYaml(text) ?? {}) as typeof doc;
  } catch (error) {
    throw new ResolveError("SOURCE_INVALID", `${where}: ${IMAGES_LOCK_PATH} is not YAML: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (doc.kind !== "ImagesLock" || !Array.isArray(doc.images)) throw new ResolveError("SOURCE_INVALID", `${where}: ${IMAGES_LOCK_PATH} is not an imgpkg ImagesLock (kind: ImagesLock, images: [...])`);
  return doc.images.map((entry: unknown, i: number) => {
    const image = (entry as { image?: unknown } | null)?.image;
    if (typeof image !== "string" || !/@sha256:[a-f0-9]{64}$/.test(image)) {
      throw new ResolveError("SOURCE_INVALID", `${where}: ${IMAGES_LOCK_PATH} images[${i}] must name an image by digest (host/repository@sha256:…)`);
    }
    return { image };
  });
}

/** The digest part of an ImagesLock reference. */
export function lockedDigest(image: string): Digest {
  return image.slice(image.lastIndexOf("@") + 1) as Digest;
}
