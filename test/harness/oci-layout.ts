import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { GeneratedImages, TestImage } from "./image-model.js";
import { blobsOf, manifestsOf } from "./image-model.js";

/** Options for {@link writeOciLayout}. */
export interface OciLayoutOptions {
  /**
   * Value of `org.opencontainers.image.ref.name` for each tag; default `<repository>:<tag>`
   * (use `(_, tag) => tag` for the common single-repository layout `oci:<dir>:<tag>`).
   */
  readonly refName?: (repository: string, tag: string) => string;
}

/**
 * Writes images as an OCI image layout directory: `oci-layout`, `blobs/sha256/<hex>` for every
 * blob and manifest, and `index.json` with one entry per tag annotated with
 * `org.opencontainers.image.ref.name`. Returns the `index.json` bytes.
 *
 * Why: OCI layouts are both an input (archives carried across the air gap) and something skopeo
 * can read independently (`oci:<dir>:<ref>`), so tests need them without a registry.
 */
export async function writeOciLayout(dir: string, images: GeneratedImages | readonly TestImage[], options: OciLayoutOptions = {}): Promise<Buffer> {
  const list = "images" in images ? images.images : images;
  const refName = options.refName ?? ((repository: string, tag: string) => `${repository}:${tag}`);
  const blobDir = join(dir, "blobs", "sha256");
  await mkdir(blobDir, { recursive: true });
  await writeFile(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  const written = new Set<string>();
  const put = async (digest: string, data: Buffer): Promise<void> => {
    if (written.has(digest)) return;
    written.add(digest);
    await writeFile(join(blobDir, digest.slice("sha256:".length)), data);
  };
  const entries: unknown[] = [];
  for (const image of list) {
    for (const blob of blobsOf(image.root)) await put(blob.digest, blob.data);
    for (const m of manifestsOf(image.root)) await put(m.digest, m.bytes);
    for (const tag of image.tags) {
      entries.push({
        mediaType: image.root.mediaType,
        digest: image.root.digest,
        size: image.root.size,
        annotations: { "org.opencontainers.image.ref.name": refName(image.repository, tag) },
      });
    }
  }
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: entries }));
  await writeFile(join(dir, "index.json"), index);
  return index;
}
