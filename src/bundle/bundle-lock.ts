/**
 * The lock that rides in a bundle describes the bundle as a source: an image
 * filtered to some platforms is recorded with the root the bundle holds (its
 * rewritten index) and only the children it carries. The far side then
 * plans from the bundle exactly as the near side would have from upstream,
 * and reaches the same target digests.
 */
import type { AirgapLock, LockedImageEntry } from "../lock/index.js";
import { isTagSelection } from "../lock/index.js";
import type { CarriedImage } from "./write-bundle.js";

/** Rewrites the image entries of `lock` to what `carried` holds. */
export function lockForBundle(lock: AirgapLock, carried: ReadonlyMap<string, CarriedImage>): AirgapLock {
  const images = lock.images.map((entry): LockedImageEntry => {
    if (isTagSelection(entry)) return entry;
    const held = carried.get(entry.ref);
    if (!held || held.root.digest === entry.digest) return entry;
    const present = new Set<string>(held.content.map((d) => d.digest));
    const manifests = entry.manifests?.filter((m) => present.has(m.digest));
    const contentSize = manifests?.reduce((n, m) => n + m.size + (m.contentSize ?? 0), 0);
    // Referrers name the upstream root, which the bundle no longer holds: said so, so the far side does not copy them dangling.
    const referrers = entry.referrers?.map((r) => ({ ...r, subject: r.subject ?? entry.digest }));
    return { ...entry, digest: held.root.digest, size: held.root.size, ...(manifests ? { manifests } : {}), ...(contentSize !== undefined ? { contentSize } : {}), ...(referrers ? { referrers } : {}) };
  });
  return { ...lock, images };
}
