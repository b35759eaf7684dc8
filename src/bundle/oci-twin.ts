/**
 * OCI twins of Docker-format images, so that every image in a bundle can be
 * read by skopeo: containers/image (every version) only looks at index.json
 * entries of OCI media types. A twin is the same image with OCI media types:
 * the config and layers are the very same blobs, only the (small) manifests
 * are new. The original entry stays, after the twin, so containerd (last
 * entry of a name wins) and airgap (which reads the last match too) keep the
 * upstream digests; skopeo, which takes the first OCI-typed match, gets the
 * twin.
 */
import { createHash } from "node:crypto";
import { MediaType } from "../core/media-types.js";
import type { Descriptor } from "../core/oci-types.js";

/** Annotation naming the digest of the image a twin stands in for. */
export const TWIN_OF_ANNOTATION = "dev.airgap.oci-twin-of";

const LAYER_TYPES: Readonly<Record<string, string>> = {
  [MediaType.DockerLayerGzip]: MediaType.OciLayerGzip,
  [MediaType.DockerForeignLayerGzip]: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
  "application/vnd.docker.image.rootfs.diff.tar": MediaType.OciLayer,
};

/** True for the Docker manifest types that need a twin. */
export function needsTwin(descriptor: Descriptor): boolean {
  return descriptor.mediaType === MediaType.DockerManifest || descriptor.mediaType === MediaType.DockerManifestList;
}

function toDescriptor(bytes: Buffer, mediaType: string, extra: Partial<Descriptor> = {}): Descriptor {
  return { ...extra, mediaType, digest: `sha256:${createHash("sha256").update(bytes).digest("hex")}` as Descriptor["digest"], size: bytes.length };
}

type Json = Record<string, unknown>;

/** The OCI twin of a Docker manifest or manifest list; `read` returns the bytes of a manifest in the image. */
export async function ociTwin(root: Descriptor, read: (d: Descriptor) => Promise<Buffer>): Promise<{ root: Descriptor; manifests: Map<string, Buffer> }> {
  const manifests = new Map<string, Buffer>();
  const convert = async (descriptor: Descriptor): Promise<Descriptor> => {
    const json = JSON.parse((await read(descriptor)).toString("utf8")) as Json;
    if (descriptor.mediaType === MediaType.DockerManifestList) {
      const children: Json[] = [];
      for (const child of (json["manifests"] as (Descriptor & Json)[]) ?? []) {
        const twin = needsTwin(child) ? await convert(child) : child;
        children.push({ ...child, mediaType: twin.mediaType, digest: twin.digest, size: twin.size });
      }
      const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: children, ...(json["annotations"] ? { annotations: json["annotations"] } : {}) }));
      manifests.set(toDescriptor(bytes, MediaType.OciIndex).digest, bytes);
      return toDescriptor(bytes, MediaType.OciIndex);
    }
    const config = json["config"] as Json;
    const layers = (json["layers"] as Json[]).map((layer) => ({ ...layer, mediaType: LAYER_TYPES[String(layer["mediaType"])] ?? layer["mediaType"] }));
    const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: { ...config, mediaType: MediaType.OciConfig }, layers, ...(json["annotations"] ? { annotations: json["annotations"] } : {}) }));
    manifests.set(toDescriptor(bytes, MediaType.OciManifest).digest, bytes);
    return toDescriptor(bytes, MediaType.OciManifest);
  };
  const twin = await convert(root);
  return { root: twin, manifests };
}
