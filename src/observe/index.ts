/**
 * Observation: what the targets really hold (read-only, concurrent, batched
 * through a provider's `observe` where it has one), the prerequisites a
 * provider needs before content lands, and plan-time preflight checks.
 * An error is `unknown` with its facts, never a reason to re-upload.
 *
 * Pipeline: config → sources → lock → desired/**observe** → diff → plan → apply.
 * It reads targets through providers/ and hands observations to plan/'s diff.
 */
export * from "./observe.js";
export * from "./preflight.js";
