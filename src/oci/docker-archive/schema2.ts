/**
 * The Docker schema 2 manifest airgap synthesizes for an image of a `docker
 * save` archive, which holds layers and a config but no manifest.
 *
 * The bytes are a pure function of the config and layer descriptors: compact
 * JSON with a fixed key order (`schemaVersion`, `mediaType`, `config`,
 * `layers`; each descriptor `mediaType`, `size`, `digest`, as distribution and
 * containers/image serialise them). The same archive therefore always yields
 * the same manifest digest, and a mirror re-run converges.
 *
 * Layers keep the bytes docker saved: uncompressed tars, labelled
 * `application/vnd.docker.image.rootfs.diff.tar`, so that each layer digest
 * equals its diff_id and no recompression (with its unstable output) is
 * needed. skopeo's docker-archive source labels the same bytes `….tar.gzip`
 * instead; registries accept either (distribution checks only that the blob
 * exists), and containerd, Docker and CRI-O detect compression from the bytes.
 */
import type { Descriptor } from "../../core/oci-types.js";
import { MediaType } from "../../core/media-types.js";
import { sha256Digest } from "../verify.js";

/** Media type of an uncompressed Docker layer (distribution manifest-v2-2.md). */
export const DOCKER_LAYER_TAR = "application/vnd.docker.image.rootfs.diff.tar";

function descriptorJson(d: Descriptor): string {
  return `{"mediaType":${JSON.stringify(d.mediaType)},"size":${d.size},"digest":${JSON.stringify(d.digest)}}`;
}

/** The manifest's exact bytes and descriptor. */
export interface SynthesizedManifest {
  readonly descriptor: Descriptor;
  readonly bytes: Buffer;
}

/** Builds the schema 2 manifest for `config` and `layers` (base first). */
export function synthesizeManifest(config: Descriptor, layers: readonly Descriptor[]): SynthesizedManifest {
  const text = `{"schemaVersion":2,"mediaType":${JSON.stringify(MediaType.DockerManifest)},"config":${descriptorJson(config)},"layers":[${layers.map(descriptorJson).join(",")}]}`;
  const bytes = Buffer.from(text, "utf8");
  return { descriptor: { mediaType: MediaType.DockerManifest, digest: sha256Digest(bytes), size: bytes.length }, bytes };
}
