/**
 * The pure domain: types and helpers with no I/O, importing nothing else of
 * airgap. Every stage of the pipeline (config → sources → lock →
 * desired/observe → diff → plan → apply) speaks in these types.
 */
export * from "./digest.js";
export * from "./reference.js";
export * from "./media-types.js";
export * from "./oci-types.js";
export * from "./diagnostics.js";
export * from "./errors.js";
export * from "./logger.js";
export * from "./redact.js";
export * from "./observation.js";
export * from "./secret.js";
