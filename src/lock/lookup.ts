/**
 * Reading a lock back against the configuration: the facts for one entry
 * (what plan needs), and whether config and lock still agree (entries the
 * lock lacks, lock entries nothing asks for), so plan can say the lock is
 * out of date instead of guessing.
 */
import type { ChartEntry, FileEntry, ImageEntry, NormalizedConfig } from "../config/normalize.js";
import { formatReference } from "../core/reference.js";
import { chartKey, fileKey, imageKey, imageSelectionKey, concreteReference, ociChartRef } from "./keys.js";
import { bundleReferrers, lockCovers } from "./referrer-filter.js";
import { chartEntryKey, concreteImageKey, fileEntryKey, imageEntryKey, isTagSelection, type AirgapLock, type LockedChart, type LockedFile, type LockedImage, type LockedImageEntry } from "./model.js";

/** The concrete images an entry stands for (one, or a filter's selection), or why the lock cannot say. */
export type LockedImagesLookup = { readonly found: true; readonly images: readonly LockedImage[] } | { readonly found: false; readonly reason: string };

/** A lock indexed by key, for many lookups. */
export class LockIndex {
  readonly lock: AirgapLock;
  private readonly images: ReadonlyMap<string, LockedImageEntry>;
  private readonly charts: ReadonlyMap<string, LockedChart>;
  private readonly files: ReadonlyMap<string, LockedFile>;
  private readonly used = new Set<string>();

  constructor(lock: AirgapLock) {
    this.lock = lock;
    this.images = new Map(lock.images.map((e) => [imageEntryKey(e), e]));
    this.charts = new Map(lock.charts.map((e) => [chartEntryKey(e), e]));
    this.files = new Map(lock.files.map((e) => [fileEntryKey(e), e]));
  }

  /** The locked images of an image entry: itself, or each tag its filter selected. */
  imagesFor(entry: ImageEntry): LockedImagesLookup {
    const selection = imageSelectionKey(entry);
    if (selection === undefined) {
      const key = imageKey(entry.reference, entry.origin);
      const found = this.images.get(key);
      if (found === undefined || isTagSelection(found)) return { found: false, reason: `${formatReference(concreteReference(entry.reference))} is not in airgap.lock` };
      this.used.add(`i${key}`);
      return { found: true, images: [found] };
    }
    const found = this.images.get(selection);
    if (found === undefined || !isTagSelection(found)) return { found: false, reason: `the tag filter of ${formatReference(entry.reference)} is not in airgap.lock (new, or the filter changed)` };
    this.used.add(`i${selection}`);
    const images: LockedImage[] = [];
    for (const tag of found.selected) {
      const key = concreteImageKey(`${found.ref}:${tag}`, found.source);
      const image = this.images.get(key);
      if (image === undefined || isTagSelection(image)) return { found: false, reason: `airgap.lock selects ${found.ref}:${tag} but does not record it` };
      this.used.add(`i${key}`);
      images.push(image);
    }
    return { found: true, images };
  }

  /** The locked chart of a chart entry. */
  chartFor(entry: ChartEntry): LockedChart | undefined {
    const key = chartKey(entry);
    const found = this.charts.get(key);
    if (found !== undefined) this.used.add(`c${key}`);
    return found;
  }

  /** The locked file of a file entry (its declared sha256, if any, must be the locked one). */
  fileFor(entry: FileEntry, baseDir: string): LockedFile | undefined {
    const key = fileKey(entry, baseDir);
    const found = this.files.get(key);
    if (found === undefined || (entry.sha256 !== undefined && entry.sha256.toLowerCase() !== found.sha256)) return undefined;
    this.used.add(`f${key}`);
    return found;
  }

  /** Lock entries no lookup has used so far, described for humans. */
  unused(): string[] {
    const out: string[] = [];
    for (const [key, e] of this.images) if (!this.used.has(`i${key}`)) out.push(isTagSelection(e) ? `${e.ref} (tag filter)` : e.ref);
    for (const [key, e] of this.charts) if (!this.used.has(`c${key}`)) out.push(e.type === "oci" ? `chart ${e.ref} ${e.version}` : `chart ${e.name} ${e.version}`);
    for (const [key, e] of this.files) if (!this.used.has(`f${key}`)) out.push(`file ${e.url ?? e.path ?? ""}`);
    return out;
  }
}

/** An entry of airgap.yaml that airgap.lock does not cover. */
export interface LockGap {
  readonly pointer: string;
  readonly subject: string;
  readonly reason: string;
}

/** How config and lock relate. */
export interface LockComparison {
  /** True when every entry is locked and nothing else is. */
  readonly upToDate: boolean;
  /** Entries the lock lacks: `airgap lock` resolves them. */
  readonly missing: readonly LockGap[];
  /** Lock entries nothing in the config asks for any more: the next `airgap lock` drops them. */
  readonly unused: readonly string[];
}

/** Compares the config with a lock. */
export function compareLock(config: NormalizedConfig, lock: AirgapLock): LockComparison {
  const index = new LockIndex(lock);
  const missing: LockGap[] = [];
  for (const bundle of config.bundles) {
    const wish = bundleReferrers(bundle);
    for (const entry of bundle.images) {
      const found = index.imagesFor(entry);
      if (!found.found) missing.push({ pointer: entry.pointer, subject: formatReference(entry.reference), reason: found.reason });
      else if (wish !== false) {
        for (const image of found.images) {
          if (!lockCovers(image, wish)) missing.push({ pointer: entry.pointer, subject: image.ref, reason: `airgap.lock does not record the referrers of ${image.ref} that bundle ${bundle.name} asks for` });
        }
      }
    }
    for (const entry of bundle.charts) {
      if (index.chartFor(entry) === undefined) {
        const subject = entry.type === "oci" ? `${ociChartRef(entry)} ${entry.version}` : `${entry.name} ${entry.version}`;
        missing.push({ pointer: entry.pointer, subject, reason: `chart ${subject} is not in airgap.lock` });
      }
    }
    for (const entry of bundle.files) {
      if (index.fileFor(entry, config.baseDir) === undefined) {
        const subject = entry.url ?? entry.path ?? "";
        missing.push({ pointer: entry.pointer, subject, reason: `file ${subject} is not in airgap.lock${entry.sha256 !== undefined ? " with the declared sha256" : ""}` });
      }
    }
  }
  const unused = index.unused();
  return { upToDate: missing.length === 0 && unused.length === 0, missing, unused };
}
