import { gzipSync } from "node:zlib";
import { LINUX_AMD64, LINUX_ARM64, LINUX_ARM_V7, MediaTypes, blobsOf, platformString } from "./image-model.js";
import type { GeneratedImages, ImageFormat, Platform, TestDescriptor, TestImage, TestIndex, TestLayer, TestManifest, TestRoot } from "./image-model.js";
import { seededBytes, seededRandom, sha256Digest } from "./random.js";
import { ustar } from "./tar.js";

export * from "./image-model.js";
export { pushImages } from "./push.js";
export type { PushResult } from "./push.js";
export { writeOciLayout } from "./oci-layout.js";
export type { OciLayoutOptions } from "./oci-layout.js";
export { largeBlob } from "./large-blob.js";
export type { LargeBlob } from "./large-blob.js";

/** What to generate for one image. */
export interface ImageSpec {
  readonly repository: string;
  /** All tags point at the same digest (alias tags). */
  readonly tags: readonly string[];
  readonly format: ImageFormat;
  /** Default: linux/amd64 only. */
  readonly platforms?: readonly Platform[];
  /** Wrap in an index/manifest list; default: when more than one platform. */
  readonly index?: boolean;
  /** Image-specific layers per platform on top of the shared base; default 1. */
  readonly layers?: number;
  /** Size of the random file in each image-specific layer; default 2–6 KiB (seeded). */
  readonly layerSize?: number;
  /** Start with the per-platform base layer shared by all images of the seed; default true. */
  readonly sharedBase?: boolean;
}

/**
 * The default catalogue: single-arch Docker schema2 with alias tags, single-arch OCI, a 3-arch
 * OCI index with alias tags in a nested repository, a second tag of it with different content,
 * and a 2-arch Docker manifest list. All share per-platform base layers.
 */
export const DEFAULT_IMAGE_SPECS: readonly ImageSpec[] = [
  { repository: "library/single", tags: ["1.0", "latest"], format: "docker" },
  { repository: "library/oci-single", tags: ["1.0"], format: "oci" },
  { repository: "team/sub/app", tags: ["v1", "stable"], format: "oci", platforms: [LINUX_AMD64, LINUX_ARM64, LINUX_ARM_V7] },
  { repository: "team/sub/app", tags: ["v2"], format: "oci", platforms: [LINUX_AMD64, LINUX_ARM64], layers: 2 },
  { repository: "team/sub/legacy", tags: ["v1"], format: "docker", platforms: [LINUX_AMD64, LINUX_ARM64] },
];

function platformJson(platform: Platform): Record<string, string> {
  return platform.variant === undefined
    ? { architecture: platform.architecture, os: platform.os }
    : { architecture: platform.architecture, os: platform.os, variant: platform.variant };
}

function makeLayer(seed: string, label: string, size: number, format: ImageFormat): TestLayer {
  const hash = sha256Digest(`${seed}:${label}`).slice(7, 19);
  const tar = ustar([
    { name: "airgap-test", type: "dir" },
    { name: `airgap-test/${hash}.bin`, type: "file", data: seededBytes(`${seed}:${label}`, size) },
  ]);
  const data = gzipSync(tar, { level: 6 });
  return {
    mediaType: format === "docker" ? MediaTypes.dockerLayer : MediaTypes.ociLayer,
    digest: sha256Digest(data),
    size: data.length,
    data,
    diffId: sha256Digest(tar),
  };
}

function jsonBytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), "utf8");
}

function descriptorJson(d: { mediaType: string; digest: string; size: number }): Record<string, unknown> {
  return { mediaType: d.mediaType, digest: d.digest, size: d.size };
}

