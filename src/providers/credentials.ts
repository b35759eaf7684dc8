/**
 * airgap.yaml's `credentials` and `tls` blocks turned into what the registry
 * client takes. One place, used for sources and targets alike.
 */
import { dirname } from "node:path";
import { anonymousCredentials, environmentCredentials, staticCredentials, type CredentialsProvider, type TlsPolicy } from "../oci/registry/index.js";
import { runCredentialHelper } from "../oci/registry/credential-helper.js";
import type { CredentialSettings, TlsSettings } from "../sdk/provider.js";

/**
 * The credentials provider for a block: explicit username/password or token;
 * a named credential helper; a docker config file; or, with no block at all,
 * the user's docker / containers auth files. An empty username (e.g.
 * `${USER:-}` unset) means anonymous.
 */
export function credentialsFor(settings: CredentialSettings | undefined, env: Readonly<Record<string, string | undefined>> = process.env): CredentialsProvider {
  if (settings === undefined) return environmentCredentials({ env });
  if (settings.token) return staticCredentials({ identityToken: settings.token, ...(settings.username ? { username: settings.username } : {}) }, "airgap.yaml");
  if (settings.username !== undefined) {
    return settings.username === "" ? anonymousCredentials : staticCredentials({ username: settings.username, password: settings.password ?? "" }, "airgap.yaml");
  }
  if (settings.helper !== undefined) {
    const helper = settings.helper;
    return async (registry) => {
      const found = await runCredentialHelper(helper, registry, { env, configuredIn: "airgap.yaml" });
      return found === undefined ? undefined : { ...found, origin: `credential helper docker-credential-${helper} (airgap.yaml)` };
    };
  }
  if (typeof settings.dockerConfig === "string") return environmentCredentials({ env: { ...env, DOCKER_CONFIG: dirname(settings.dockerConfig), REGISTRY_AUTH_FILE: undefined, XDG_RUNTIME_DIR: undefined } });
  return environmentCredentials({ env });
}

/** The TLS policy for a block (client certificates are not supported by the client yet and are ignored here). */
export function tlsFor(settings: TlsSettings | undefined): TlsPolicy | undefined {
  if (!settings) return undefined;
  return {
    ...(settings.caFile !== undefined ? { caFile: settings.caFile } : {}),
    ...(settings.insecureSkipVerify !== undefined ? { insecureSkipVerify: settings.insecureSkipVerify } : {}),
  };
}
