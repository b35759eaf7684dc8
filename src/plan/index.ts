/**
 * Plans: the model (a union by kind and action, each variant with exactly
 * the fields its step needs), the pure diff that makes one from desired and
 * observed state, stable change addresses, and the saved plan file. No
 * network, no sources: everything here is data and pure functions.
 *
 * Pipeline: config → sources → lock → desired/observe → **diff → plan** → apply.
 * desired/ and observe/ feed the diff; apply/ runs exactly what it returns.
 */
export * from "./model.js";
export * from "./diff.js";
export * from "./address.js";
export * from "./plan-file.js";
