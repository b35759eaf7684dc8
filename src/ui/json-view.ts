/**
 * The JSON view (`--json`): the plan as one JSON document on stdout, apply
 * events as NDJSON on stdout, each with the format version, for machines.
 */
import type { ApplyEvent } from "../apply/events.js";
import type { Diagnostic } from "../core/diagnostics.js";
import { PLAN_FORMAT_VERSION, type Plan } from "../plan/model.js";
import { diagnosticsToJson } from "./diagnostics.js";
import type { View } from "./view.js";

/** Creates the JSON view writing to `stdout`. */
export function createJsonView(stdout: { write(text: string): unknown }, now: () => number = Date.now): View {
  return {
    diagnostics(diagnostics: readonly Diagnostic[]) {
      if (diagnostics.length) stdout.write(`${JSON.stringify({ type: "diagnostics", formatVersion: PLAN_FORMAT_VERSION, diagnostics: diagnosticsToJson(diagnostics) })}\n`);
    },
    plan(plan: Plan) {
      stdout.write(`${JSON.stringify({ type: "plan", ...plan })}\n`);
    },
    applyEvent(event: ApplyEvent) {
      stdout.write(`${JSON.stringify({ formatVersion: PLAN_FORMAT_VERSION, time: new Date(now()).toISOString(), ...event })}\n`);
    },
    info() {},
    async close() {},
  };
}
