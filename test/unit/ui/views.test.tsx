import { render } from "ink-testing-library";
import { describe, expect, it } from "vitest";
import type { ApplyEvent } from "../../../src/apply/events.js";
import { App } from "../../../src/ui/ink/App.js";
import { INITIAL_STATE, progressOf, reduceApply, type UiState } from "../../../src/ui/ink/store.js";
import { createJsonView } from "../../../src/ui/json-view.js";
import { createPlainView } from "../../../src/ui/plain-view.js";
import { chooseView } from "../../../src/ui/view.js";
import { formatChangeDone } from "../../../src/ui/format/apply.js";

const A = 'bundle.k0s.image["quay.io/k0sproject/coredns:1.11.3"]';
const B = 'bundle.k0s.image["quay.io/k0sproject/pause:3.9"]';
const events: ApplyEvent[] = [
  { type: "apply-start", changes: 2, bytes: 3_000_000 },
  { type: "change-start", address: A, action: "create", bytes: 2_000_000 },
  { type: "change-start", address: B, action: "create", bytes: 1_000_000 },
  { type: "change-progress", address: A, bytes: 1_000_000 },
  { type: "change-done", address: B, action: "create", bytesMoved: 1_000_000, digest: `sha256:${"b".repeat(64)}` },
];
const line = (e: ApplyEvent) => (e.type === "change-done" ? formatChangeDone(e) : undefined);
const fold = (list: readonly ApplyEvent[], at = (i: number) => i * 1000): UiState => list.reduce((s, e, i) => reduceApply(s, e, at(i), line), INITIAL_STATE);

const plain = { red: (s: string) => s, yellow: (s: string) => s, green: (s: string) => s, bold: (s: string) => s, dim: (s: string) => s };
const sink = () => {
  const chunks: string[] = [];
  return { write: (t: string) => chunks.push(t), text: () => chunks.join("") };
};

describe("apply state", () => {
  it("tracks bytes in flight and finished, with rate and ETA", () => {
    const state = fold(events);
    expect(state.inFlight).toEqual([{ address: A, bytes: 1_000_000, total: 2_000_000 }]);
    expect(state.finished.map((f) => f.text)).toEqual([`created ${B} (sha256:bbbbbbbbbbbb, 1.0 MB moved)`]);
    const progress = progressOf(state, 4000);
    expect(progress.bytes).toBe(2_000_000);
    expect(progress.rate).toBe(500_000);
    expect(progress.eta).toBe(2);
  });
});

describe("the Ink apply view", () => {
  it("shows finished lines, the overall bar, and a row per artifact in flight", () => {
    const state = fold(events, () => 0);
    const view = render(<App source={{ get: () => state, subscribe: () => () => undefined }} now={() => 2000} />);
    const frame = view.lastFrame() ?? "";
    expect(frame).toContain(`created ${B}`);
    expect(frame).toMatch(/█+░+ 2\.0 MB \/ 3\.0 MB 1\.0 MB\/s ETA 1s/);
    expect(frame).toContain(`${A} 1.0 MB / 2.0 MB`);
    expect(frame).not.toContain(`${B} 1.0 MB / 1.0 MB`);
    view.unmount();
  });
});

describe("plain and JSON views", () => {
  it("plain: the plan on stdout, one line per finished change and a summary on stderr", () => {
    const stdout = sink();
    const stderr = sink();
    let t = 0;
    const view = createPlainView({ stdout, stderr, style: plain, now: () => (t += 1000) });
    for (const e of events) view.applyEvent(e);
    view.applyEvent({ type: "change-failed", address: A, error: { message: "500 Internal Server Error", status: 500, temporary: true } });
    view.applyEvent({ type: "apply-done", summary: { done: 1, failed: 1, notStarted: 0, bytesMoved: 1_000_000, interrupted: false, failures: [{ address: A, error: { message: "500 Internal Server Error", status: 500, temporary: true } }] } });
    expect(stdout.text()).toBe("");
    expect(stderr.text().split("\n")).toEqual([
      `created ${B} (sha256:bbbbbbbbbbbb, 1.0 MB moved)`,
      `failed ${A}: 500 Internal Server Error`,
      "Apply finished with errors: 1 done, 1 failed, 0 not started. 1.0 MB moved in 1.0 s at 1.0 MB/s.",
      `  ${A}: 500 Internal Server Error`,
      "",
    ]);
  });

  it("json: NDJSON events with the format version", () => {
    const stdout = sink();
    const view = createJsonView(stdout, () => 0);
    view.applyEvent(events[0]!);
    expect(JSON.parse(stdout.text())).toEqual({ formatVersion: 2, time: "1970-01-01T00:00:00.000Z", type: "apply-start", changes: 2, bytes: 3_000_000 });
  });

  it("json: a failed change keeps the error's facts (status, server codes, temporary)", () => {
    const stdout = sink();
    const view = createJsonView(stdout, () => 0);
    const error = { message: "PUT …/blobs/uploads/x: 429 Too Many Requests", code: "REGISTRY_HTTP", status: 429, serverCodes: ["TOOMANYREQUESTS"], temporary: true };
    view.applyEvent({ type: "change-failed", address: A, error });
    expect(JSON.parse(stdout.text())).toMatchObject({ type: "change-failed", address: A, error });
  });

  it("chooses Ink only on an interactive terminal outside CI that says how wide it is", () => {
    const tty = { json: false, stdoutIsTTY: true, stderrIsTTY: true, columns: 80, rows: 24 };
    expect(chooseView({ ...tty, env: {} })).toBe("ink");
    expect(chooseView({ ...tty, columns: 0, env: {} })).toBe("plain");
    expect(chooseView({ ...tty, columns: undefined, env: {} })).toBe("plain");
    expect(chooseView({ ...tty, rows: 0, env: {} })).toBe("plain");
    expect(chooseView({ ...tty, env: { CI: "true" } })).toBe("plain");
    expect(chooseView({ ...tty, stdoutIsTTY: false, env: {} })).toBe("plain");
    expect(chooseView({ ...tty, json: true, env: {} })).toBe("json");
  });
});
