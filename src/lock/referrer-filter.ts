/**
 * Which referrers a bundle asks for (`referrers: true` or
 * `referrers: { artifactTypes: [...] }`), and how the wishes of several
 * bundles sharing one image combine for the lock (the lock keeps the union;
 * each bundle then takes only its own types).
 */
import type { NormalizedBundle } from "../config/normalize.js";
import type { LockedReferrer } from "./model.js";

/** Which referrers to take: all, or only these artifact types. */
export type ReferrerFilter = true | readonly string[];

/** What a bundle asks for; false when it asks for no referrers. */
export function bundleReferrers(bundle: Pick<NormalizedBundle, "referrers">): ReferrerFilter | false {
  const r = bundle.referrers;
  if (r === false || r === true) return r;
  return r.artifactTypes.length > 0 ? r.artifactTypes : true;
}

/** Merges what several bundles ask for: all when any asks for all, else the union of types; undefined when none asks. */
export function mergeFilters(filters: readonly (ReferrerFilter | false)[]): ReferrerFilter | undefined {
  const wanted = filters.filter((f): f is ReferrerFilter => f !== false);
  if (wanted.length === 0) return undefined;
  if (wanted.some((f) => f === true)) return true;
  return [...new Set(wanted.flatMap((f) => (f === true ? [] : f)))].sort();
}

/** True when a filter keeps a referrer. */
export function filterKeeps(filter: ReferrerFilter, referrer: Pick<LockedReferrer, "artifactType">): boolean {
  return filter === true || (referrer.artifactType !== undefined && filter.includes(referrer.artifactType));
}

/** True when a locked image's referrers were looked up for at least what `filter` asks (else the lock is out of date). */
export function lockCovers(image: { readonly referrers?: readonly unknown[]; readonly referrerTypes?: readonly string[] }, filter: ReferrerFilter): boolean {
  if (image.referrers === undefined) return false;
  if (image.referrerTypes === undefined) return true;
  const locked = image.referrerTypes;
  return filter !== true && filter.every((t) => locked.includes(t));
}
