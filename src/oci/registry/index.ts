/**
 * The OCI distribution client: transport (undici, retries, redirects,
 * connection pools, counters), authentication (Basic, Bearer tokens,
 * docker/containers credentials), the endpoint families, and
 * `RegistryRepository` as a ContentWriter. Import from here; the files behind
 * it are implementation detail.
 *
 * Nothing is process-wide: a command creates one {@link Transport}, passes it
 * to every {@link RegistryClient} (and HTTP download) of its run, and closes
 * it at the end. Each client has its own concurrency limit.
 *
 * Below the pipeline (config → sources → lock → desired/observe → diff →
 * plan → apply): sources read and apply writes through it; it knows no config.
 */
export { RegistryClient, type RegistryClientOptions, type RegistryLimits } from "./client.js";
export { RegistryRepository, isManifestMediaType, type RegistryRepositoryOptions } from "./repository.js";
export { RegistryConnection, registryBaseUrl, registryDisplayName, type PingResult, type RegistryEndpointOptions, type RegistrySendRequest } from "./connection.js";
export {
  RegistryError,
  parseErrorBody,
  describeErrorBody,
  isTemporaryStatus,
  type OciErrorEntry,
  type ParsedErrorBody,
  type RegistryErrorCode,
} from "./errors.js";
export {
  Transport,
  isRetryableNetworkError,
  type BodyFactory,
  type HttpMethod,
  type RequestBody,
  type TransportOptions,
  type TransportRequest,
  type TransportResponse,
} from "./transport.js";
export type { HostStats, RequestCounts, TransportStats } from "./transport-stats.js";
export { systemClock, type Clock } from "./clock.js";
export { DEFAULT_RETRY_POLICY, backoffDelay, parseRetryAfter, type RetryPolicy } from "./backoff.js";
export type { TlsPolicy } from "./tls.js";
export { Authenticator, parseTokenResponse, type AuthScheme, type BearerToken } from "./auth.js";
export { parseWwwAuthenticate, bearerChallenge, type AuthChallenge, type BearerChallenge } from "./challenge.js";
export { repositoryScope, mountScopes, mergeScopes, CATALOG_SCOPE, type RepositoryAction } from "./scope.js";
export {
  CredentialsError,
  lookupCredentials,
  environmentCredentials,
  staticCredentials,
  anonymousCredentials,
  credentialsWithFallback,
  authFileLocations,
  type CredentialLookupOptions,
  type CredentialLookupResult,
} from "./credentials.js";
export { describeCredentials, type Credentials, type CredentialsProvider, type PasswordCredentials, type IdentityTokenCredentials } from "./credentials-types.js";
export { matchAuthKey, parseAuthKey, decodeAuthEntry, DOCKER_HUB_AUTH_KEY, type AuthFile, type AuthFileEntry } from "./auth-files.js";
export { parseLinkHeader, nextPageUrl, type LinkValue } from "./link.js";
export { resolveLocation, withQuery } from "./location.js";
export {
  MANIFEST_ACCEPT,
  detectManifestMediaType,
  type CallSignal,
  type DeleteResult,
  type FetchedManifest,
  type ManifestGetResult,
  type ManifestHead,
  type ManifestHeadResult,
  type PutManifestResult,
} from "./manifests.js";
export type { BlobFetchOptions, BlobHeadResult, BlobOpenResult } from "./blobs.js";
export { DEFAULT_UPLOAD_LIMITS, type BlobSource, type PushBlobOptions, type PushBlobResult, type UploadLimits, type UploadMode } from "./uploads.js";
export type { MountResult, UploadSession } from "./upload-session.js";
export type { ListOptions } from "./listing.js";
export { referrersTag, type ReferrersOptions, type ReferrersResult } from "./referrers.js";
