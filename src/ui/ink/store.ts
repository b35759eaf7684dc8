/**
 * The state the Ink views draw, folded from apply events: pure, so it is
 * tested without a terminal, and throttled by the component, not here.
 */
import type { ApplyEvent, ApplySummary } from "../../apply/events.js";
import type { PlanLine } from "../format/plan.js";

/** One artifact in flight. */
export interface InFlight {
  readonly address: string;
  readonly bytes: number;
  readonly total: number;
}

/** A line that scrolls into Ink's Static area and stays. */
export interface FinishedLine {
  readonly key: string;
  readonly text: string;
  readonly tone: "ok" | "error" | "plan" | "info";
  readonly planStyle?: PlanLine["style"];
}

/** Everything the Ink app shows. */
export interface UiState {
  readonly finished: readonly FinishedLine[];
  readonly inFlight: readonly InFlight[];
  readonly totalBytes: number;
  readonly doneBytes: number;
  readonly startedAt?: number;
  readonly summary?: ApplySummary;
}

/** The empty state. */
export const INITIAL_STATE: UiState = { finished: [], inFlight: [], totalBytes: 0, doneBytes: 0 };

/** Folds one apply event into the state. */
export function reduceApply(state: UiState, event: ApplyEvent, now: number, line: (event: ApplyEvent) => string | undefined): UiState {
  switch (event.type) {
    case "apply-start":
      return { ...state, totalBytes: event.bytes, startedAt: now };
    case "change-start":
      return { ...state, inFlight: [...state.inFlight, { address: event.address, bytes: 0, total: event.bytes }] };
    case "change-progress":
      return { ...state, inFlight: state.inFlight.map((f) => (f.address === event.address ? { ...f, bytes: event.bytes } : f)) };
    case "change-done":
    case "change-failed": {
      const flight = state.inFlight.find((f) => f.address === event.address);
      const moved = event.type === "change-done" ? event.bytesMoved : (flight?.bytes ?? 0);
      const text = line(event) ?? event.address;
      return {
        ...state,
        doneBytes: state.doneBytes + moved,
        inFlight: state.inFlight.filter((f) => f.address !== event.address),
        finished: [...state.finished, { key: `${state.finished.length}`, text, tone: event.type === "change-done" ? "ok" : "error" }],
      };
    }
    case "apply-done":
      return { ...state, summary: event.summary, inFlight: [] };
  }
}

/** Bytes moved including those in flight; rate; ETA in seconds (undefined until measurable). */
export function progressOf(state: UiState, now: number): { bytes: number; rate: number; eta: number | undefined } {
  const bytes = state.doneBytes + state.inFlight.reduce((n, f) => n + f.bytes, 0);
  const seconds = state.startedAt === undefined ? 0 : (now - state.startedAt) / 1000;
  const rate = seconds > 0.5 ? bytes / seconds : 0;
  const eta = rate > 0 && state.totalBytes > bytes ? (state.totalBytes - bytes) / rate : undefined;
  return { bytes, rate, eta };
}
