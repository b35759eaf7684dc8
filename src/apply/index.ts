/**
 * Apply: the executor that runs exactly a plan's changes (prerequisites,
 * then content through one copy coordinator, then deletions), the
 * stale-plan check for saved plans, and the events views and `--json` read.
 *
 * Pipeline: config → sources → lock → desired/observe → diff → plan → **apply**.
 * It switches on plan/'s union and writes through providers/ only.
 */
export * from "./executor.js";
export * from "./stale.js";
export * from "./events.js";
