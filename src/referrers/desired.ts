/**
 * Referrers as desired content: each referrer a bundle asks for becomes an
 * object of its own in the image's target repository, copied by digest
 * (preserved byte for byte, so its `subject` still names the image), or
 * under its cosign tag. A referrer of an image whose digest the platform
 * filter rewrites would name a manifest the target never holds: it is left
 * out with a warning saying so, never copied dangling.
 */
import type { ImageEntry, NormalizedBundle } from "../config/normalize.js";
import { formatAddress } from "../plan/address.js";
import type { DesiredArtifact } from "../plan/diff.js";
import type { LockedImage } from "../lock/model.js";
import type { ImageReference } from "../core/reference.js";
import type { Digest } from "../core/digest.js";
import { bundleReferrers, filterKeeps } from "../lock/referrer-filter.js";

/** What desired-state needs to know to describe one referrer (a subset of its `DesiredContent`). */
export interface ReferrerContent {
  readonly kind: "referrer";
  readonly address: string;
  readonly label: string;
  readonly upstream: ImageReference;
  readonly locked: { readonly digest: string; readonly mediaType: string; readonly size: number };
  readonly tag?: string;
  /** The image digest it refers to. */
  readonly subject: string;
  /** The address of that image's change. */
  readonly subjectAddress: string;
  readonly preserveDigests: true;
}

/** The referrers of one locked image that `bundle` asks for, as content for its target repository. */
export function referrerContent(bundle: NormalizedBundle, image: LockedImage, upstream: ImageReference, imageAddress: string): ReferrerContent[] {
  const wish = bundleReferrers(bundle);
  if (wish === false || image.referrers === undefined) return [];
  const repository = `${upstream.registry}/${upstream.repository}`;
  return image.referrers
    .filter((r) => filterKeeps(wish, r))
    .map((r) => {
      const label = r.tag !== undefined ? `${repository}:${r.tag}` : `${repository}@${r.digest}`;
      return {
        kind: "referrer",
        address: formatAddress({ scope: "bundle", name: bundle.name, kind: "referrer", key: label }),
        label,
        upstream: { registry: upstream.registry, repository: upstream.repository, ...(r.tag !== undefined ? { tag: r.tag } : { digest: r.digest as Digest }) },
        locked: { digest: r.digest, mediaType: r.mediaType, size: r.size },
        ...(r.tag !== undefined ? { tag: r.tag } : {}),
        subject: r.subject ?? image.digest,
        subjectAddress: imageAddress,
        preserveDigests: true,
      };
    });
}

/** A referrer left out because its image is rewritten in the target. */
export interface DanglingReferrer {
  readonly address: string;
  readonly message: string;
}

/**
 * Splits described referrers into those whose image lands in the target
 * with the digest they name, and those whose image the platform filter
 * rewrites (left out, each with why). Referrers whose image is not being
 * described (narrowed by `--target`) are kept.
 */
export function keepAttached(items: readonly DesiredArtifact[], entry: (address: string) => Pick<ImageEntry, "pointer"> | undefined): { kept: DesiredArtifact[]; dangling: (DanglingReferrer & { pointer: string })[] } {
  const digests = new Map(items.filter((i) => i.kind !== "referrer").map((i) => [i.address, i] as const));
  const kept: DesiredArtifact[] = [];
  const dangling: (DanglingReferrer & { pointer: string })[] = [];
  for (const item of items) {
    const image = item.kind === "referrer" && item.subjectAddress !== undefined ? digests.get(item.subjectAddress) : undefined;
    if (image === undefined || image.digest === item.subject) {
      kept.push(item);
      continue;
    }
    dangling.push({
      address: item.address,
      pointer: entry(item.address)?.pointer ?? "",
      message: `${item.source} refers to ${item.subject}, but the platform filter rewrites ${image.source} to ${image.digest} in the target, so it would refer to nothing there; it is not copied (set \`preserveDigests: true\` to keep the image and its referrers as they are)`,
    });
  }
  return { kept, dangling };
}
