/**
 * airgap.yaml's `credentials` and `tls` blocks of a target registry turned
 * into what the registry client takes. The credentials provider itself is
 * the one sources use (sources/credentials.ts), so a block means the same
 * on both sides of a copy, and secrets are revealed in one place only.
 */
import type { CredentialsProvider, TlsPolicy } from "../oci/registry/index.js";
import { registryCredentials } from "../sources/credentials.js";
import type { CredentialSettings, TlsSettings } from "../sdk/provider.js";

/**
 * The credentials provider for a target's block (see sources/credentials.ts):
 * token, username/password (an empty username means anonymous), helper,
 * docker config file; with no block, the user's docker / containers auth
 * files for the host the client asks about.
 */
export function credentialsFor(settings: CredentialSettings | undefined, env: Readonly<Record<string, string | undefined>> = process.env): CredentialsProvider {
  return registryCredentials(settings, { lookup: { env }, configuredIn: "registries.<name>.credentials" });
}

/** The TLS policy for a block (client certificates are not supported by the client yet and are ignored here). */
export function tlsFor(settings: TlsSettings | undefined): TlsPolicy | undefined {
  if (!settings) return undefined;
  return {
    ...(settings.caFile !== undefined ? { caFile: settings.caFile } : {}),
    ...(settings.insecureSkipVerify !== undefined ? { insecureSkipVerify: settings.insecureSkipVerify } : {}),
  };
}
