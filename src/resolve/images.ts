/**
 * Resolving image entries: tag filters against the source's tag list, then
 * every concrete reference to its root manifest and per-platform children.
 * Entries that name the same thing (the same reference in two bundles, a tag
 * a filter selects and a list names too) are resolved once.
 *
 * With a previous lock, an entry already locked is not resolved by tag
 * again: its digest is checked with one HEAD by digest, and its locked
 * facts are kept. A locked filter keeps its selection (no tag listing).
 */
import type { ContentOrigin, ImageEntry } from "../config/normalize.js";
import type { Digest } from "../core/digest.js";
import { formatPlatform, type Platform } from "../core/oci-types.js";
import { formatReference, type ImageReference } from "../core/reference.js";
import { describePlatform, platformMatches } from "../oci/copy/platform-match.js";
import type { ResolveContext } from "./context.js";
import { concreteReference, imageKey, imageSelectionKey, originSource } from "../lock/keys.js";
import { isTagSelection, type LockedImage, type LockedImgpkgImage, type LockedTagSelection } from "../lock/model.js";
import { manifestFacts } from "./manifest-facts.js";
import type { SourceManifest, SourceRepository } from "../sources/source-repository.js";
import { imagesLockOf, IMAGES_LOCK_PATH, isImgpkgBundle, lockedDigest } from "./imgpkg.js";
import { parseReference } from "../core/reference.js";
import { ResolveError } from "../sources/errors.js";
import { canonicalTagFilter, describeTagFilter, selectTags } from "../config/tag-filter.js";
import { sortNewestFirst } from "../config/version-order.js";
import { discoverReferrers } from "./referrers.js";
import { mergeFilters, type ReferrerFilter } from "../lock/referrer-filter.js";

/** What referrers an entry's bundle asks for (false: none). */
export type ReferrerWish = (entry: ImageEntry) => ReferrerFilter | false;

/** What image resolution produced. */
export interface ImageResolution {
  readonly images: readonly LockedImage[];
  readonly selections: readonly LockedTagSelection[];
}

interface ConcreteUnit {
  readonly key: string;
  readonly reference: ImageReference;
  readonly origin: ContentOrigin;
  readonly entries: ImageEntry[];
}

interface FilterUnit {
  readonly key: string;
  readonly repository: ImageReference;
  readonly origin: ContentOrigin;
  readonly entries: ImageEntry[];
}

/** How many tags a "not found" message shows. */
const SHOWN_TAGS = 8;

/** `a, b, c and 12 more`, newest first. */
export function summarizeTags(tags: readonly string[]): string {
  const newest = sortNewestFirst(tags);
  const shown = newest.slice(0, SHOWN_TAGS).join(", ");
  return newest.length > SHOWN_TAGS ? `${shown} and ${newest.length - SHOWN_TAGS} more` : shown;
}

function pointers(entries: readonly ImageEntry[]): string[] {
  return entries.map((e) => e.pointer);
}

function where(origin: ContentOrigin, repo: SourceRepository): string {
  return origin.type === "disk" ? `source "${origin.source}" (${repo.name})` : repo.name;
}

/** A platform string from the lock back into its parts (`unknown/unknown` included). */
function splitPlatform(text: string): Platform {
  const [os = "", architecture = "", variant] = text.split("/");
  return { os, architecture, ...(variant !== undefined ? { variant } : {}) };
}

/**
 * Reports requested platforms an index lacks, per entry: an error when none
 * of the entry's platforms is there, a warning when only some are. Single
 * manifests are not checked (their platform is in the config blob, and the
 * copy takes them as they are); `preserveDigests` entries copy every
 * platform, so they are not checked either.
 */
function checkPlatforms(ctx: ResolveContext, unit: ConcreteUnit, image: LockedImage): void {
  if (image.manifests === undefined) return;
  const offered = image.manifests.map((m) => (m.platform !== undefined ? splitPlatform(m.platform) : undefined));
  const available = [...new Set(offered.filter((p) => p !== undefined && p.os !== "unknown").map((p) => describePlatform(p)))];
  for (const entry of unit.entries) {
    if (entry.platforms === undefined || entry.preserveDigests) continue;
    const missing = entry.platforms.filter((wanted) => !offered.some((p) => platformMatches(wanted, p)));
    if (missing.length === 0) continue;
    const all = missing.length === entry.platforms.length;
    ctx.report(
      [entry.pointer],
      "platform-missing",
      image.ref,
      `${image.ref} has no ${missing.map(formatPlatform).join(", ")} image${all ? " (none of the requested platforms)" : ""}; available: ${available.length > 0 ? available.join(", ") : "no platforms"}`,
      all ? "error" : "warning",
    );
  }
}

