/**
 * The plain view: for pipes, CI and logs. The plan goes to stdout (it is the
 * product); progress goes to stderr, one line per finished change.
 */
import type { ApplyEvent } from "../apply/events.js";
import type { Diagnostic } from "../core/diagnostics.js";
import type { Plan } from "../plan/model.js";
import { renderDiagnostics, type DiagnosticStyle } from "./diagnostics.js";
import { formatApplySummary, formatChangeDone, formatChangeFailed } from "./format/apply.js";
import { formatPlan, type PlanLine } from "./format/plan.js";
import type { View } from "./view.js";

/** Where text goes, and how it is coloured. */
export interface PlainViewOptions {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly style: DiagnosticStyle & { green(s: string): string; bold(s: string): string };
  /** Time source, injected for tests. */
  readonly now?: () => number;
}

/** Colours a plan line by its style hint. */
export function paintPlanLine(line: PlanLine, style: PlainViewOptions["style"]): string {
  switch (line.style) {
    case "create":
      return style.green(line.text);
    case "update":
      return style.yellow(line.text);
    case "delete":
      return style.red(line.text);
    case "heading":
    case "summary":
      return style.bold(line.text);
    case "dim":
      return style.dim(line.text);
    default:
      return line.text;
  }
}

/** Creates the plain view. */
export function createPlainView(options: PlainViewOptions): View {
  const now = options.now ?? Date.now;
  let started = now();
  return {
    diagnostics(diagnostics: readonly Diagnostic[]) {
      options.stderr.write(renderDiagnostics(diagnostics, options.style));
    },
    plan(plan: Plan) {
      options.stdout.write(`${formatPlan(plan).map((l) => paintPlanLine(l, options.style)).join("\n")}\n`);
    },
    applyEvent(event: ApplyEvent) {
      if (event.type === "apply-start") started = now();
      else if (event.type === "change-done") options.stderr.write(`${options.style.green(formatChangeDone(event))}\n`);
      else if (event.type === "change-failed") options.stderr.write(`${options.style.red(formatChangeFailed(event))}\n`);
      else if (event.type === "apply-done") options.stderr.write(`${formatApplySummary(event.summary, (now() - started) / 1000).join("\n")}\n`);
    },
    info(message: string) {
      options.stderr.write(`${message}\n`);
    },
    async close() {},
  };
}
