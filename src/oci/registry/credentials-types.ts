/**
 * Credential shapes shared by the lookup (credentials.ts) and the
 * authenticator (auth.ts), kept apart so neither imports the other's I/O.
 */

/** A username and password (or a registry-issued password such as ECR's 12-hour token). */
export interface PasswordCredentials {
  readonly username: string;
  readonly password: string;
  /** Where they came from, for messages (`airgap.yaml`, `docker config /home/u/.docker/config.json`); never a secret. */
  readonly origin?: string;
}

/** An OAuth2 refresh ("identity") token from `docker login` with an identity provider. */
export interface IdentityTokenCredentials {
  readonly identityToken: string;
  readonly username?: string;
  /** Where it came from, for messages; never a secret. */
  readonly origin?: string;
}

/** What authenticates airgap to one registry. */
export type Credentials = PasswordCredentials | IdentityTokenCredentials;

/**
 * Supplies credentials for a registry host (and repository, for namespaced
 * auth.json entries). Returns undefined for anonymous access. Called lazily,
 * only once a registry asks for authentication.
 */
export type CredentialsProvider = (registry: string, repository?: string) => Promise<Credentials | undefined>;

/** True for username/password credentials. */
export function isPasswordCredentials(credentials: Credentials): credentials is PasswordCredentials {
  return "password" in credentials;
}

/** The secret values inside credentials, for redacting them from any text. */
export function credentialSecrets(credentials: Credentials | undefined): string[] {
  if (credentials === undefined) return [];
  return isPasswordCredentials(credentials) ? [credentials.password] : [credentials.identityToken];
}

/**
 * Which credentials were used, by kind and origin and never by secret, for
 * messages such as "tried username "alice" from airgap.yaml".
 */
export function describeCredentials(credentials: Credentials | undefined): string {
  if (credentials === undefined) return "anonymous access (no credentials are configured for this registry)";
  const from = credentials.origin !== undefined ? ` from ${credentials.origin}` : "";
  if (isPasswordCredentials(credentials)) return `username "${credentials.username}"${from}`;
  return `an identity token${credentials.username !== undefined ? ` of "${credentials.username}"` : ""}${from}`;
}
