/**
 * The credentials provider: an airgap.yaml `credentials` block turned into
 * what goes on the wire, for source registries, target registries
 * (providers/credentials.ts) and helm/http sources alike. The one place
 * that calls {@link Secret.reveal}: a password or token leaves its Secret
 * only here, on its way into an Authorization header.
 *
 * A registry block gives, in this order of precedence: a `token` (identity
 * token); a `username`/`password` (an empty username, e.g. `${USER:-}`
 * unset, means anonymous); a credential `helper`; `dockerConfig: false`
 * (anonymous) or a file path (that auth file only); else the user's docker
 * and containers auth files for the host.
 */
import type { BasicCredentials } from "../config/normalize.js";
import type { Credentials } from "../config/generated/airgap-config.js";
import type { Secret } from "../core/secret.js";
import { canonicalRegistryHost } from "../core/reference.js";
import { anonymousCredentials, environmentCredentials, staticCredentials, type CredentialLookupOptions, type CredentialsProvider } from "../oci/registry/index.js";
import { helperServerUrl } from "../oci/registry/auth-files.js";
import { runCredentialHelper } from "../oci/registry/credential-helper.js";

/** Where a block's credentials are used. */
export interface RegistryCredentialsOptions {
  /** The registry host the block is for; without it, the host the client asks about. */
  readonly host?: string;
  /** Where the user's auth files are looked up (environment, home). */
  readonly lookup: CredentialLookupOptions;
  /** Where the block is in airgap.yaml, for messages (`sources.quay.credentials`). */
  readonly configuredIn: string;
}

/** The credentials provider of a registry's `credentials` block (see the module comment). */
export function registryCredentials(block: Credentials | undefined, options: RegistryCredentialsOptions): CredentialsProvider {
  const hostOf = (registry: string): string => canonicalRegistryHost(options.host ?? registry);
  const fromFiles = (lookup: CredentialLookupOptions): CredentialsProvider => {
    const provider = environmentCredentials(lookup);
    return (registry, repository) => provider(hostOf(registry), repository);
  };
  if (block === undefined) return fromFiles(options.lookup);
  if (block.token !== undefined && !block.token.empty) {
    return staticCredentials({ identityToken: block.token.reveal(), ...(block.username ? { username: block.username } : {}) }, "airgap.yaml");
  }
  if (block.username !== undefined || block.password !== undefined) {
    return block.username ? staticCredentials({ username: block.username, password: block.password?.reveal() ?? "" }, "airgap.yaml") : anonymousCredentials;
  }
  if (block.helper !== undefined) {
    const helper = block.helper;
    const pending = new Map<string, ReturnType<CredentialsProvider>>();
    return (registry) => {
      const host = hostOf(registry);
      let answer = pending.get(host);
      if (answer === undefined) {
        answer = runCredentialHelper(helper, helperServerUrl(host), { configuredIn: `${options.configuredIn}.helper`, ...(options.lookup.env !== undefined ? { env: options.lookup.env } : {}) }).then((found) =>
          found === undefined ? undefined : { ...found, origin: `credential helper docker-credential-${helper} (airgap.yaml)` },
        );
        pending.set(host, answer);
      }
      return answer;
    };
  }
  if (block.dockerConfig === false) return anonymousCredentials;
  if (typeof block.dockerConfig === "string") return fromFiles({ ...options.lookup, env: { ...(options.lookup.env ?? process.env), REGISTRY_AUTH_FILE: block.dockerConfig } });
  return fromFiles(options.lookup);
}

/**
 * The `Authorization` header for a plain HTTP server (a file server, a Helm
 * repository) from a credentials block: `Bearer <token>` or Basic with the
 * username and password; undefined without credentials. Plugins get it
 * through the sdk, so they never reveal a secret themselves.
 */
export function httpAuthorization(block: { readonly username?: string; readonly password?: Secret; readonly token?: Secret } | undefined): string | undefined {
  if (block?.token !== undefined && !block.token.empty) return `Bearer ${block.token.reveal()}`;
  if (block?.username) return `Basic ${Buffer.from(`${block.username}:${block.password?.reveal() ?? ""}`).toString("base64")}`;
  return undefined;
}

/** The `Authorization` header value for HTTP Basic auth with a helm/http source's credentials. */
export function basicAuthorization(credentials: BasicCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password.reveal()}`).toString("base64")}`;
}
