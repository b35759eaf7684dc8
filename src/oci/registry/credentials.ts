/**
 * Credential lookup for a registry host, from the places users already keep
 * them: explicit settings, containers `auth.json` (podman, skopeo, buildah)
 * and docker's `config.json` with its credential helpers. Lookups are lazy
 * and cached; secrets are never logged.
 */
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import type { Logger } from "../../core/logger.js";
import { silentLogger } from "../../core/logger.js";
import { decodeAuthEntry, helperServerUrl, matchAuthKey, type AuthFile } from "./auth-files.js";
import { CredentialsError, runCredentialHelper } from "./credential-helper.js";
import type { Credentials, CredentialsProvider } from "./credentials-types.js";

export { CredentialsError } from "./credential-helper.js";

/** Where to look; defaults are the real process environment and home directory. */
export interface CredentialLookupOptions {
  /** Environment to read `DOCKER_CONFIG`, `REGISTRY_AUTH_FILE`, `XDG_RUNTIME_DIR`, `HOME` and `PATH` (for helpers) from. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Home directory for `~/.docker/config.json`. */
  readonly homeDir?: string;
  readonly logger?: Logger;
}

/** Result of a lookup: credentials and where they came from (never the secret), or every place searched. */
export type CredentialLookupResult =
  | { readonly found: true; readonly credentials: Credentials; readonly source: string }
  | { readonly found: false; readonly searched: readonly string[] };

interface AuthFileLocation {
  readonly path: string;
  readonly kind: "containers" | "docker";
}

/**
 * The auth files to consult, in order: `$REGISTRY_AUTH_FILE`, then
 * `$XDG_RUNTIME_DIR/containers/auth.json` (podman's order: containers files
 * before docker's), then `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`.
 */
export function authFileLocations(options: CredentialLookupOptions = {}): AuthFileLocation[] {
  const env = options.env ?? process.env;
  const out: AuthFileLocation[] = [];
  if (env.REGISTRY_AUTH_FILE) out.push({ path: env.REGISTRY_AUTH_FILE, kind: "containers" });
  if (env.XDG_RUNTIME_DIR) out.push({ path: join(env.XDG_RUNTIME_DIR, "containers", "auth.json"), kind: "containers" });
  const home = options.homeDir ?? env.HOME ?? homedir();
  out.push({ path: env.DOCKER_CONFIG ? join(env.DOCKER_CONFIG, "config.json") : join(home, ".docker", "config.json"), kind: "docker" });
  return out;
}

async function readAuthFile(path: string): Promise<AuthFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw new CredentialsError(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  if (text.trim() === "") return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CredentialsError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new CredentialsError(`${path} is not a JSON object`);
  return json as AuthFile;
}

/**
 * Looks up the credentials of one file for a host: `credHelpers` for the
 * host first (docker's order), then an `auths` entry holding a secret, then
 * the `credsStore` helper.
 */
async function lookupInFile(
  file: AuthFile,
  path: string,
  label: string,
  host: string,
  repository: string | undefined,
  options: CredentialLookupOptions,
): Promise<{ credentials: Credentials; source: string } | undefined> {
  const env = options.env ?? process.env;
  const helpers = file.credHelpers ?? {};
  const helperKey = matchAuthKey(Object.keys(helpers), host, repository);
  if (helperKey !== undefined) {
    const helper = helpers[helperKey];
    if (helper !== undefined && helper !== "") {
      const credentials = await runCredentialHelper(helper, helperServerUrl(host), { env, configuredIn: `${path} credHelpers["${helperKey}"]` });
      return credentials === undefined ? undefined : { credentials, source: `credential helper docker-credential-${helper} (${label})` };
    }
  }
  const auths = file.auths ?? {};
  const authKey = matchAuthKey(Object.keys(auths), host, repository);
  if (authKey !== undefined) {
    const entry = auths[authKey];
    const decoded = entry === undefined ? { kind: "empty" as const } : decodeAuthEntry(entry);
    if (decoded.kind === "invalid") throw new CredentialsError(`${path}: the entry for "${authKey}" is unusable: ${decoded.reason}`);
    if (decoded.kind === "credentials") return { credentials: decoded.credentials, source: `${label} auths["${authKey}"]` };
  }
  if (file.credsStore !== undefined && file.credsStore !== "") {
    const credentials = await runCredentialHelper(file.credsStore, helperServerUrl(host), { env, configuredIn: `${path} credsStore` });
    if (credentials !== undefined) return { credentials, source: `credential helper docker-credential-${file.credsStore} (${label})` };
  }
  return undefined;
}

/**
 * Finds credentials for a registry host (`registry.example.com:5000`,
 * `docker.io`) in the user's auth files. Absence is a result listing the
 * places searched; a broken file or helper is a {@link CredentialsError}.
 */
export async function lookupCredentials(host: string, options: CredentialLookupOptions & { readonly repository?: string } = {}): Promise<CredentialLookupResult> {
  const searched: string[] = [];
  for (const location of authFileLocations(options)) {
    const file = await readAuthFile(location.path);
    searched.push(location.path);
    if (file === undefined) continue;
    const label = location.kind === "docker" ? `docker config ${location.path}` : `containers auth file ${location.path}`;
    const hit = await lookupInFile(file, location.path, label, host, options.repository, options);
    if (hit !== undefined) {
      (options.logger ?? silentLogger).log("debug", "registry credentials found", { registry: host, source: hit.source });
      // The origin travels with the credentials, so a refusal can say which ones were tried.
      return { found: true, credentials: { ...hit.credentials, origin: hit.source }, source: hit.source };
    }
  }
  return { found: false, searched };
}

/**
 * A provider that consults the auth files once per host (and repository
 * namespace) and caches the answer for the life of the process, so helpers
 * are not run for every request.
 */
export function environmentCredentials(options: CredentialLookupOptions = {}): CredentialsProvider {
  const cache = new Map<string, Promise<Credentials | undefined>>();
  return (registry, repository) => {
    const key = `${registry}\u0000${repository ?? ""}`;
    let pending = cache.get(key);
    if (pending === undefined) {
      pending = lookupCredentials(registry, { ...options, ...(repository !== undefined ? { repository } : {}) }).then((r) => (r.found ? r.credentials : undefined));
      cache.set(key, pending);
      pending.catch(() => cache.delete(key));
    }
    return pending;
  };
}

/**
 * A provider that always answers the same credentials (explicit settings
 * from airgap.yaml); `origin` names where they were written, for messages.
 */
export function staticCredentials(credentials: Credentials | undefined, origin?: string): CredentialsProvider {
  const answer = credentials !== undefined && origin !== undefined && credentials.origin === undefined ? { ...credentials, origin } : credentials;
  return () => Promise.resolve(answer);
}

/** No credentials: every request is anonymous. */
export const anonymousCredentials: CredentialsProvider = () => Promise.resolve(undefined);

/**
 * Explicit caller credentials win; with none, the user's auth files are
 * consulted (docker's behaviour for a registry that is not configured).
 */
export function credentialsWithFallback(explicit: Credentials | undefined, options: CredentialLookupOptions = {}): CredentialsProvider {
  if (explicit !== undefined) return staticCredentials(explicit);
  return environmentCredentials(options);
}
