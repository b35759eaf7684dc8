/**
 * Where content comes from: one {@link SourceOpener} per command run opens
 * upstream registries (with credentials and TLS from airgap.yaml), OCI
 * layouts and their tars, docker-save archives, MKE-style archive folders,
 * Helm HTTP repositories and file URLs, each as a read-only repository.
 * Knows nothing of the lock, plans or targets.
 *
 * Pipeline: config → **sources** → lock → desired/observe → diff → plan → apply.
 * resolve/ reads sources to write the lock; bundles and apply read them to copy.
 */
export { ResolveError, type ResolveErrorCode } from "./errors.js";
export { SourceOpener, registrySourceUrl, sourceCredentials, type SourceOpenerOptions, type RepositoryName } from "./opener.js";
export type { SourceRepository, SourceManifest } from "./source-repository.js";
export { mkeArchiveName, parseMkeArchiveName } from "./archive-directory.js";
export { registryCredentials, basicAuthorization, type RegistryCredentialsOptions } from "./credentials.js";
export { chartDownloadCredentials } from "./helm-index.js";
