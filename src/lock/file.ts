/**
 * airgap.lock on disk: JSON with 2-space indentation and a trailing newline,
 *
 *     { "lockVersion": 1, "generated": "<ISO time>", "images": [...], "charts": [...], "files": [...] }
 *
 * Deterministic: entries sorted by key (lock-model.ts), object fields in a
 * fixed order, no time except `generated`. Every string is written exactly
 * as resolved: the lock holds references, digests, tags, URLs and paths,
 * which are data, and no secret field ever reaches it.
 * {@link writeLockFile} keeps the previous `generated` when nothing else
 * changed, so a rerun with nothing new upstream leaves the file
 * byte-identical (and does not touch it), and never replaces a lock written
 * by a newer airgap. {@link parseLockFile} refuses a truncated file, a newer
 * `lockVersion` and any entry of the wrong shape, each with a message that
 * says what to do.
 */
import { readFile } from "node:fs/promises";
import { writeFileAtomic } from "../fs/atomic-file.js";
import { isDigest } from "../core/digest.js";
import { LockFileError } from "./errors.js";
import {
  chartEntryKey,
  fileEntryKey,
  imageEntryKey,
  isTagSelection,
  LOCK_VERSION,
  sortLock,
  type AirgapLock,
  type LockedChart,
  type LockedChildManifest,
  type LockedFile,
  type LockedImageEntry,
  type LockedManifest,
  type LockedReferrer,
} from "./model.js";
import { canonicalTagFilter, type CanonicalTagFilter } from "../config/tag-filter.js";

function manifestFields(m: LockedManifest): LockedManifest {
  return { digest: m.digest, mediaType: m.mediaType, size: m.size, ...(m.contentSize !== undefined ? { contentSize: m.contentSize } : {}) };
}

function imageFields(entry: LockedImageEntry): LockedImageEntry {
  const head = { ref: entry.ref, ...(entry.source !== undefined ? { source: entry.source } : {}) };
  if (isTagSelection(entry)) return { ...head, filter: canonicalTagFilter(entry.filter), selected: [...entry.selected] };
  return {
    ...head,
    ...manifestFields(entry),
    ...(entry.manifests !== undefined ? { manifests: entry.manifests.map((m): LockedChildManifest => ({ ...(m.platform !== undefined ? { platform: m.platform } : {}), ...manifestFields(m) })) } : {}),
    ...(entry.referrers !== undefined ? { referrers: sortReferrers(entry.referrers).map(referrerFields) } : {}),
    ...(entry.imgpkgImages !== undefined
      ? { imgpkgImages: entry.imgpkgImages.map((m) => ({ ref: m.ref, ...manifestFields(m), ...(m.manifests !== undefined ? { manifests: m.manifests.map((c): LockedChildManifest => ({ ...(c.platform !== undefined ? { platform: c.platform } : {}), ...manifestFields(c) })) } : {}) })) }
      : {}),
    ...(entry.referrerTypes !== undefined ? { referrerTypes: [...entry.referrerTypes].sort() } : {}),
  };
}

function referrerFields(r: LockedReferrer): LockedReferrer {
  return { ...manifestFields(r), ...(r.artifactType !== undefined ? { artifactType: r.artifactType } : {}), ...(r.tag !== undefined ? { tag: r.tag } : {}), ...(r.subject !== undefined ? { subject: r.subject } : {}) };
}

