/**
 * airgap's public plugin API: the only module plugins import. Everything a
 * provider needs is re-exported here, so the rest of airgap can change
 * without breaking plugins.
 */
export * from "./provider.js";
export type { ContentReader, ContentWriter, CallOptions } from "../oci/content.js";
export type { Descriptor, Platform } from "../core/oci-types.js";
export type { Observation, PresentObservation, AbsentObservation, UnknownObservation } from "../core/observation.js";
export type { FailureFacts } from "../core/errors.js";
export { failureFacts } from "../core/errors.js";
export type { Logger } from "../core/logger.js";
export { silentLogger } from "../core/logger.js";
export { RegistryClient, RegistryError } from "../oci/registry/index.js";
export { OciLayoutDirectory, LayoutError } from "../oci/layout/index.js";
export { AirgapError } from "../core/errors.js";
export { Secret, SENSITIVE, isSecret } from "../core/secret.js";
export { httpAuthorization } from "../sources/credentials.js";
export { mapLimit } from "../core/concurrency.js";
