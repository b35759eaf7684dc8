/**
 * A plain file as an OCI artifact (the ORAS convention): the empty config,
 * the file as its one layer titled with its name, artifactType
 * `application/vnd.airgap.file.v1`, and the path it lands at as an
 * annotation. One builder, so a file carried in a bundle and a file
 * published to an OCI layout or registry are byte-identical manifests.
 *
 * In an OCI target a file path `dir/sub/name` lands in repository
 * `dir/sub` (lower-cased; `files` when there is no directory) under the tag
 * `name` (characters a tag cannot hold become `_`), so that
 * `oras pull HOST/dir/sub:name` gives back `name`.
 */
import { createHash } from "node:crypto";
import { MediaType } from "../core/media-types.js";
import { Annotation, type Descriptor } from "../core/oci-types.js";

/** The artifact type of a file. */
export const FILE_ARTIFACT_TYPE = "application/vnd.airgap.file.v1";
/** Annotation with the path the file lands at on its target. */
export const FILE_PATH_ANNOTATION = "dev.airgap.file.path";

const EMPTY = Buffer.from("{}");
/** The empty config every file artifact uses. */
export const EMPTY_CONFIG: { readonly descriptor: Descriptor; readonly bytes: Buffer } = {
  descriptor: { mediaType: MediaType.OciEmpty, digest: `sha256:${createHash("sha256").update(EMPTY).digest("hex")}` as Descriptor["digest"], size: EMPTY.length },
  bytes: EMPTY,
};

/** A file's artifact: its manifest (bytes and descriptor) and its one layer. */
export interface FileArtifactManifest {
  readonly manifest: Descriptor;
  readonly manifestBytes: Buffer;
  readonly content: Descriptor;
}

/** Builds the artifact of a file that lands at `path`, with content `sha256` (hex) and `size`. */
export function fileArtifactManifest(path: string, sha256: string, size: number): FileArtifactManifest {
  const name = path.split("/").filter(Boolean).pop() ?? path;
  const content: Descriptor = { mediaType: "application/octet-stream", digest: `sha256:${sha256}` as Descriptor["digest"], size, annotations: { [Annotation.Title]: name } };
  const manifestBytes = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, artifactType: FILE_ARTIFACT_TYPE, config: EMPTY_CONFIG.descriptor, layers: [content], annotations: { [FILE_PATH_ANNOTATION]: path } }),
  );
  const manifest: Descriptor = {
    mediaType: MediaType.OciManifest,
    digest: `sha256:${createHash("sha256").update(manifestBytes).digest("hex")}` as Descriptor["digest"],
    size: manifestBytes.length,
    artifactType: FILE_ARTIFACT_TYPE,
  };
  return { manifest, manifestBytes, content };
}

/** Where a file path lands in an OCI target: repository and tag. */
export function fileArtifactPlace(path: string): { readonly repository: string; readonly tag: string } {
  const parts = path.split("/").filter(Boolean);
  const name = parts.pop() ?? "file";
  const repository = parts.map((p) => p.toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^[._-]+|[._-]+$/g, "") || "x").join("/") || "files";
  const tag = name.replace(/[^A-Za-z0-9_.-]/g, "_").replace(/^[.-]/, "_").slice(0, 128);
  return { repository, tag };
}
