/**
 * What goes into a bundle: every locked image and OCI chart of the chosen
 * bundles, each once under its full upstream name, with the platforms its
 * bundles keep. The same image wanted by two bundles is carried once, with
 * the union of their platforms (or whole, if either keeps digests).
 */
import type { ContentOrigin, NormalizedConfig } from "../config/normalize.js";
import type { Descriptor, Platform } from "../core/oci-types.js";
import { formatPlatform } from "../core/oci-types.js";
import { UsageError } from "../core/errors.js";
import { parseReference } from "../core/reference.js";
import { LockIndex, type AirgapLock, type LockedManifest, type SourceOpener } from "../resolve/index.js";
import type { BundleImage } from "./write-bundle.js";

interface Wanted {
  name: string;
  origin: ContentOrigin;
  locked: LockedManifest;
  platforms: Platform[] | undefined;
  preserveDigests: boolean;
}

/** Problems that stop a bundle from being written (an entry missing from the lock). */
export interface ContentsProblem {
  readonly pointer: string;
  readonly message: string;
}

function merge(into: Wanted, platforms: readonly Platform[] | undefined, preserve: boolean): void {
  into.preserveDigests ||= preserve;
  if (into.platforms === undefined || platforms === undefined) {
    into.platforms = undefined;
    return;
  }
  const seen = new Set(into.platforms.map(formatPlatform));
  for (const p of platforms) if (!seen.has(formatPlatform(p))) into.platforms.push(p);
}

/** The images and charts to carry, with a reader for each. */
export async function bundleContents(
  config: NormalizedConfig,
  lock: AirgapLock,
  opener: SourceOpener,
  options: { readonly bundles?: readonly string[]; readonly redact?: (text: string) => string; readonly signal?: AbortSignal } = {},
): Promise<{ images: BundleImage[]; problems: ContentsProblem[] }> {
  const known = config.bundles.map((b) => b.name);
  for (const name of options.bundles ?? []) if (!known.includes(name)) throw new UsageError(`--bundle ${name}: no such bundle (defined: ${known.join(", ")})`);
  const index = new LockIndex(lock, options.redact ? { redact: options.redact } : {});
  const wanted = new Map<string, Wanted>();
  const problems: ContentsProblem[] = [];
  const want = (name: string, origin: ContentOrigin, locked: LockedManifest, platforms: readonly Platform[] | undefined, preserve: boolean) => {
    const existing = wanted.get(name);
    if (existing) merge(existing, platforms, preserve);
    else wanted.set(name, { name, origin, locked, platforms: platforms ? [...platforms] : undefined, preserveDigests: preserve });
  };
  for (const bundle of config.bundles) {
    if (options.bundles?.length && !options.bundles.includes(bundle.name)) continue;
    for (const entry of bundle.images) {
      const found = index.imagesFor(entry);
      if (!found.found) {
        problems.push({ pointer: entry.pointer, message: `${found.reason}; run \`airgap lock\`` });
        continue;
      }
      for (const image of found.images) want(image.ref, entry.origin, image, entry.preserveDigests ? undefined : entry.platforms, entry.preserveDigests);
    }
    for (const chart of bundle.charts) {
      if (chart.type !== "oci") {
        problems.push({ pointer: chart.pointer, message: `chart ${chart.name} from a Helm repository cannot be carried in a bundle by this version of airgap yet` });
        continue;
      }
      const locked = index.chartFor(chart);
      if (!locked || locked.type !== "oci") {
        problems.push({ pointer: chart.pointer, message: `chart ${chart.reference.repository} ${chart.version} is not in airgap.lock; run \`airgap lock\`` });
        continue;
      }
      const tag = locked.resolvedVersion?.replace(/\+/g, "_");
      want(tag ? `${locked.ref}:${tag}` : `${locked.ref}@${locked.digest}`, chart.origin, locked, undefined, true);
    }
  }
  const images: BundleImage[] = [];
  for (const w of [...wanted.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const parsed = parseReference(w.name);
    if (!parsed.ok) throw new Error(`invalid locked reference ${w.name}: ${parsed.reason}`);
    const repository = await opener.open({ registry: parsed.reference.registry, repository: parsed.reference.repository }, w.origin, options.signal ? { signal: options.signal } : {});
    const root: Descriptor = { mediaType: w.locked.mediaType, digest: w.locked.digest as Descriptor["digest"], size: w.locked.size };
    images.push({ name: w.name, reader: repository.reader, root, preserveDigests: w.preserveDigests || w.platforms === undefined, ...(w.platforms ? { platforms: w.platforms } : {}) });
  }
  return { images, problems };
}
