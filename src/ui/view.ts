/**
 * The view contract: every command renders through one of these, chosen once
 * (Ink on a TTY, plain lines otherwise, JSON with --json), so the commands
 * never know how output looks.
 */
import type { ApplyEvent } from "../apply/events.js";
import type { Diagnostic } from "../core/diagnostics.js";
import type { Plan } from "../plan/model.js";

/** How output is rendered. */
export type ViewKind = "ink" | "plain" | "json";

/** A view: receives the product and the progress of a command. */
export interface View {
  diagnostics(diagnostics: readonly Diagnostic[]): void;
  /** Shows a plan (the product of `plan`; the preview of `apply`). */
  plan(plan: Plan): void;
  /** Progress of apply, event by event. */
  applyEvent(event: ApplyEvent): void;
  /** A line of progress or information (stderr in plain mode). */
  info(message: string): void;
  /** Waits until everything is drawn (Ink unmounts). */
  close(): Promise<void>;
}

/** Narrowest terminal the interactive view draws in; below it (or when the width is unknown, 0) lines are printed plainly. */
export const MIN_INK_COLUMNS = 20;

/**
 * Picks the view the way Terraform and Ink do: JSON if asked, Ink on an
 * interactive terminal outside CI that says how wide it is, plain otherwise.
 * A terminal that reports 0 columns or rows (a serial console, a CI runner's
 * pseudo-terminal) cannot lay out progress lines.
 */
export function chooseView(options: {
  readonly json: boolean;
  readonly stdoutIsTTY: boolean;
  readonly stderrIsTTY: boolean;
  /** The terminal's width as stdout reports it; undefined or 0 when it is not known. */
  readonly columns?: number | undefined;
  /** The terminal's height; undefined or 0 when not known (Ink would clear the screen on every frame). */
  readonly rows?: number | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
}): ViewKind {
  if (options.json) return "json";
  const ci = options.env["CI"] !== undefined && options.env["CI"] !== "" && options.env["CI"] !== "false";
  const wide = (options.columns ?? 0) >= MIN_INK_COLUMNS && (options.rows ?? 0) > 0;
  return !ci && options.stdoutIsTTY && options.stderrIsTTY && wide && options.env["TERM"] !== "dumb" ? "ink" : "plain";
}
