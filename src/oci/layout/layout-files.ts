/**
 * The fixed file names of an OCI image layout (image-spec image-layout.md)
 * and the size limits applied before any of them is read into memory.
 */
import { digestAlgorithm, digestEncoded, parseDigest, type Digest } from "../../core/digest.js";

/** The marker file at the layout root. */
export const OCI_LAYOUT_FILE = "oci-layout";
/** The entry point of the layout: an image index whose entries carry ref names. */
export const INDEX_FILE = "index.json";
/** The content-addressed store. */
export const BLOBS_DIR = "blobs";
/** The only `imageLayoutVersion` the spec defines. */
export const IMAGE_LAYOUT_VERSION = "1.0.0";
/** The exact bytes airgap writes to `oci-layout` (what skopeo and containerd write too). */
export const OCI_LAYOUT_CONTENT = `{"imageLayoutVersion":"${IMAGE_LAYOUT_VERSION}"}`;

/**
 * Upper bound for `index.json`. Larger than the 4 MiB manifest limit because a
 * bundle's index grows with its tag count (about 400 bytes per tag), yet small
 * enough that a hostile archive cannot make us buffer gigabytes.
 */
export const INDEX_SIZE_LIMIT = 32 * 1024 * 1024;
/** Upper bound for the `oci-layout` marker, which is about 30 bytes. */
export const OCI_LAYOUT_SIZE_LIMIT = 4096;

/** `blobs/<alg>/<hex>`: where a digest lives inside a layout (always with `/`). */
export function blobEntryName(digest: Digest): string {
  return `${BLOBS_DIR}/${digestAlgorithm(digest)}/${digestEncoded(digest)}`;
}

/** The digest named by `blobs/<alg>/<hex>`, or undefined when the name is not a valid blob path. */
export function digestFromBlobEntry(name: string): Digest | undefined {
  const parts = name.split("/");
  if (parts.length !== 3 || parts[0] !== BLOBS_DIR) return undefined;
  const parsed = parseDigest(`${parts[1] ?? ""}:${parts[2] ?? ""}`);
  return parsed.ok ? parsed.digest : undefined;
}
