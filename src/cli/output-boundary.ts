/**
 * Where text leaves the process. Secrets are carried as {@link Secret} and
 * never written into data (lock, plan, bundle, plan JSON), but free text
 * can still quote one: a registry that echoes a password in its error
 * message, a helper's complaint. Every such text passes through here on its
 * way out (the final error line, the diagnostics, info lines and apply
 * failures of every view, validate's report), and nowhere else is anything
 * scrubbed: data is written exactly. Two things are taken out: the values
 * of the config's secrets (Secret.scrub), and credentials written into a
 * URL that a message quotes (validate refuses those, so they are never
 * secrets by field, but the message that refuses one must not repeat it).
 */
import type { ApplyEvent } from "../apply/events.js";
import type { Diagnostic } from "../core/diagnostics.js";
import { hideUserinfo } from "../core/redact.js";
import { Secret } from "../core/secret.js";
import type { View } from "../ui/view.js";

/** The one output boundary of a command run. */
export interface OutputBoundary {
  /** Adds secrets (those of the loaded config) to scrub from now on. */
  protect(secrets: Iterable<Secret>): void;
  /** Free text with every protected secret replaced by `(sensitive)`. */
  text(text: string): string;
  /** Diagnostics with their message and hint scrubbed; positions and pointers untouched. */
  diagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[];
  /** A view whose free text (diagnostics, info, apply failures) is scrubbed; the plan and other data pass as they are. */
  view(view: View): View;
}

/** Creates the boundary of one run (main.ts makes one per command). */
export function createOutputBoundary(): OutputBoundary {
  const secrets: Secret[] = [];
  const text = (value: string): string => hideUserinfo(secrets.length === 0 ? value : Secret.scrub(value, secrets));
  const diagnostics = (list: readonly Diagnostic[]): Diagnostic[] => list.map((d) => ({ ...d, message: text(d.message), ...(d.hint !== undefined ? { hint: text(d.hint) } : {}) }));
  const event = (e: ApplyEvent): ApplyEvent => {
    if (e.type === "change-failed") return { ...e, error: { ...e.error, message: text(e.error.message) } };
    if (e.type === "apply-done") return { ...e, summary: { ...e.summary, failures: e.summary.failures.map((f) => ({ ...f, error: { ...f.error, message: text(f.error.message) } })) } };
    return e;
  };
  return {
    protect(more) {
      for (const secret of more) if (!secrets.includes(secret)) secrets.push(secret);
    },
    text,
    diagnostics,
    view(view) {
      return {
        diagnostics: (list) => view.diagnostics(diagnostics(list)),
        plan: (plan) => view.plan(plan),
        applyEvent: (e) => view.applyEvent(event(e)),
        info: (message) => view.info(text(message)),
        close: () => view.close(),
      };
    },
  };
}
