/**
 * What goes into a bundle: every image and chart the chosen bundles want
 * (desiredContent, the same enumeration plan uses), each once under its full
 * upstream name. An image two bundles want is carried once, with the union
 * of their platforms, or whole if either keeps digests.
 */
import type { NormalizedConfig } from "../config/normalize.js";
import { UsageError } from "../core/errors.js";
import { formatPlatform, type Descriptor, type Platform } from "../core/oci-types.js";
import { desiredContent, type DesiredContent, type DesiredProblem } from "../desired/desired-state.js";
import type { AirgapLock } from "../lock/index.js";
import type { SourceOpener } from "../sources/index.js";
import type { BundleImage } from "./write-bundle.js";

interface Wanted {
  readonly first: DesiredContent;
  platforms: Platform[] | undefined;
  preserveDigests: boolean;
}

/** The images and charts to carry, with a reader and root for each. */
export async function bundleContents(
  config: NormalizedConfig,
  lock: AirgapLock,
  opener: SourceOpener,
  options: { readonly bundles?: readonly string[]; readonly signal?: AbortSignal } = {},
): Promise<{ images: BundleImage[]; problems: DesiredProblem[] }> {
  const known = config.bundles.map((b) => b.name);
  for (const name of options.bundles ?? []) if (!known.includes(name)) throw new UsageError(`--bundle ${name}: no such bundle (defined: ${known.join(", ")})`);
  const chosen = options.bundles?.length ? { ...config, bundles: config.bundles.filter((b) => options.bundles!.includes(b.name)) } : config;
  const { content, problems } = desiredContent(chosen, lock);

  const wanted = new Map<string, Wanted>();
  for (const c of content) {
    const platforms = c.preserveDigests ? undefined : c.platforms;
    const existing = wanted.get(c.label);
    if (!existing) {
      wanted.set(c.label, { first: c, platforms: platforms ? [...platforms] : undefined, preserveDigests: c.preserveDigests });
      continue;
    }
    existing.preserveDigests ||= c.preserveDigests;
    if (existing.platforms === undefined || platforms === undefined) existing.platforms = undefined;
    else {
      const seen = new Set(existing.platforms.map(formatPlatform));
      for (const p of platforms) if (!seen.has(formatPlatform(p))) existing.platforms.push(p);
    }
  }

  const call = options.signal ? { signal: options.signal } : {};
  const images: BundleImage[] = [];
  for (const [name, w] of [...wanted.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const repository = await opener.open(w.first.source.name, w.first.source.origin, call);
    const locked = w.first.locked;
    const root: Descriptor | undefined = locked ? { mediaType: locked.mediaType, digest: locked.digest as Descriptor["digest"], size: locked.size } : await repository.reader.resolve(w.first.tag ?? "", call);
    if (!root) {
      problems.push({ pointer: w.first.pointer, severity: "error", message: `${repository.name} has no ${w.first.tag ?? "root"}` });
      continue;
    }
    const whole = w.preserveDigests || w.platforms === undefined;
    images.push({ name, reader: repository.reader, root, preserveDigests: whole, ...(!whole && w.platforms ? { platforms: w.platforms } : {}), ...(w.first.kind === "referrer" ? { referrer: true } : {}) });
  }
  return { images, problems };
}
