/**
 * How airgap.yaml entries map onto lock entries. One place, used both by the
 * resolver (to find what is already locked) and by plan (to find the facts
 * for an entry), so the two can never disagree. Keys are the data itself
 * (references, tags, filters, URLs, paths) exactly as the lock stores it:
 * a changed `${TAG}` is a different key, so the lock is then out of date.
 */
import { relative, sep } from "node:path";
import type { ChartEntry, ContentOrigin, FileEntry, ImageEntry } from "../config/normalize.js";
import { formatReference, type ImageReference } from "../core/reference.js";
import { concreteImageKey, fileEntryKey, selectionKey } from "./model.js";
import { canonicalTagFilter } from "../config/tag-filter.js";

/** The tag assumed when an image names neither tag nor digest (docker's rule). */
export const DEFAULT_TAG = "latest";

/** The reference an image entry without a filter stands for: `latest` when it names neither tag nor digest. */
export function concreteReference(reference: ImageReference): ImageReference {
  return reference.tag === undefined && reference.digest === undefined ? { ...reference, tag: DEFAULT_TAG } : reference;
}

/** The disk source an origin names, if any (registries are identified by the reference's host). */
export function originSource(origin: ContentOrigin): string | undefined {
  return origin.type === "disk" ? origin.source : undefined;
}

/** The lock key of a concrete image reference read from `origin`. */
export function imageKey(reference: ImageReference, origin: ContentOrigin): string {
  return concreteImageKey(formatReference(concreteReference(reference)), originSource(origin));
}

/** The lock key of a tag filter entry's selection. */
export function imageSelectionKey(entry: ImageEntry): string | undefined {
  if (entry.tags === undefined) return undefined;
  const { tag: _t, digest: _d, ...repository } = entry.reference;
  return selectionKey(formatReference(repository), originSource(entry.origin), canonicalTagFilter(entry.tags));
}

/** The `ref` a chart is locked under: the OCI repository (with `@digest` when pinned). */
export function ociChartRef(entry: Extract<ChartEntry, { type: "oci" }>): string {
  const { tag: _t, ...repository } = entry.reference;
  return formatReference(repository);
}

/** The lock key of a chart entry. */
export function chartKey(entry: ChartEntry): string {
  if (entry.type === "oci") return JSON.stringify(["oci", ociChartRef(entry), originSource(entry.origin) ?? "", entry.version]);
  return JSON.stringify(["helm", entry.repositoryUrl, entry.name, entry.version]);
}

/** The path of a local file as the lock writes it: relative to airgap.yaml, `/`-separated. */
export function lockFilePath(path: string, baseDir: string): string {
  const rel = relative(baseDir, path);
  return sep === "/" ? rel : rel.split(sep).join("/");
}

/** The url/path pair a file entry is locked under: the URL as written, or the path relative to airgap.yaml. */
export function fileIdentity(entry: FileEntry, baseDir: string): { readonly url?: string; readonly path?: string } {
  if (entry.url !== undefined) return { url: entry.url };
  return { path: lockFilePath(entry.path ?? "", baseDir) };
}

/** The lock key of a file entry. */
export function fileKey(entry: FileEntry, baseDir: string): string {
  return fileEntryKey(fileIdentity(entry, baseDir));
}
