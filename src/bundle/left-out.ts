/**
 * What a bundle says about its own completeness: `airgap-bundle.json` lists
 * every blob `bundle --since` left out on purpose (empty for a full bundle).
 * On the far side that tells the two reasons a blob can be absent apart: left
 * out, so the target must already have it; or not left out, so the bundle is
 * damaged. Bundles written before this file existed have none: then nobody
 * can tell, and messages say both.
 */
import { BundleError } from "./errors.js";

/** The entry's name in the bundle tar (skopeo and containerd ignore files they do not know). */
export const LEFT_OUT_FILE = "airgap-bundle.json";

const FORMAT_VERSION = 1;

/** The file's content: sorted digests, so that the bundle stays byte-for-byte reproducible. */
export function serializeLeftOut(digests: Iterable<string>): string {
  return `${JSON.stringify({ formatVersion: FORMAT_VERSION, leftOut: [...new Set(digests)].sort() }, null, 2)}\n`;
}

/** Parses the file; throws BundleError when it is not one we wrote. */
export function parseLeftOut(text: string, bundlePath: string): ReadonlySet<string> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new BundleError(`${bundlePath}: ${LEFT_OUT_FILE} is not JSON (${(error as Error).message}); the bundle is damaged: copy it across again`);
  }
  const record = json as { formatVersion?: unknown; leftOut?: unknown };
  if (typeof record.formatVersion !== "number" || record.formatVersion > FORMAT_VERSION) {
    throw new BundleError(`${bundlePath}: ${LEFT_OUT_FILE} has formatVersion ${String(record.formatVersion)}, which this airgap does not read: use the airgap version that wrote the bundle (or a newer one) on this side`);
  }
  if (!Array.isArray(record.leftOut) || record.leftOut.some((d) => typeof d !== "string")) {
    throw new BundleError(`${bundlePath}: ${LEFT_OUT_FILE} has no list of digests under "leftOut"; the bundle is damaged: copy it across again`);
  }
  return new Set(record.leftOut as string[]);
}
