/**
 * An imgpkg bundle is relocated as a whole, as `imgpkg copy -b … --to-repo`
 * does: every image its ImagesLock names (locked in `imgpkgImages`) lands in
 * the bundle's own target repository, by digest, where kapp-controller looks
 * for it. Each is tagged `sha256-<hex>.imgpkg` (imgpkg's own convention) so
 * the registry keeps it and prune sees it as wanted. The address names the
 * bundle it travels with, so the plan says why it is there.
 */
import type { ContentOrigin, NormalizedBundle, NormalizedConfig } from "../config/normalize.js";
import { canonicalRegistryHost, parseReference, type ImageReference } from "../core/reference.js";
import type { LockedImage, LockedImgpkgImage } from "../lock/model.js";
import { formatAddress } from "../plan/address.js";

/** What desired-state needs to describe one relocated image (a subset of its `DesiredContent`). */
export interface ImgpkgContent {
  readonly kind: "image";
  readonly address: string;
  readonly label: string;
  readonly upstream: ImageReference;
  readonly locked: LockedImgpkgImage;
  readonly tag: string;
  readonly source: { readonly name: { readonly registry: string; readonly repository: string }; readonly origin: ContentOrigin };
  readonly preserveDigests: true;
  /** The imgpkg bundle it is relocated with. */
  readonly relocatedWith: string;
}

/** imgpkg's tag for an image relocated with a bundle: `sha256-<hex>.imgpkg`. */
export function imgpkgTag(digest: string): string {
  return `${digest.replace(":", "-")}.imgpkg`;
}

/** The images an imgpkg bundle brings into its target repository. `origin` is the bundle's; images elsewhere use that registry's source settings. */
export function imgpkgContent(config: NormalizedConfig, bundle: NormalizedBundle, image: LockedImage, origin: ContentOrigin, upstreamRegistry: string): ImgpkgContent[] {
  return (image.imgpkgImages ?? []).flatMap((listed) => {
    const parsed = parseReference(listed.ref);
    if (!parsed.ok) return [];
    const reference = parsed.reference;
    const settings = config.registrySources.get(canonicalRegistryHost(reference.registry));
    const from: ContentOrigin = reference.registry === upstreamRegistry ? origin : settings ? { type: "registry", settings } : { type: "registry" };
    return [
      {
        kind: "image",
        address: formatAddress({ scope: "bundle", name: bundle.name, kind: "image", key: `${listed.ref} (imgpkg bundle ${image.ref})` }),
        label: listed.ref,
        upstream: reference,
        locked: listed,
        tag: imgpkgTag(listed.digest),
        source: { name: { registry: reference.registry, repository: reference.repository }, origin: from },
        preserveDigests: true,
        relocatedWith: image.ref,
      },
    ];
  });
}