/** Referrers in a fixed order: by digest, then cosign tag. */
function sortReferrers(list: readonly LockedReferrer[]): LockedReferrer[] {
  const key = (r: LockedReferrer) => `${r.digest} ${r.tag ?? ""}`;
  return [...list].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function chartFields(entry: LockedChart): LockedChart {
  if (entry.type === "oci") {
    return {
      type: "oci",
      ref: entry.ref,
      ...(entry.source !== undefined ? { source: entry.source } : {}),
      version: entry.version,
      ...(entry.resolvedVersion !== undefined ? { resolvedVersion: entry.resolvedVersion } : {}),
      ...manifestFields(entry),
    };
  }
  return { type: "helm", repository: entry.repository, name: entry.name, version: entry.version, resolvedVersion: entry.resolvedVersion, url: entry.url, sha256: entry.sha256, size: entry.size };
}

function fileFields(entry: LockedFile): LockedFile {
  return { ...(entry.url !== undefined ? { url: entry.url } : {}), ...(entry.path !== undefined ? { path: entry.path } : {}), sha256: entry.sha256, size: entry.size };
}

/** The lock with fields in the written order and lists sorted by key: exactly what {@link serializeLock} writes. */
export function canonicalLock(lock: AirgapLock): AirgapLock {
  return sortLock({
    lockVersion: LOCK_VERSION,
    generated: lock.generated,
    images: lock.images.map(imageFields),
    charts: lock.charts.map(chartFields),
    files: lock.files.map(fileFields),
  });
}

/** The file content: canonical JSON, 2-space indentation, trailing newline. */
export function serializeLock(lock: AirgapLock): string {
  return `${JSON.stringify(canonicalLock(lock), null, 2)}\n`;
}

/** True when two locks record the same facts (`generated` ignored). */
export function sameLockContent(a: AirgapLock, b: AirgapLock): boolean {
  return serializeLock({ ...a, generated: "" }) === serializeLock({ ...b, generated: "" });
}

// ---------------------------------------------------------------- reading

const FIX = "restore it from version control, or delete it and run `airgap lock` to resolve everything again";

class ShapeChecker {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  fail(where: string, message: string): never {
    throw new LockFileError("LOCK_INVALID", this.path, `${where} ${message}; ${FIX}`);
  }

  object(value: unknown, where: string): Record<string, unknown> {
    if (typeof value !== "object" || value === null || Array.isArray(value)) this.fail(where, "must be an object");
    return value as Record<string, unknown>;
  }

  array(value: unknown, where: string): unknown[] {
    if (!Array.isArray(value)) this.fail(where, "must be a list");
    return value;
  }

  string(o: Record<string, unknown>, key: string, where: string): string {
    const v = o[key];
    if (typeof v !== "string" || v === "") this.fail(`${where}.${key}`, "must be a non-empty string");
    return v;
  }

  optionalString(o: Record<string, unknown>, key: string, where: string): string | undefined {
    return o[key] === undefined ? undefined : this.string(o, key, where);
  }

  size(o: Record<string, unknown>, key: string, where: string): number {
    const v = o[key];
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) this.fail(`${where}.${key}`, "must be a whole number of bytes");
    return v;
  }

  optionalSize(o: Record<string, unknown>, key: string, where: string): number | undefined {
    return o[key] === undefined ? undefined : this.size(o, key, where);
  }

  digest(o: Record<string, unknown>, key: string, where: string): string {
    const v = this.string(o, key, where);
    if (!isDigest(v)) this.fail(`${where}.${key}`, `is not a digest ("${v}")`);
    return v;
  }

  sha256(o: Record<string, unknown>, key: string, where: string): string {
    const v = this.string(o, key, where);
    if (!/^[a-f0-9]{64}$/.test(v)) this.fail(`${where}.${key}`, "must be 64 lowercase hex digits");
    return v;
  }

  known(o: Record<string, unknown>, keys: readonly string[], where: string): void {
    const extra = Object.keys(o).filter((k) => !keys.includes(k));
    if (extra.length > 0) this.fail(where, `has unknown field${extra.length > 1 ? "s" : ""} ${extra.map((k) => `"${k}"`).join(", ")}`);
  }
}

const MANIFEST_KEYS = ["digest", "mediaType", "size", "contentSize"];

function manifestOf(c: ShapeChecker, o: Record<string, unknown>, where: string): LockedManifest {
  const contentSize = c.optionalSize(o, "contentSize", where);
  return { digest: c.digest(o, "digest", where), mediaType: c.string(o, "mediaType", where), size: c.size(o, "size", where), ...(contentSize !== undefined ? { contentSize } : {}) };
}

