/**
 * Builds `docker save`-style archives in memory, in the three shapes found in
 * the wild: Docker before 25 (`<v1 id>/layer.tar`, shared layers as symbolic
 * links), skopeo's `docker-archive:` (`<diff id>.tar`, `<id>/layer.tar` links
 * to it) and Docker 25+ (an OCI layout with `blobs/sha256/…` plus manifest.json).
 */
import { createHash } from "node:crypto";
import type { Digest } from "../../../../src/core/digest.js";
import { ustar } from "../../../harness/tar.js";
import { rawTar, type RawEntry } from "../layout/fixtures.js";

export { rawTar, type RawEntry };

export function sha256(data: Uint8Array | string): Digest {
  return `sha256:${createHash("sha256").update(data).digest("hex")}` as Digest;
}

export function hex(digest: string): string {
  return digest.slice("sha256:".length);
}

/** An uncompressed layer tar with one file, reproducible from `seed`. */
export function layerTar(seed: string, size = 700): Buffer {
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i++) data[i] = (seed.charCodeAt(i % seed.length) * 31 + i) & 0xff;
  return ustar([
    { name: "etc", type: "dir" },
    { name: `etc/${seed}.bin`, type: "file", data },
  ]);
}

/** A saved image: config bytes, layer tars and tags as they go into manifest.json. */
export interface SavedImage {
  readonly repoTags: readonly string[] | null;
  readonly config: Buffer;
  readonly layers: readonly Buffer[];
}

export function imageConfig(layers: readonly Buffer[], extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      created: "2024-01-01T00:00:00Z",
      config: { Cmd: ["/bin/sh"] },
      rootfs: { type: "layers", diff_ids: layers.map((l) => sha256(l)) },
      history: layers.map(() => ({ created: "2024-01-01T00:00:00Z" })),
      ...extra,
    }),
  );
}

export function savedImage(repoTags: readonly string[] | null, seeds: readonly string[], extra: Record<string, unknown> = {}): SavedImage {
  const layers = seeds.map((s) => layerTar(s));
  return { repoTags, config: imageConfig(layers, extra), layers };
}

/** The archive shapes {@link dockerSave} writes. */
export type SaveStyle = "docker" | "skopeo" | "docker25";

/**
 * The entries of a `docker save` of `images`. "docker": a layer seen before is
 * written as a symlink `<id>/layer.tar -> ../<first id>/layer.tar`.
 */
export function dockerSaveEntries(images: readonly SavedImage[], style: SaveStyle = "docker"): RawEntry[] {
  const entries: RawEntry[] = [];
  const items: unknown[] = [];
  const written = new Map<string, string>();
  const repositories: Record<string, Record<string, string>> = {};
  if (style === "docker25") entries.push({ name: "blobs/" }, { name: "blobs/sha256/" });
  for (const [i, image] of images.entries()) {
    const layerPaths: string[] = [];
    for (const [j, layer] of image.layers.entries()) {
      const digest = sha256(layer);
      const v1 = hex(sha256(`${i}:${j}:${digest}`));
      if (style === "docker25") {
        const path = `blobs/sha256/${hex(digest)}`;
        if (!written.has(digest)) entries.push({ name: path, data: layer });
        written.set(digest, path);
        layerPaths.push(path);
        continue;
      }
      if (style === "skopeo") {
        const path = `${hex(digest)}.tar`;
        if (!written.has(digest)) entries.push({ name: path, data: layer });
        written.set(digest, path);
        entries.push({ name: `${v1}/` }, { name: `${v1}/layer.tar`, typeflag: "2", linkname: `../${path}` }, { name: `${v1}/VERSION`, data: "1.0" });
        layerPaths.push(path);
        continue;
      }
      entries.push({ name: `${v1}/` }, { name: `${v1}/VERSION`, data: "1.0" }, { name: `${v1}/json`, data: JSON.stringify({ id: v1 }) });
      const first = written.get(digest);
      if (first === undefined) {
        entries.push({ name: `${v1}/layer.tar`, data: layer });
        written.set(digest, `${v1}/layer.tar`);
      } else {
        entries.push({ name: `${v1}/layer.tar`, typeflag: "2", linkname: `../${first}` });
      }
      layerPaths.push(`${v1}/layer.tar`);
    }
    const configPath = style === "docker25" ? `blobs/sha256/${hex(sha256(image.config))}` : `${hex(sha256(image.config))}.json`;
    entries.push({ name: configPath, data: image.config });
    items.push({ Config: configPath, RepoTags: image.repoTags, Layers: layerPaths });
    for (const tag of image.repoTags ?? []) {
      const colon = tag.lastIndexOf(":");
      (repositories[tag.slice(0, colon)] ??= {})[tag.slice(colon + 1)] = hex(sha256(image.config));
    }
  }
  if (style === "docker25") {
    entries.push({ name: "oci-layout", data: '{"imageLayoutVersion":"1.0.0"}' }, { name: "index.json", data: '{"schemaVersion":2,"manifests":[]}' });
  }
  entries.push({ name: "manifest.json", data: JSON.stringify(items) }, { name: "repositories", data: JSON.stringify(repositories) });
  return entries;
}

/** A complete `docker save` tar of `images`. */
export function dockerSave(images: readonly SavedImage[], style: SaveStyle = "docker"): Buffer {
  return rawTar(dockerSaveEntries(images, style));
}

/** The manifest airgap must synthesize for `image`, written out by hand. */
export function expectedManifest(image: SavedImage): string {
  const d = (mediaType: string, bytes: Buffer): string => `{"mediaType":"${mediaType}","size":${bytes.length},"digest":"${sha256(bytes)}"}`;
  return (
    `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",` +
    `"config":${d("application/vnd.docker.container.image.v1+json", image.config)},` +
    `"layers":[${image.layers.map((l) => d("application/vnd.docker.image.rootfs.diff.tar", l)).join(",")}]}`
  );
}
