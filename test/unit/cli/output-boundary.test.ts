import { describe, expect, it } from "vitest";
import type { ApplyEvent } from "../../../src/apply/events.js";
import type { Diagnostic } from "../../../src/core/diagnostics.js";
import { Secret } from "../../../src/core/secret.js";
import { createOutputBoundary } from "../../../src/cli/output-boundary.js";
import type { Plan } from "../../../src/plan/model.js";
import type { View } from "../../../src/ui/view.js";

const DIGEST = `sha256:0123456789abcdef${"e".repeat(48)}`;
const PASSWORD = "89abcdef"; // a piece of DIGEST

function recorder(): View & { readonly seen: unknown[] } {
  const seen: unknown[] = [];
  return {
    seen,
    diagnostics: (d) => seen.push(["diagnostics", d]),
    plan: (p) => seen.push(["plan", p]),
    applyEvent: (e) => seen.push(["event", e]),
    info: (m) => seen.push(["info", m]),
    close: async () => undefined,
  };
}

describe("the output boundary", () => {
  it("scrubs secrets from free text only: diagnostics, info, apply failures, error lines", () => {
    const boundary = createOutputBoundary();
    boundary.protect([new Secret(PASSWORD), new Secret("")]);
    const inner = recorder();
    const view = boundary.view(inner);
    const diagnostic: Diagnostic = { severity: "error", message: `registry said: bad password ${PASSWORD}`, hint: `try ${PASSWORD}`, pointer: "/sources/up", location: { file: "airgap.yaml", line: 3, col: 5 } };
    view.diagnostics([diagnostic]);
    view.info(`echo ${PASSWORD}`);
    const failed: ApplyEvent = { type: "change-failed", address: `bundle.b.image["host/team:${PASSWORD}"]`, error: { message: `PUT answered 400: ${PASSWORD}`, status: 400, code: "REGISTRY_HTTP" } };
    view.applyEvent(failed);
    view.applyEvent({ type: "apply-done", summary: { done: 0, failed: 1, notStarted: 0, bytesMoved: 0, interrupted: false, failures: [{ address: "a", error: { message: `x ${PASSWORD}` } }] } });
    expect(inner.seen).toEqual([
      ["diagnostics", [{ ...diagnostic, message: "registry said: bad password (sensitive)", hint: "try (sensitive)" }]],
      ["info", "echo (sensitive)"],
      ["event", { ...failed, error: { message: "PUT answered 400: (sensitive)", status: 400, code: "REGISTRY_HTTP" } }],
      ["event", { type: "apply-done", summary: { done: 0, failed: 1, notStarted: 0, bytesMoved: 0, interrupted: false, failures: [{ address: "a", error: { message: "x (sensitive)" } }] } }],
    ]);
    // The address is data: it is not touched, whatever it holds.
    expect((inner.seen[2] as [string, ApplyEvent & { address: string }])[1].address).toBe(`bundle.b.image["host/team:${PASSWORD}"]`);
    expect(boundary.text(`error: ${PASSWORD} at https://robot:pw@registry.example/v2/`)).toBe("error: (sensitive) at https://redacted@registry.example/v2/");
  });

  it("passes the plan through as it is: data holds no secret by construction and is never rewritten", () => {
    const boundary = createOutputBoundary();
    boundary.protect([new Secret(PASSWORD)]);
    const inner = recorder();
    const plan = { formatVersion: 1, changes: [{ address: "a", after: DIGEST }], summary: {} } as unknown as Plan;
    boundary.view(inner).plan(plan);
    expect(inner.seen).toEqual([["plan", plan]]);
    expect(JSON.stringify(inner.seen)).toContain(DIGEST);
  });

  it("changes nothing before a secret is known", () => {
    const boundary = createOutputBoundary();
    expect(boundary.text(`plain ${PASSWORD}`)).toBe(`plain ${PASSWORD}`);
  });
});