function filterOf(c: ShapeChecker, value: unknown, where: string): CanonicalTagFilter {
  const o = c.object(value, where);
  c.known(o, ["exclude", "glob", "list", "newest", "regex", "semver"], where);
  const list = o["list"] === undefined ? undefined : c.array(o["list"], `${where}.list`).map((t, i) => (typeof t === "string" && t !== "" ? t : c.fail(`${where}.list[${i}]`, "must be a tag")));
  const newest = o["newest"];
  if (newest !== undefined && (typeof newest !== "number" || !Number.isSafeInteger(newest) || newest < 1)) c.fail(`${where}.newest`, "must be a positive whole number");
  const text = (key: string): Record<string, string> => {
    const v = c.optionalString(o, key, where);
    return v !== undefined ? { [key]: v } : {};
  };
  return canonicalTagFilter({ ...text("exclude"), ...text("glob"), ...(list !== undefined ? { list } : {}), ...(newest !== undefined ? { newest } : {}), ...text("regex"), ...text("semver") });
}

function imageOf(c: ShapeChecker, value: unknown, where: string): LockedImageEntry {
  const o = c.object(value, where);
  const ref = c.string(o, "ref", where);
  const source = c.optionalString(o, "source", where);
  const head = { ref, ...(source !== undefined ? { source } : {}) };
  if (o["filter"] !== undefined) {
    c.known(o, ["ref", "source", "filter", "selected"], where);
    const selected = c.array(o["selected"], `${where}.selected`).map((t, i) => (typeof t === "string" && t !== "" ? t : c.fail(`${where}.selected[${i}]`, "must be a tag")));
    return { ...head, filter: filterOf(c, o["filter"], `${where}.filter`), selected };
  }
  c.known(o, ["ref", "source", ...MANIFEST_KEYS, "manifests", "referrers", "referrerTypes", "imgpkgImages"], where);
  const manifests =
    o["manifests"] === undefined
      ? undefined
      : c.array(o["manifests"], `${where}.manifests`).map((m, i): LockedChildManifest => {
          const at = `${where}.manifests[${i}]`;
          const child = c.object(m, at);
          c.known(child, ["platform", ...MANIFEST_KEYS], at);
          const platform = c.optionalString(child, "platform", at);
          return { ...(platform !== undefined ? { platform } : {}), ...manifestOf(c, child, at) };
        });
  const referrers =
    o["referrers"] === undefined
      ? undefined
      : c.array(o["referrers"], `${where}.referrers`).map((r, i): LockedReferrer => {
          const at = `${where}.referrers[${i}]`;
          const entry = c.object(r, at);
          c.known(entry, [...MANIFEST_KEYS, "artifactType", "tag", "subject"], at);
          const artifactType = c.optionalString(entry, "artifactType", at);
          const tag = c.optionalString(entry, "tag", at);
          const subject = entry["subject"] === undefined ? undefined : c.digest(entry, "subject", at);
          return { ...manifestOf(c, entry, at), ...(artifactType !== undefined ? { artifactType } : {}), ...(tag !== undefined ? { tag } : {}), ...(subject !== undefined ? { subject } : {}) };
        });
  const imgpkgImages =
    o["imgpkgImages"] === undefined
      ? undefined
      : c.array(o["imgpkgImages"], `${where}.imgpkgImages`).map((m, i) => {
          const at = `${where}.imgpkgImages[${i}]`;
          const entry = c.object(m, at);
          c.known(entry, ["ref", ...MANIFEST_KEYS, "manifests"], at);
          const children =
            entry["manifests"] === undefined
              ? undefined
              : c.array(entry["manifests"], `${at}.manifests`).map((x, j): LockedChildManifest => {
                  const child = c.object(x, `${at}.manifests[${j}]`);
                  c.known(child, ["platform", ...MANIFEST_KEYS], `${at}.manifests[${j}]`);
                  const platform = c.optionalString(child, "platform", `${at}.manifests[${j}]`);
                  return { ...(platform !== undefined ? { platform } : {}), ...manifestOf(c, child, `${at}.manifests[${j}]`) };
                });
          return { ref: c.string(entry, "ref", at), ...manifestOf(c, entry, at), ...(children !== undefined ? { manifests: children } : {}) };
        });
  const referrerTypes =
    o["referrerTypes"] === undefined ? undefined : c.array(o["referrerTypes"], `${where}.referrerTypes`).map((t, i) => (typeof t === "string" && t !== "" ? t : c.fail(`${where}.referrerTypes[${i}]`, "must be an artifact type")));
  return { ...head, ...manifestOf(c, o, where), ...(manifests !== undefined ? { manifests } : {}), ...(referrers !== undefined ? { referrers } : {}), ...(referrerTypes !== undefined ? { referrerTypes } : {}), ...(imgpkgImages !== undefined ? { imgpkgImages } : {}) };
}

