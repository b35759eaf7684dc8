/**
 * How airgap.yaml entries map onto lock entries. One place, used both by the
 * resolver (to find what is already locked) and by plan (to find the facts
 * for an entry), so the two can never disagree. Keys are computed on the
 * written (redacted) form of every string, as the lock stores them.
 */
import { relative, sep } from "node:path";
import type { ChartEntry, ContentOrigin, FileEntry, ImageEntry } from "../config/normalize.js";
import { formatReference, type ImageReference } from "../core/reference.js";
import { redactUrl } from "../core/redact.js";
import type { Redactor } from "./file.js";
import { concreteImageKey, fileEntryKey, selectionKey } from "./model.js";
import { redactTagFilter } from "../config/tag-filter.js";

/** Options shared by the key functions. */
export interface LockKeyOptions {
  /** The same redaction the lock was written with (default: none). */
  readonly redact?: Redactor;
}

const identity: Redactor = (text) => text;

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

/**
 * A URL as the lock writes it: userinfo and signed query values redacted
 * (core/redact.ts), otherwise exactly as written (no added trailing `/`).
 */
export function redactLocation(url: string): string {
  let normal: string;
  try {
    normal = new URL(url).href;
  } catch {
    return url;
  }
  const redacted = redactUrl(url);
  return redacted === normal ? url : redacted;
}

/** The lock key of a concrete image reference read from `origin`. */
export function imageKey(reference: ImageReference, origin: ContentOrigin, options: LockKeyOptions = {}): string {
  const r = options.redact ?? identity;
  const source = originSource(origin);
  return concreteImageKey(r(formatReference(concreteReference(reference))), source !== undefined ? r(source) : undefined);
}

/** The lock key of a tag filter entry's selection. */
export function imageSelectionKey(entry: ImageEntry, options: LockKeyOptions = {}): string | undefined {
  if (entry.tags === undefined) return undefined;
  const r = options.redact ?? identity;
  const source = originSource(entry.origin);
  const { tag: _t, digest: _d, ...repository } = entry.reference;
  const redacted = redactTagFilter(entry.tags, r);
  return selectionKey(r(formatReference(repository)), source !== undefined ? r(source) : undefined, redacted);
}

/** The `ref` a chart is locked under: the OCI repository (with `@digest` when pinned). */
export function ociChartRef(entry: Extract<ChartEntry, { type: "oci" }>): string {
  const { tag: _t, ...repository } = entry.reference;
  return formatReference(repository);
}

/** The lock key of a chart entry. */
export function chartKey(entry: ChartEntry, options: LockKeyOptions = {}): string {
  const r = options.redact ?? identity;
  if (entry.type === "oci") {
    const source = originSource(entry.origin);
    return JSON.stringify(["oci", r(ociChartRef(entry)), source !== undefined ? r(source) : "", r(entry.version)]);
  }
  return JSON.stringify(["helm", r(redactLocation(entry.repositoryUrl)), r(entry.name), r(entry.version)]);
}

/** The path of a local file as the lock writes it: relative to airgap.yaml, `/`-separated. */
export function lockFilePath(path: string, baseDir: string): string {
  const rel = relative(baseDir, path);
  return sep === "/" ? rel : rel.split(sep).join("/");
}

/** The url/path pair a file entry is locked under (redacted). */
export function fileIdentity(entry: FileEntry, baseDir: string, options: LockKeyOptions = {}): { readonly url?: string; readonly path?: string } {
  const r = options.redact ?? identity;
  if (entry.url !== undefined) return { url: r(redactLocation(entry.url)) };
  return { path: r(lockFilePath(entry.path ?? "", baseDir)) };
}

/** The lock key of a file entry. */
export function fileKey(entry: FileEntry, baseDir: string, options: LockKeyOptions = {}): string {
  return fileEntryKey(fileIdentity(entry, baseDir, options));
}
