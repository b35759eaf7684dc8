/**
 * Observation through Harbor's API: one paginated artifact listing per
 * repository answers every tag of it, instead of one manifest HEAD per tag
 * (providers-notes §2.5). Digests count as present when Harbor lists them
 * as an artifact, as a child of an index (`references`) or as an accessory.
 */
import type { ItemObservation, TargetItem } from "airgap/sdk";
import type { HarborArtifact } from "./api.js";

/** What one repository holds, as far as observation needs it. */
export interface RepositoryListing {
  /** Tag → digest and whether an immutable tag rule protects it. */
  readonly tags: ReadonlyMap<string, { readonly digest: string; readonly immutable: boolean }>;
  /** Every digest Harbor knows in the repository: artifacts, index children, accessories. */
  readonly digests: ReadonlySet<string>;
}

/** Cosign's tag scheme: accessories Harbor hides from the artifact listing (their tags are not listed). */
const ACCESSORY_TAG = /^sha256-[0-9a-f]{64}\.(sig|att|sbom)$/;

/** Builds a listing from Harbor's artifacts. */
export function listingOf(artifacts: readonly HarborArtifact[]): RepositoryListing {
  const tags = new Map<string, { digest: string; immutable: boolean }>();
  const digests = new Set<string>();
  for (const artifact of artifacts) {
    digests.add(artifact.digest);
    for (const tag of artifact.tags ?? []) tags.set(tag.name, { digest: artifact.digest, immutable: tag.immutable === true });
    for (const child of artifact.references ?? []) digests.add(child.child_digest);
    for (const accessory of artifact.accessories ?? []) digests.add(accessory.digest);
  }
  return { tags, digests };
}

/** An empty repository (or one in a project that does not exist yet). */
export const EMPTY_LISTING: RepositoryListing = { tags: new Map(), digests: new Set() };

/**
 * The observation of one item from its repository's listing; `fallback` is
 * asked for tags the listing cannot show (cosign accessory tags).
 */
export async function observeItem(item: TargetItem, listing: RepositoryListing, fallback: (tag: string) => Promise<string | undefined>): Promise<ItemObservation> {
  if (item.tag !== undefined) {
    const found = listing.tags.get(item.tag);
    if (found) return { state: "present", digest: found.digest, ...(found.immutable ? { immutable: true } : {}) };
    if (ACCESSORY_TAG.test(item.tag)) {
      const digest = await fallback(item.tag);
      return digest !== undefined ? { state: "present", digest } : { state: "absent" };
    }
    return { state: "absent" };
  }
  if (item.digest !== undefined) return listing.digests.has(item.digest) ? { state: "present", digest: item.digest } : { state: "absent" };
  return { state: "unknown", error: { message: `${item.address} names neither a tag nor a digest` } };
}
