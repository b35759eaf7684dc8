/**
 * The content of airgap.lock as plain data: every desired source reference
 * resolved to what the source holds (digests, media types, sizes, the
 * per-platform children of indexes), the tags each filter selected, charts
 * and files with their sha256. Upstream facts only: what a target will hold
 * after platform filtering is computed by plan, never stored here.
 *
 * Every string in an {@link AirgapLock} is data written exactly (no secret
 * field ever reaches a lock), and entries are identified by the keys below,
 * so a lock read from disk and one just resolved compare equal when the
 * facts are equal.
 */
import type { CanonicalTagFilter } from "../config/tag-filter.js";

/** The lock format this airgap reads and writes; a newer one is refused. */
export const LOCK_VERSION = 1 as const;

/** The lock file's name beside airgap.yaml. */
export const LOCK_FILE_NAME = "airgap.lock";

/** A manifest (or index) as the source holds it. */
export interface LockedManifest {
  /** `sha256:…` of the exact manifest bytes. */
  readonly digest: string;
  readonly mediaType: string;
  /** Bytes of the manifest itself. */
  readonly size: number;
  /**
   * Bytes of what the manifest references: config plus layers for an image
   * manifest; for an index, the sum over its children of their manifest and
   * content bytes. Absent when it could not be known.
   */
  readonly contentSize?: number;
}

/** One entry of an index (a platform's image, or an attestation manifest). */
export interface LockedChildManifest extends LockedManifest {
  /** `os/arch[/variant]`; absent when the index entry names no platform. */
  readonly platform?: string;
}

/**
 * An artifact that refers to a locked image (a signature, an SBOM, an
 * attestation), found when a bundle asks for `referrers`: through the
 * referrers API or its `sha256-<hex>` fallback tag (it then names the image
 * in its `subject`), or under one of cosign's `sha256-<hex>.sig|.att|.sbom`
 * tags (`tag` set; cosign's manifests carry no `subject`).
 */
export interface LockedReferrer extends LockedManifest {
  /** The artifact type the referrers list gives it (for cosign tags: the cosign type its suffix stands for). */
  readonly artifactType?: string;
  /** The cosign tag it is found under; absent for referrers found by `subject`. */
  readonly tag?: string;
  /**
   * The digest it refers to when that is not the image's locked root: in a
   * bundle's lock, for an image the bundle carries platform-filtered (its
   * root rewritten), so the far side knows the referrer would dangle.
   */
  readonly subject?: string;
}

/** An image an imgpkg bundle's ImagesLock names (by digest). */
export interface LockedImgpkgImage extends LockedManifest {
  /** `registry/repository@sha256:…`, normalised. */
  readonly ref: string;
  readonly manifests?: readonly LockedChildManifest[];
}

/** A concrete image: one reference (tag and/or digest) resolved to its root manifest. */
export interface LockedImage extends LockedManifest {
  /** The normalised upstream reference, `registry/repository:tag` (`@digest` when pinned). */
  readonly ref: string;
  /** Name of the disk source (`sources.<name>`) it is read from; absent for registries. */
  readonly source?: string;
  /** For an index: its entries in index order. */
  readonly manifests?: readonly LockedChildManifest[];
  /** What refers to the root (sorted by digest); present only when a bundle asks for referrers, empty when there are none. */
  readonly referrers?: readonly LockedReferrer[];
  /**
   * For an imgpkg bundle (config label `dev.carvel.imgpkg.bundle`): every
   * image its `.imgpkg/images.yml` names, resolved by digest; they are
   * relocated into the bundle's target repository with it.
   */
  readonly imgpkgImages?: readonly LockedImgpkgImage[];
  /** The artifact types `referrers` were looked up for (sorted); absent when all were. A changed wish is looked up again. */
  readonly referrerTypes?: readonly string[];
}

/** What a tag filter selected: the concrete `ref:tag` entries are {@link LockedImage}s of their own. */
export interface LockedTagSelection {
  /** The repository, `registry/repository`. */
  readonly ref: string;
  readonly source?: string;
  /** The filter as written (canonical form): a changed filter is a different entry. */
  readonly filter: CanonicalTagFilter;
  /** The tags chosen, newest first. */
  readonly selected: readonly string[];
}

