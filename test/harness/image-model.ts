/** Media types used by the generator (the ones `airgap` must copy byte-for-byte). */
export const MediaTypes = {
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayer: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayer: "application/vnd.oci.image.layer.v1.tar+gzip",
} as const;

/** Manifest flavour of a generated image. */
export type ImageFormat = "docker" | "oci";

/** An OCI platform. */
export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

/** A content-addressed blob (config or layer) as referenced from a manifest. */
export interface TestDescriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly data: Buffer;
}

/** A layer descriptor plus the digest of its uncompressed tar (`rootfs.diff_ids`). */
export interface TestLayer extends TestDescriptor {
  readonly diffId: string;
}

/** A single-platform image manifest with its exact bytes. */
export interface TestManifest {
  readonly kind: "manifest";
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly bytes: Buffer;
  readonly platform: Platform;
  readonly config: TestDescriptor;
  readonly layers: readonly TestLayer[];
}

/** A multi-platform OCI index or Docker manifest list with its exact bytes. */
export interface TestIndex {
  readonly kind: "index";
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly bytes: Buffer;
  readonly manifests: readonly TestManifest[];
}

/** Top-level object a tag points at. */
export type TestRoot = TestManifest | TestIndex;

/** A repository with one or more tags (aliases) all pointing at the same root. */
export interface TestImage {
  readonly repository: string;
  readonly tags: readonly string[];
  readonly format: ImageFormat;
  readonly root: TestRoot;
}

/** The result of `generateImages`. */
export interface GeneratedImages {
  readonly seed: string;
  readonly images: readonly TestImage[];
  /** Image holding `repository:tag`; throws when there is none. */
  get(repository: string, tag: string): TestImage;
  /** Every distinct blob (configs and layers) by digest. */
  blobs(): TestDescriptor[];
}

/** linux/amd64 */
export const LINUX_AMD64: Platform = { os: "linux", architecture: "amd64" };
/** linux/arm64 */
export const LINUX_ARM64: Platform = { os: "linux", architecture: "arm64" };
/** linux/arm/v7 */
export const LINUX_ARM_V7: Platform = { os: "linux", architecture: "arm", variant: "v7" };

/** `os/arch[/variant]` */
export function platformString(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter((p) => p !== undefined).join("/");
}

/** Manifests of a root in push order: children first, then the root itself. */
export function manifestsOf(root: TestRoot): Array<TestManifest | TestIndex> {
  return root.kind === "index" ? [...root.manifests, root] : [root];
}

/** Distinct blobs (configs and layers) reachable from a root. */
export function blobsOf(root: TestRoot): TestDescriptor[] {
  const seen = new Map<string, TestDescriptor>();
  for (const m of root.kind === "index" ? root.manifests : [root]) {
    for (const d of [m.config, ...m.layers]) if (!seen.has(d.digest)) seen.set(d.digest, d);
  }
  return [...seen.values()];
}
