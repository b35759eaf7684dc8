/**
 * Providers: which ones exist (built-ins and installed packages), loading a
 * plugin through the same checks for both, and the OciToolkit a plugin gets
 * (registry clients on the command's one transport). Plugins themselves see
 * only the sdk (`airgap/sdk`).
 *
 * Pipeline: config → sources → lock → desired/observe → diff → plan → apply.
 * Providers are the targets' side of observe and apply.
 */
export * from "./catalog.js";
export * from "./load.js";
export * from "./toolkit.js";
export * from "./credentials.js";