/** An entry of `images`: a concrete image or a filter's selection. */
export type LockedImageEntry = LockedImage | LockedTagSelection;

/** A Helm chart stored as an OCI artifact, resolved like an image. */
export interface LockedOciChart extends LockedManifest {
  readonly type: "oci";
  /** The chart repository, `registry/path/name`. */
  readonly ref: string;
  readonly source?: string;
  /** The version as written in airgap.yaml (exact or a range; empty for a chart pinned by digest). */
  readonly version: string;
  /** The version chosen; its tag is this with `+` written as `_` (Helm's OCI convention). Absent for a digest pin. */
  readonly resolvedVersion?: string;
}

/** A Helm chart from a classic HTTP repository (index.yaml). */
export interface LockedHelmChart {
  readonly type: "helm";
  /** Repository base URL, as written in airgap.yaml. */
  readonly repository: string;
  readonly name: string;
  /** The version as written (exact or a range). */
  readonly version: string;
  /** The version chosen: the newest that matches. */
  readonly resolvedVersion: string;
  /** Where the `.tgz` is downloaded from. */
  readonly url: string;
  /** Hex sha256 of the `.tgz`, computed by downloading it. */
  readonly sha256: string;
  readonly size: number;
}

/** A locked chart. */
export type LockedChart = LockedOciChart | LockedHelmChart;

/** A file to carry: from a URL or a local path (relative to airgap.yaml, `/`-separated). */
export interface LockedFile {
  readonly url?: string;
  readonly path?: string;
  /** Hex sha256 of the content. */
  readonly sha256: string;
  readonly size: number;
}

/** airgap.lock. */
export interface AirgapLock {
  readonly lockVersion: typeof LOCK_VERSION;
  /** ISO 8601 time of the last change of the facts; kept when a rerun changes nothing. */
  readonly generated: string;
  readonly images: readonly LockedImageEntry[];
  readonly charts: readonly LockedChart[];
  readonly files: readonly LockedFile[];
}

/** True for an `images` entry that records a filter's selection. */
export function isTagSelection(entry: LockedImageEntry): entry is LockedTagSelection {
  return "filter" in entry;
}

/** The identity of an images entry (reference, source, filter): unique within a lock. */
export function imageEntryKey(entry: LockedImageEntry): string {
  return JSON.stringify([entry.ref, entry.source ?? "", isTagSelection(entry) ? entry.filter : null]);
}

/** The identity of a concrete image. */
export function concreteImageKey(ref: string, source: string | undefined): string {
  return JSON.stringify([ref, source ?? "", null]);
}

/** The identity of a filter's selection. */
export function selectionKey(ref: string, source: string | undefined, filter: CanonicalTagFilter): string {
  return JSON.stringify([ref, source ?? "", filter]);
}

/** The identity of a chart entry. */
export function chartEntryKey(entry: LockedChart): string {
  return entry.type === "oci" ? JSON.stringify(["oci", entry.ref, entry.source ?? "", entry.version]) : JSON.stringify(["helm", entry.repository, entry.name, entry.version]);
}

/** The identity of a file entry. */
export function fileEntryKey(entry: Pick<LockedFile, "url" | "path">): string {
  return JSON.stringify([entry.url ?? "", entry.path ?? ""]);
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sorts entries by their key (code-unit order: the same on every machine and locale). */
export function sortByKey<T>(entries: readonly T[], key: (entry: T) => string): T[] {
  return entries.map((entry) => ({ entry, k: key(entry) })).sort((a, b) => compareKeys(a.k, b.k)).map((x) => x.entry);
}

/** A lock with every list in key order. */
export function sortLock(lock: AirgapLock): AirgapLock {
  return {
    lockVersion: lock.lockVersion,
    generated: lock.generated,
    images: sortByKey(lock.images, imageEntryKey),
    charts: sortByKey(lock.charts, chartEntryKey),
    files: sortByKey(lock.files, fileEntryKey),
  };
}