async function diagnoseMissing(ctx: ResolveContext, unit: ConcreteUnit, repo: SourceRepository, ref: string): Promise<void> {
  const at = where(unit.origin, repo);
  if (unit.reference.digest !== undefined) {
    ctx.report(pointers(unit.entries), "digest-not-found", ref, `${ref}: ${at} has no manifest ${unit.reference.digest}`);
    return;
  }
  const tags = await repo.listTags(ctx.call);
  if (tags.length === 0) {
    ctx.report(pointers(unit.entries), "repository-not-found", ref, `${ref}: repository not found (${at} lists no tags)`);
    return;
  }
  ctx.report(pointers(unit.entries), "tag-not-found", ref, `${ref}: tag "${unit.reference.tag ?? ""}" not found; ${at} has ${tags.length} tag${tags.length === 1 ? "" : "s"}: ${summarizeTags(tags)}`);
}

async function verifyLocked(ctx: ResolveContext, unit: ConcreteUnit, locked: LockedImage): Promise<void> {
  const repo = await ctx.open(unit.reference, unit.origin);
  if (await repo.hasManifest(locked.digest as Digest, ctx.call)) return;
  ctx.report(
    pointers(unit.entries),
    "locked-digest-missing",
    locked.ref,
    `airgap.lock pins ${locked.ref} to ${locked.digest}, which ${where(unit.origin, repo)} no longer has (deleted or garbage-collected upstream); run \`airgap lock --update ${locked.ref}\` to lock what it points at now`,
  );
}

async function resolveFresh(ctx: ResolveContext, unit: ConcreteUnit, ref: string): Promise<LockedImage | undefined> {
  const repo = await ctx.open(unit.reference, unit.origin);
  const wanted = unit.reference.digest ?? unit.reference.tag ?? "latest";
  const root = await repo.getManifest(wanted, ctx.call);
  if (root === undefined) {
    await diagnoseMissing(ctx, unit, repo, ref);
    return undefined;
  }
  const facts = await manifestFacts(repo, root, ctx.call);
  const source = originSource(unit.origin);
  const imgpkgImages = await imgpkgImagesOf(ctx, unit, repo, root, ref);
  return { ref, ...(source !== undefined ? { source } : {}), ...facts, ...(imgpkgImages !== undefined ? { imgpkgImages } : {}) };
}

/** How deep bundles listed in bundles are followed (imgpkg itself relocates nested bundles whole). */
const IMGPKG_DEPTH = 4;

/**
 * For an imgpkg bundle, every image of its ImagesLock resolved by digest
 * (imgpkg.ts), and, for a listed image that is itself a bundle, its images
 * too: imgpkg relocates nested bundles whole. A missing one is a problem
 * naming it.
 */
async function imgpkgImagesOf(ctx: ResolveContext, unit: ConcreteUnit, repo: SourceRepository, root: SourceManifest, ref: string, depth = 0, seen = new Set<string>()): Promise<LockedImgpkgImage[] | undefined> {
  if (depth >= IMGPKG_DEPTH) return undefined;
  const isBundle = await ctx.imgpkgBundles.get(`${repo.name}@${root.descriptor.digest}`, () => isImgpkgBundle(repo, root, ctx.call));
  if (!isBundle) return undefined;
  const found: LockedImgpkgImage[] = [];
  for (const { image } of await imagesLockOf(repo, root, ctx.call)) {
    const parsed = parseReference(image);
    if (!parsed.ok) throw new ResolveError("SOURCE_INVALID", `imgpkg bundle ${ref}: ${IMAGES_LOCK_PATH} names ${image}, which is not an image reference: ${parsed.reason}`);
    const name = formatReference(parsed.reference);
    if (seen.has(name)) continue;
    seen.add(name);
    // Read like the bundle when it lives in the same registry (its source settings); elsewhere with the defaults.
    const origin: ContentOrigin = parsed.reference.registry === unit.reference.registry ? unit.origin : { type: "registry" };
    const source = await ctx.open(parsed.reference, origin);
    const manifest = await source.getManifest(lockedDigest(image), ctx.call);
    if (manifest === undefined) {
      ctx.report(pointers(unit.entries), "digest-not-found", ref, `imgpkg bundle ${ref} lists ${name} in ${IMAGES_LOCK_PATH}, which ${where(origin, source)} does not have; the bundle cannot be relocated without it`);
      continue;
    }
    found.push({ ref: name, ...(await manifestFacts(source, manifest, ctx.call)) });
    found.push(...((await imgpkgImagesOf(ctx, unit, source, manifest, name, depth + 1, seen)) ?? []));
  }
  return found;
}

async function resolveConcrete(ctx: ResolveContext, unit: ConcreteUnit, wish: ReferrerWish): Promise<LockedImage | undefined> {
  const ref = formatReference(unit.reference);
  const refresh = ctx.refresh.image(unit.reference);
  const previous = ctx.lockedImages.get(unit.key);
  const locked = previous !== undefined && !isTagSelection(previous) ? previous : undefined;
  if (locked !== undefined && !refresh) {
    await ctx.attempt(pointers(unit.entries), ref, () => verifyLocked(ctx, unit, locked));
    checkPlatforms(ctx, unit, locked);
    return withReferrers(ctx, unit, locked, false, wish);
  }
  const fresh = await ctx.attempt(pointers(unit.entries), ref, () => resolveFresh(ctx, unit, ref));
  // A failed refresh keeps what was locked (the problem says why); plan never sees a half-resolved entry.
  const result = fresh ?? locked;
  if (result !== undefined) checkPlatforms(ctx, unit, result);
  return result === undefined ? undefined : withReferrers(ctx, unit, result, fresh !== undefined, wish);
}

