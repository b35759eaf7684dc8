/**
 * The pure part of credential lookup: which entry of a docker `config.json`
 * or containers `auth.json` applies to a registry host, matched the way
 * docker (and podman, for namespaced keys) match them.
 */
import type { Credentials } from "./credentials-types.js";

/** The docker config / auth.json key docker uses for Docker Hub (and passes to credential helpers). */
export const DOCKER_HUB_AUTH_KEY = "https://index.docker.io/v1/";

const DOCKER_HUB_ALIASES = new Set(["docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"]);

/** One entry of `auths` (`auth` is base64 `user:password`; podman and docker also accept the split form). */
export interface AuthFileEntry {
  readonly auth?: string;
  readonly username?: string;
  readonly password?: string;
  readonly identitytoken?: string;
  readonly registrytoken?: string;
}

/** The parts of a docker `config.json` (or containers `auth.json`) that hold credentials. */
export interface AuthFile {
  readonly auths?: Readonly<Record<string, AuthFileEntry>>;
  readonly credHelpers?: Readonly<Record<string, string>>;
  readonly credsStore?: string;
}

/** Normalises a registry host for comparison: lowercase, Docker Hub aliases folded to `docker.io`. */
export function normalizeRegistryHost(host: string): string {
  const lower = host.trim().toLowerCase();
  return DOCKER_HUB_ALIASES.has(lower) ? "docker.io" : lower;
}

/**
 * Splits an `auths` key into host and namespace. Keys with a scheme
 * (`https://index.docker.io/v1/`, `http://host:5000/v2/`) are docker's: the
 * path is an API path and is ignored. Keys without one may name a namespace
 * (`quay.io/team`, containers-auth.json(5)).
 */
export function parseAuthKey(key: string): { readonly host: string; readonly namespace: string } {
  const text = key.trim();
  const schemeMatch = /^[a-z][a-z0-9+.-]*:\/\//i.exec(text);
  if (schemeMatch) {
    const rest = text.slice(schemeMatch[0].length);
    const slash = rest.indexOf("/");
    return { host: normalizeRegistryHost(slash < 0 ? rest : rest.slice(0, slash)), namespace: "" };
  }
  const slash = text.indexOf("/");
  if (slash < 0) return { host: normalizeRegistryHost(text), namespace: "" };
  return { host: normalizeRegistryHost(text.slice(0, slash)), namespace: text.slice(slash + 1).replace(/\/+$/, "") };
}

/** The server string docker passes to a credential helper for a host (`https://index.docker.io/v1/` for Docker Hub). */
export function helperServerUrl(host: string): string {
  return normalizeRegistryHost(host) === "docker.io" ? DOCKER_HUB_AUTH_KEY : host;
}

/**
 * Finds the key of a map (`auths` or `credHelpers`) that applies to a host
 * and optional repository: the host must match; a namespaced key applies to
 * repositories under it, and the longest namespace wins.
 */
export function matchAuthKey(keys: Iterable<string>, host: string, repository?: string): string | undefined {
  const wanted = normalizeRegistryHost(host);
  let best: { key: string; length: number } | undefined;
  for (const key of keys) {
    const parsed = parseAuthKey(key);
    if (parsed.host !== wanted) continue;
    if (parsed.namespace !== "") {
      if (repository === undefined || !(repository === parsed.namespace || repository.startsWith(`${parsed.namespace}/`))) continue;
    }
    const length = parsed.namespace.length;
    if (best === undefined || length > best.length) best = { key, length };
  }
  return best?.key;
}

/** The outcome of decoding an `auths` entry. */
export type DecodedAuthEntry =
  | { readonly kind: "credentials"; readonly credentials: Credentials }
  /** The entry is a placeholder (`{}`): docker keeps those when a credsStore holds the secret. */
  | { readonly kind: "empty" }
  | { readonly kind: "invalid"; readonly reason: string };

/** Decodes an `auths` entry: `auth` (base64 `user:password`), split `username`/`password`, or an identity token. */
export function decodeAuthEntry(entry: AuthFileEntry): DecodedAuthEntry {
  if (entry.identitytoken !== undefined && entry.identitytoken !== "") {
    return { kind: "credentials", credentials: { identityToken: entry.identitytoken, ...(entry.username ? { username: entry.username } : {}) } };
  }
  if (entry.auth !== undefined && entry.auth !== "") {
    const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon <= 0) return { kind: "invalid", reason: "its \"auth\" value is not base64 of user:password" };
    return { kind: "credentials", credentials: { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) } };
  }
  if (entry.username !== undefined && entry.username !== "" && entry.password !== undefined) {
    return { kind: "credentials", credentials: { username: entry.username, password: entry.password } };
  }
  return { kind: "empty" };
}
