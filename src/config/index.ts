/**
 * airgap.yaml: load (YAML with positions, `${VAR}`) → schema → semantic
 * rules → secrets sealed → normalize into the model every later stage reads.
 * No network, no views. Problems are diagnostics with file:line:col.
 *
 * Pipeline: **config** → sources → lock → desired/observe → diff → plan → apply.
 */
export * from "./load.js";
export * from "./normalize.js";
