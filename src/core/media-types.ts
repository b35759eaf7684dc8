/**
 * OCI and Docker media types that airgap reads and writes
 * (image-spec media-types.md, distribution manifest-v2-2.md).
 */
export const MediaType = {
  OciManifest: "application/vnd.oci.image.manifest.v1+json",
  OciIndex: "application/vnd.oci.image.index.v1+json",
  OciConfig: "application/vnd.oci.image.config.v1+json",
  OciLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  OciLayerZstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  OciLayer: "application/vnd.oci.image.layer.v1.tar",
  OciEmpty: "application/vnd.oci.empty.v1+json",
  DockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  DockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  DockerConfig: "application/vnd.docker.container.image.v1+json",
  DockerLayerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  DockerForeignLayerGzip: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
  HelmConfig: "application/vnd.cncf.helm.config.v1+json",
  HelmChartContent: "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
} as const;

/** Any of the media types above. */
export type KnownMediaType = (typeof MediaType)[keyof typeof MediaType];

/**
 * Every manifest type, always sent together in Accept: the reference registry
 * answers 404 for an OCI index, or converts a Docker manifest to schema1 with
 * another digest, when a type is missing (providers-notes §1.3).
 */
export const MANIFEST_MEDIA_TYPES: readonly string[] = [
  MediaType.OciIndex,
  MediaType.OciManifest,
  MediaType.DockerManifestList,
  MediaType.DockerManifest,
];

/** True for index-like manifests (OCI index, Docker manifest list) whose children are manifests. */
export function isIndexMediaType(mediaType: string | undefined): boolean {
  return mediaType === MediaType.OciIndex || mediaType === MediaType.DockerManifestList;
}

/** True for single-image manifests (OCI manifest, Docker schema 2) whose children are blobs. */
export function isImageManifestMediaType(mediaType: string | undefined): boolean {
  return mediaType === MediaType.OciManifest || mediaType === MediaType.DockerManifest;
}
