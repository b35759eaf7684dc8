/**
 * The Ink view: mounted only on an interactive terminal, loaded lazily so
 * that commands which never draw a UI never load Ink or React.
 */
import { render } from "ink";
import type { ApplyEvent } from "../../apply/events.js";
import type { Diagnostic } from "../../core/diagnostics.js";
import type { Plan } from "../../plan/model.js";
import { formatDiagnostic } from "../../core/diagnostics.js";
import { formatApplySummary, formatChangeDone, formatChangeFailed } from "../format/apply.js";
import { formatPlan } from "../format/plan.js";
import type { View } from "../view.js";
import { App, type StateSource } from "./App.js";
import { INITIAL_STATE, reduceApply, type FinishedLine, type UiState } from "./store.js";

/** How the Ink view draws. */
export interface InkViewOptions {
  /** Colour, bold and dim on (the CLI's decision from NO_COLOR, FORCE_COLOR and flags). */
  readonly colour: boolean;
  readonly now?: () => number;
}

/** Creates the Ink view on `stdout` (a TTY). */
export function createInkView(stdout: NodeJS.WriteStream, options: InkViewOptions): View {
  const { colour, now = Date.now } = options;
  let state: UiState = INITIAL_STATE;
  const listeners = new Set<() => void>();
  const source: StateSource = {
    get: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  const update = (next: UiState) => {
    state = next;
    for (const l of listeners) l();
  };
  const append = (lines: readonly Omit<FinishedLine, "key">[]) =>
    update({ ...state, finished: [...state.finished, ...lines.map((l, i) => ({ ...l, key: `${state.finished.length + i}` }))] });
  const instance = render(<App source={source} now={now} colour={colour} />, { stdout, patchConsole: false, exitOnCtrlC: false });
  let started = now();
  let closed = false;
  return {
    diagnostics(diagnostics: readonly Diagnostic[]) {
      append(diagnostics.map((d) => ({ text: formatDiagnostic(d), tone: d.severity === "error" ? "error" : "info" })));
    },
    plan(plan: Plan) {
      append(formatPlan(plan).map((l) => ({ text: l.text, tone: "plan", planStyle: l.style })));
    },
    applyEvent(event: ApplyEvent) {
      if (event.type === "apply-start") started = now();
      const line = (e: ApplyEvent) => (e.type === "change-done" ? formatChangeDone(e) : e.type === "change-failed" ? formatChangeFailed(e) : undefined);
      let next = reduceApply(state, event, now(), line);
      if (event.type === "apply-done") {
        const lines = formatApplySummary(event.summary, (now() - started) / 1000);
        next = { ...next, finished: [...next.finished, ...lines.map((text, i) => ({ key: `${next.finished.length + i}`, text, tone: event.summary.failed ? ("error" as const) : ("ok" as const) }))] };
      }
      update(next);
    },
    info(message: string) {
      append([{ text: message, tone: "info" }]);
    },
    async close() {
      if (closed) return;
      closed = true;
      instance.rerender(<App source={source} now={now} colour={colour} />);
      instance.unmount();
      await instance.waitUntilExit();
    },
  };
}
