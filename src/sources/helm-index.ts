/**
 * A classic Helm repository's `index.yaml` (providers-notes §5.2/§5.3):
 * `entries.<chart>` lists versions, each with `urls` (absolute, or relative
 * to the repository URL) and usually a `digest` (hex sha256 of the .tgz).
 */
import { parse } from "yaml";
import type { BasicCredentials } from "../config/normalize.js";
import { redactUrl } from "../core/redact.js";
import type { CallOptions } from "../oci/content.js";
import { ResolveError } from "./errors.js";
import type { HttpFetcher } from "./http-fetch.js";

/** One version of a chart as the index lists it. */
export interface HelmIndexVersion {
  readonly version: string;
  /** Download URLs as written (the first is used). */
  readonly urls: readonly string[];
  /** Hex sha256 of the .tgz when the index states one. */
  readonly digest?: string;
}

/** The parts of index.yaml airgap reads. */
export interface HelmIndex {
  /** Where the index was read from. */
  readonly url: string;
  readonly entries: ReadonlyMap<string, readonly HelmIndexVersion[]>;
}

/** index.yaml files of large public repositories reach tens of MiB; anything beyond this is refused. */
export const HELM_INDEX_LIMIT = 128 * 1024 * 1024;

/** Parses index.yaml text; `where` names it in errors. */
export function parseHelmIndex(text: string, url: string): HelmIndex {
  const where = redactUrl(url);
  let doc: unknown;
  try {
    // failsafe: every scalar stays the text it is, so `version: 1.10` is not the number 1.1 and a
    // digest of digits is not an integer.
    doc = parse(text, { schema: "failsafe", maxAliasCount: -1 });
  } catch (error) {
    throw new ResolveError("SOURCE_INVALID", `${where} is not valid YAML: ${(error as Error).message.split("\n")[0] ?? ""}`);
  }
  const entries = (doc as { entries?: unknown } | null)?.entries;
  if (typeof entries !== "object" || entries === null || Array.isArray(entries)) {
    throw new ResolveError("SOURCE_INVALID", `${where} is not a Helm repository index (no \`entries\` map)`);
  }
  const out = new Map<string, HelmIndexVersion[]>();
  for (const [name, list] of Object.entries(entries as Record<string, unknown>)) {
    if (!Array.isArray(list)) continue;
    const versions: HelmIndexVersion[] = [];
    for (const item of list) {
      if (typeof item !== "object" || item === null) continue;
      const o = item as Record<string, unknown>;
      const version = typeof o["version"] === "string" ? o["version"] : typeof o["version"] === "number" ? String(o["version"]) : undefined;
      const urls = Array.isArray(o["urls"]) ? o["urls"].filter((u): u is string => typeof u === "string" && u !== "") : [];
      if (version === undefined || urls.length === 0) continue;
      const digest = typeof o["digest"] === "string" ? o["digest"].replace(/^sha256:/, "").toLowerCase() : undefined;
      versions.push({ version, urls, ...(digest !== undefined && /^[a-f0-9]{64}$/.test(digest) ? { digest } : {}) });
    }
    out.set(name, versions);
  }
  return { url, entries: out };
}

/** The download URL of a chart version: its first URL, resolved against the repository URL like Helm does. */
export function chartDownloadUrl(repositoryUrl: string, version: HelmIndexVersion): string {
  return new URL(version.urls[0] ?? "", new URL(`${repositoryUrl.replace(/\/+$/, "")}/`)).href;
}

/**
 * The credentials to send with a chart download: the repository's, only to
 * the repository's own origin, as Helm does without `--pass-credentials`.
 */
export function chartDownloadCredentials(repositoryUrl: string, url: string, credentials: BasicCredentials | undefined): BasicCredentials | undefined {
  if (credentials === undefined) return undefined;
  try {
    return new URL(url).origin === new URL(repositoryUrl).origin ? credentials : undefined;
  } catch {
    return undefined;
  }
}

/** Downloads and parses `<repository>/index.yaml`, with the repository's credentials. */
export async function fetchHelmIndex(http: HttpFetcher, repositoryUrl: string, credentials: BasicCredentials | undefined, options: CallOptions = {}): Promise<HelmIndex> {
  const url = `${repositoryUrl.replace(/\/+$/, "")}/index.yaml`;
  const got = await http.text(url, HELM_INDEX_LIMIT, { ...(options.signal !== undefined ? { signal: options.signal } : {}), ...(credentials ? { credentials } : {}) });
  if (!got.found) throw new ResolveError("SOURCE_NOT_FOUND", `${redactUrl(url)} answered ${got.status}: is ${redactUrl(repositoryUrl)} a Helm chart repository?`);
  return parseHelmIndex(got.text, url);
}