function chartOf(c: ShapeChecker, value: unknown, where: string): LockedChart {
  const o = c.object(value, where);
  const type = o["type"];
  if (type === "oci") {
    c.known(o, ["type", "ref", "source", "version", "resolvedVersion", ...MANIFEST_KEYS], where);
    const source = c.optionalString(o, "source", where);
    const resolvedVersion = c.optionalString(o, "resolvedVersion", where);
    const version = o["version"];
    if (typeof version !== "string") c.fail(`${where}.version`, "must be a string");
    return {
      type,
      ref: c.string(o, "ref", where),
      ...(source !== undefined ? { source } : {}),
      version,
      ...(resolvedVersion !== undefined ? { resolvedVersion } : {}),
      ...manifestOf(c, o, where),
    };
  }
  if (type === "helm") {
    c.known(o, ["type", "repository", "name", "version", "resolvedVersion", "url", "sha256", "size"], where);
    return {
      type,
      repository: c.string(o, "repository", where),
      name: c.string(o, "name", where),
      version: c.string(o, "version", where),
      resolvedVersion: c.string(o, "resolvedVersion", where),
      url: c.string(o, "url", where),
      sha256: c.sha256(o, "sha256", where),
      size: c.size(o, "size", where),
    };
  }
  return c.fail(`${where}.type`, `must be "oci" or "helm"`);
}

function fileOf(c: ShapeChecker, value: unknown, where: string): LockedFile {
  const o = c.object(value, where);
  c.known(o, ["url", "path", "sha256", "size"], where);
  const url = c.optionalString(o, "url", where);
  const path = c.optionalString(o, "path", where);
  if ((url === undefined) === (path === undefined)) c.fail(where, "needs exactly one of url and path");
  return { ...(url !== undefined ? { url } : {}), ...(path !== undefined ? { path } : {}), sha256: c.sha256(o, "sha256", where), size: c.size(o, "size", where) };
}

function noDuplicates<T>(c: ShapeChecker, entries: readonly T[], key: (e: T) => string, list: string): void {
  const seen = new Map<string, number>();
  entries.forEach((entry, i) => {
    const k = key(entry);
    const first = seen.get(k);
    if (first !== undefined) c.fail(`${list}[${i}]`, `repeats ${list}[${first}] (a bad merge?)`);
    seen.set(k, i);
  });
}

/**
 * Parses and validates lock file text. `name` is used in messages
 * (`airgap.lock`). Throws {@link LockFileError}: LOCK_INVALID for a
 * truncated or malformed file, LOCK_VERSION for a newer format.
 */