function makeManifest(seed: string, spec: ImageSpec, platform: Platform, sizes: ReturnType<typeof seededRandom>): TestManifest {
  const format = spec.format;
  const layers: TestLayer[] = [];
  if (spec.sharedBase ?? true) layers.push(makeLayer(seed, `base:${platformString(platform)}`, 8192, format));
  const own = spec.layers ?? 1;
  for (let i = 0; i < own; i++) {
    const size = spec.layerSize ?? sizes.int(2048, 6144);
    layers.push(makeLayer(seed, `image:${spec.repository}:${spec.tags[0] ?? ""}:${platformString(platform)}:${i}`, size, format));
  }
  const configJson = {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant === undefined ? {} : { variant: platform.variant }),
    created: "2024-01-01T00:00:00Z",
    config: {
      Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
      Cmd: ["/bin/sh"],
      Labels: { "org.airgap.test.seed": seed, "org.airgap.test.image": `${spec.repository}:${spec.tags[0] ?? ""}` },
    },
    rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((_, i) => ({ created: "2024-01-01T00:00:00Z", created_by: `airgap-test layer ${i}` })),
  };
  const configData = jsonBytes(configJson);
  const config: TestDescriptor = {
    mediaType: format === "docker" ? MediaTypes.dockerConfig : MediaTypes.ociConfig,
    digest: sha256Digest(configData),
    size: configData.length,
    data: configData,
  };
  const mediaType = format === "docker" ? MediaTypes.dockerManifest : MediaTypes.ociManifest;
  const bytes = jsonBytes({
    schemaVersion: 2,
    mediaType,
    config: descriptorJson(config),
    layers: layers.map(descriptorJson),
  });
  return { kind: "manifest", mediaType, digest: sha256Digest(bytes), size: bytes.length, bytes, platform, config, layers };
}

function makeIndex(format: ImageFormat, manifests: readonly TestManifest[]): TestIndex {
  const mediaType = format === "docker" ? MediaTypes.dockerManifestList : MediaTypes.ociIndex;
  const bytes = jsonBytes({
    schemaVersion: 2,
    mediaType,
    manifests: manifests.map((m) => ({ ...descriptorJson(m), platform: platformJson(m.platform) })),
  });
  return { kind: "index", mediaType, digest: sha256Digest(bytes), size: bytes.length, bytes, manifests };
}

/**
 * Generates a deterministic set of test images from `seed` (same seed ⇒ same bytes and digests)
 * without network access: valid tar.gz layers, image configs whose `rootfs.diff_ids` match the
 * uncompressed layers, Docker schema2 and OCI manifests, OCI indexes and Docker manifest lists,
 * base layers shared between images, alias tags and nested repository names.
 *
 * Why: integration tests need realistic images whose expected digests are known up front, and
 * must never depend on Docker Hub.
 */
export function generateImages(seed: string | number, specs: readonly ImageSpec[] = DEFAULT_IMAGE_SPECS): GeneratedImages {
  const seedText = String(seed);
  const images: TestImage[] = specs.map((spec) => {
    if (spec.tags.length === 0) throw new Error(`image spec ${spec.repository} has no tags`);
    const sizes = seededRandom(`${seedText}:${spec.repository}:${spec.tags[0] ?? ""}`);
    const platforms = spec.platforms ?? [LINUX_AMD64];
    const manifests = platforms.map((p) => makeManifest(seedText, spec, p, sizes));
    const wantIndex = spec.index ?? platforms.length > 1;
    const first = manifests[0];
    if (first === undefined) throw new Error(`image spec ${spec.repository} has no platforms`);
    if (!wantIndex && manifests.length > 1) throw new Error(`image spec ${spec.repository}: several platforms need index: true`);
    const root: TestRoot = wantIndex ? makeIndex(spec.format, manifests) : first;
    return { repository: spec.repository, tags: [...spec.tags], format: spec.format, root };
  });
  return {
    seed: seedText,
    images,
    get(repository, tag) {
      const found = images.find((i) => i.repository === repository && i.tags.includes(tag));
      if (!found) throw new Error(`no generated image ${repository}:${tag}`);
      return found;
    },
    blobs() {
      const seen = new Map<string, TestDescriptor>();
      for (const image of images) for (const d of blobsOf(image.root)) if (!seen.has(d.digest)) seen.set(d.digest, d);
      return [...seen.values()];
    },
  };
}
