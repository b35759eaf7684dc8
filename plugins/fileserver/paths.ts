/**
 * File paths on a target and the names airgap adds beside them: a
 * `<file>.sha256` sidecar in `sha256sum` format (so `sha256sum -c` checks a
 * download on the far side), and hidden temp names in the same directory
 * that are moved into place.
 */
import { randomBytes } from "node:crypto";
import { FileServerError } from "./errors.js";

/** Suffix of the checksum sidecar written beside every file. */
export const SIDECAR_SUFFIX = ".sha256";

/** Marker inside temp names; listings skip names that carry it. */
const TEMP_MARKER = ".airgap-tmp-";

/**
 * Checks a target path: relative, `/`-separated, no empty, `.` or `..`
 * segments, no trailing `/`. Returns its segments.
 */
export function pathSegments(path: string): string[] {
  const segments = path.split("/");
  const bad = path === "" || path.startsWith("/") || segments.some((s) => s === "" || s === "." || s === ".." || /[\\\n\r\0]/.test(s));
  if (bad) throw new FileServerError("FILE_PATH", `"${path}" is not a file path on the target (relative, "/"-separated, without empty, "." or ".." parts)`);
  return segments;
}

/** A directory path (`""` for the root, no trailing `/`), checked like a file path. */
export function directorySegments(directory: string): string[] {
  const trimmed = directory.replace(/\/+$/, "");
  return trimmed === "" ? [] : pathSegments(trimmed);
}

/** Joins a directory and a name. */
export function joinPath(directory: string, name: string): string {
  const dir = directorySegments(directory);
  return [...dir, name].join("/");
}

/** The sidecar path of a file. */
export function sidecarPath(path: string): string {
  return `${path}${SIDECAR_SUFFIX}`;
}

/** A fresh hidden temp name beside `path` (same directory, so a move is a rename). */
export function tempPath(path: string): string {
  const segments = pathSegments(path);
  const name = segments.pop() ?? "";
  return [...segments, `.${name}${TEMP_MARKER}${randomBytes(6).toString("hex")}`].join("/");
}

/** True for names airgap writes for its own bookkeeping: sidecars and temp files. */
export function isBookkeepingName(name: string): boolean {
  return name.endsWith(SIDECAR_SUFFIX) || name.includes(TEMP_MARKER);
}

/** The sidecar's text: `sha256sum` output for the file's base name. */
export function formatSidecar(path: string, sha256: string): string {
  const name = path.split("/").pop() ?? path;
  return `${sha256}  ${name}\n`;
}

/**
 * Reads a sidecar: the sha256 it states for `path`, or undefined when the
 * text is not a `sha256sum` line for this file (another name, garbage, a
 * torn write). Accepts text and binary mode (`<hex> *<name>`) and a bare digest.
 */
export function parseSidecar(text: string, path: string): string | undefined {
  const line = text.split("\n").find((l) => l.trim() !== "");
  if (line === undefined) return undefined;
  const match = /^([a-fA-F0-9]{64})(?:\s+\*?(.+?))?\s*$/.exec(line);
  if (!match) return undefined;
  const name = path.split("/").pop() ?? path;
  if (match[2] !== undefined && match[2] !== name) return undefined;
  return (match[1] ?? "").toLowerCase();
}
