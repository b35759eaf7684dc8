/**
 * airgap's public plugin API, imported as `airgap/sdk` (package.json
 * `exports`): the only module plugins import. It holds interfaces, factories
 * and value types, never the concrete classes behind them, so the OCI
 * client, the layout code and the rest of airgap can change without a
 * plugin noticing (test/unit/architecture/plugin-imports.test.ts keeps
 * plugins/ to this module, node built-ins and declared dependencies).
 *
 * Where plugins sit in the pipeline (config → sources → lock →
 * desired/observe → diff → plan → apply): a provider is created per target
 * registry from its settings in airgap.yaml; the planner asks it to observe
 * and for prerequisites, and apply writes through its ContentWriters.
 */
export * from "./provider.js";
export type { Registry, RegistryDeleteResult, RegistryListOptions, RegistryFailure, RegistryFailureCode } from "./registry.js";
export { isRegistryFailure } from "./registry.js";
export type { LayoutDirectory, OpenLayoutOptions, LayoutFailure, LayoutFailureCode } from "./layout.js";
export { openLayoutDirectory, lockLayoutForWrite, isLayoutFailure } from "./layout.js";
export type { ContentReader, ContentWriter, CallOptions } from "../oci/content.js";
export type { Descriptor, Platform } from "../core/oci-types.js";
export type { Observation, PresentObservation, AbsentObservation, UnknownObservation } from "../core/observation.js";
export type { FailureFacts } from "../core/errors.js";
export { failureFacts } from "../core/errors.js";
export type { Logger } from "../core/logger.js";
export { silentLogger } from "../core/logger.js";
/** The base of every airgap error family: a plugin's own family extends it, with a stable `code`. */
export { AirgapError } from "../core/errors.js";
export { Secret, SENSITIVE, isSecret } from "../core/secret.js";
export { httpAuthorization } from "../sources/credentials.js";
export { mapLimit } from "../core/concurrency.js";