export function parseLockFile(text: string, name = "airgap.lock"): AirgapLock {
  const c = new ShapeChecker(name);
  if (text.trim() === "") throw new LockFileError("LOCK_INVALID", name, `the file is empty (truncated?); ${FIX}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const hint = /^(<{7}|={7}|>{7})/m.test(text) ? "it has merge conflict markers" : "it may be truncated";
    throw new LockFileError("LOCK_INVALID", name, `not valid JSON (${(error as Error).message}): ${hint}; ${FIX}`, { cause: error });
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new LockFileError("LOCK_INVALID", name, `not an airgap lock file (expected a JSON object with "lockVersion"); ${FIX}`);
  const o = json as Record<string, unknown>;
  const version = o["lockVersion"];
  if (version === undefined) throw new LockFileError("LOCK_INVALID", name, `not an airgap lock file (no "lockVersion"); ${FIX}`);
  if (typeof version !== "number" || !Number.isSafeInteger(version) || version < 1) {
    throw new LockFileError("LOCK_VERSION", name, `"lockVersion" must be a positive whole number, got ${JSON.stringify(version)}; ${FIX}`);
  }
  if (version > LOCK_VERSION) {
    throw new LockFileError(
      "LOCK_VERSION",
      name,
      `was written by a newer airgap (lockVersion ${version}); this airgap reads lockVersion ${LOCK_VERSION}: upgrade airgap, or delete the file and run \`airgap lock\` to write it in this version's format`,
    );
  }
  c.known(o, ["lockVersion", "generated", "images", "charts", "files"], "the top level");
  const generated = c.string(o, "generated", "the top level");
  if (Number.isNaN(Date.parse(generated))) c.fail("generated", `is not an ISO 8601 time ("${generated}")`);
  const images = c.array(o["images"], "images").map((e, i) => imageOf(c, e, `images[${i}]`));
  const charts = c.array(o["charts"], "charts").map((e, i) => chartOf(c, e, `charts[${i}]`));
  const files = c.array(o["files"], "files").map((e, i) => fileOf(c, e, `files[${i}]`));
  noDuplicates(c, images, imageEntryKey, "images");
  noDuplicates(c, charts, chartEntryKey, "charts");
  noDuplicates(c, files, fileEntryKey, "files");
  return { lockVersion: LOCK_VERSION, generated, images, charts, files };
}

/** Reading a lock file: found (parsed and valid), or absent. */
export type LockFileReadResult = { readonly found: true; readonly lock: AirgapLock; readonly text: string } | { readonly found: false };

/**
 * Reads and validates the lock at `path`. An absent file is a result (the
 * first `airgap lock`); an unreadable or invalid one is a {@link LockFileError}.
 */
export async function readLockFile(path: string, name: string = path): Promise<LockFileReadResult> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { found: false };
    throw new LockFileError("LOCK_READ", name, `cannot be read: ${(error as Error).message}`, { cause: error });
  }
  return { found: true, lock: parseLockFile(text, name), text };
}

/** What {@link writeLockFile} did. */
export interface LockWriteResult {
  /** False when the file already held exactly this content (it was not touched). */
  readonly changed: boolean;
  /** The lock as written (sorted, with the `generated` that was kept or set). */
  readonly lock: AirgapLock;
  readonly text: string;
}

/**
 * Writes the lock atomically. When the file already records the same facts,
 * its `generated` is kept, the content is byte-identical and the file is not
 * rewritten. An existing file that cannot be parsed is replaced; one written
 * by a newer airgap (LOCK_VERSION) is refused with that error, never
 * overwritten: this airgap cannot know what it would lose.
 */
export async function writeLockFile(path: string, lock: AirgapLock): Promise<LockWriteResult> {
  let previous: { lock: AirgapLock; text: string } | undefined;
  try {
    const read = await readLockFile(path);
    if (read.found) previous = read;
  } catch (error) {
    if (error instanceof LockFileError && error.code === "LOCK_VERSION") throw error;
    previous = undefined; // a broken lock is replaced by the one just resolved
  }
  let next = canonicalLock(lock);
  if (previous !== undefined && sameLockContent(previous.lock, next)) next = { ...next, generated: previous.lock.generated };
  const text = serializeLock(next);
  if (previous?.text === text) return { changed: false, lock: next, text };
  await writeFileAtomic(path, text);
  return { changed: true, lock: next, text };
}