/**
 * The image with the referrers its bundles ask for: those already locked
 * when the wish is unchanged and nothing is refreshed, else found again at
 * the source (discover.ts); without the field when no bundle asks.
 */
async function withReferrers(ctx: ResolveContext, unit: ConcreteUnit, image: LockedImage, refreshed: boolean, wish: ReferrerWish): Promise<LockedImage> {
  const { referrers: _r, referrerTypes: _t, ...bare } = image;
  const filter = mergeFilters(unit.entries.map(wish));
  if (filter === undefined) return bare;
  const types = filter === true ? undefined : filter;
  const sameWish = JSON.stringify(image.referrerTypes ?? null) === JSON.stringify(types ?? null);
  if (image.referrers !== undefined && sameWish && !refreshed) return image;
  const found = await ctx.attempt(pointers(unit.entries), image.ref, async () => discoverReferrers(await ctx.open(unit.reference, unit.origin), image.digest, { filter, ...ctx.call }));
  // A failed look-up is a problem (lock refuses to write); what was locked stays meanwhile.
  if (found === undefined) return image;
  return { ...bare, referrers: found, ...(types !== undefined ? { referrerTypes: types } : {}) };
}

async function resolveFilter(ctx: ResolveContext, unit: FilterUnit, filterEntry: ImageEntry): Promise<LockedTagSelection | undefined> {
  const repoRef = formatReference(unit.repository);
  const filter = canonicalTagFilter(filterEntry.tags ?? {});
  const refresh = ctx.refresh.repository(unit.repository);
  const previous = ctx.lockedImages.get(unit.key);
  const locked = previous !== undefined && isTagSelection(previous) ? previous : undefined;
  if (locked !== undefined && !refresh) return locked;
  const selection = await ctx.attempt(pointers(unit.entries), repoRef, async (): Promise<LockedTagSelection | undefined> => {
    const repo = await ctx.open(unit.repository, unit.origin);
    const tags = await repo.listTags(ctx.call);
    const at = where(unit.origin, repo);
    if (tags.length === 0) {
      ctx.report(pointers(unit.entries), "repository-not-found", repoRef, `${repoRef}: repository not found (${at} lists no tags)`);
      return undefined;
    }
    const chosen = selectTags(tags, filter);
    if ("missing" in chosen) {
      ctx.report(pointers(unit.entries), "no-matching-tags", repoRef, `${repoRef}: tag${chosen.missing.length === 1 ? "" : "s"} ${chosen.missing.map((t) => `"${t}"`).join(", ")} not found; ${at} has ${tags.length} tags: ${summarizeTags(tags)}`);
      return undefined;
    }
    if (chosen.tags.length === 0) {
      ctx.report(pointers(unit.entries), "no-matching-tags", repoRef, `${repoRef}: no tag matches ${describeTagFilter(filter)}; ${at} has ${tags.length} tags: ${summarizeTags(tags)}`);
      return undefined;
    }
    const source = originSource(unit.origin);
    return { ref: repoRef, ...(source !== undefined ? { source } : {}), filter, selected: chosen.tags };
  });
  return selection ?? locked;
}


function addConcrete(units: Map<string, ConcreteUnit>, ctx: ResolveContext, reference: ImageReference, origin: ContentOrigin, entries: readonly ImageEntry[]): void {
  const concrete = concreteReference(reference);
  const key = imageKey(concrete, origin);
  const unit = units.get(key);
  if (unit === undefined) units.set(key, { key, reference: concrete, origin, entries: [...entries] });
  else unit.entries.push(...entries.filter((e) => !unit.entries.includes(e)));
}

/** Resolves every image entry (see the module comment); problems go to the context. */
export async function resolveImages(ctx: ResolveContext, entries: readonly ImageEntry[], wish: ReferrerWish = () => false): Promise<ImageResolution> {
  const filters = new Map<string, FilterUnit>();
  const concrete = new Map<string, ConcreteUnit>();
  for (const entry of entries) {
    const selection = imageSelectionKey(entry);
    if (selection === undefined) {
      addConcrete(concrete, ctx, entry.reference, entry.origin, [entry]);
      continue;
    }
    const { tag: _t, digest: _d, ...repository } = entry.reference;
    const unit = filters.get(selection);
    if (unit === undefined) filters.set(selection, { key: selection, repository, origin: entry.origin, entries: [entry] });
    else unit.entries.push(entry);
  }

  const selections = (await Promise.all([...filters.values()].map((unit) => resolveFilter(ctx, unit, unit.entries[0] as ImageEntry)))).flatMap((s, i) => {
    const unit = [...filters.values()][i] as FilterUnit;
    if (s === undefined) return [];
    for (const tag of s.selected) addConcrete(concrete, ctx, { ...unit.repository, tag }, unit.origin, unit.entries);
    return [s];
  });

  const images = await Promise.all([...concrete.values()].map((unit) => resolveConcrete(ctx, unit, wish)));
  return { images: images.filter((i): i is LockedImage => i !== undefined), selections };
}
