/**
 * Preflight at plan time: before anything is observed, every target is
 * asked once (`GET /v2/`) whether it answers, is trusted and accepts the
 * credentials. One `airgap plan` names every target that cannot be used,
 * one line each with the setting to check, and no target is asked about
 * any object. Real registries: a healthy one, a TLS one whose CA airgap
 * is not given, a basic-auth one given the wrong password, and a port
 * where nothing listens.
 */
import { cpSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getFreePort } from "../../harness/ports.js";
import { startRegistry, type RunningRegistry } from "../../harness/registry.js";
import { createWorkspace, type Workspace } from "./workflow.js";

let healthy: RunningRegistry;
let tls: RunningRegistry;
let basic: RunningRegistry;
let deadPort: number;
let ws: Workspace;

beforeAll(async () => {
  [healthy, tls, basic, deadPort] = await Promise.all([startRegistry(), startRegistry({ tls: true }), startRegistry({ auth: "basic" }), getFreePort()]);
  ws = createWorkspace("preflight-reach");
  cpSync(new URL("../../../examples/quickstart/content", import.meta.url).pathname, join(ws.dir, "content"), { recursive: true });
});

afterAll(async () => {
  await Promise.all([healthy?.stop(), tls?.stop(), basic?.stop()]);
  ws?.remove();
});

/** A bundle of the quick start's image per target, read from the layout shipped with the example. */
function config(targets: Record<string, string>): string {
  const registries = Object.entries(targets).map(([name, settings]) => `  ${name}: ${settings}`);
  const bundles = Object.keys(targets).map((name) => `  ${name}: { registry: ${name}, images: [ { ref: docker.io/library/hello:1.0, source: local } ] }`);
  return ["apiVersion: airgap/v1", "sources:", "  local: { type: oci-layout, path: content }", "registries:", ...registries, "bundles:", ...bundles, ""].join("\n");
}

/** Method and path of every access-log line. */
function requests(log: string): string[] {
  return [...log.matchAll(/"([A-Z]+) (\S+) HTTP\/[\d.]+" \d{3}/g)].map((m) => `${m[1] ?? ""} ${m[2] ?? ""}`);
}

describe("preflight: every target is reached before anything is observed", () => {
  it("names every target that cannot be used in one run, one line each with the fix, and observes nothing", async () => {
    ws.writeConfig(
      config({
        good: `{ provider: oci, url: "${healthy.url}" }`,
        untrusted: `{ provider: oci, url: "${tls.url}" }`,
        refused: `{ provider: oci, url: "${basic.url}", credentials: { username: "${basic.username ?? ""}", password: "not-the-password" } }`,
        gone: `{ provider: oci, url: "http://127.0.0.1:${deadPort}" }`,
      }),
    );
    const logBefore = (await healthy.readLog()).length;
    const plan = await ws.run(["plan"]);

    expect(plan.code).toBe(1);
    const lines = plan.stderr.split("\n");
    const about = (name: string) => lines.filter((l) => l.includes(`registry ${name} (`));
    expect(about("untrusted")).toHaveLength(1);
    expect(about("untrusted")[0]).toMatch(/caFile|insecureSkipVerify/);
    expect(about("refused")).toHaveLength(1);
    expect(about("refused")[0]).toContain("`registries.refused.credentials`");
    expect(about("gone")).toHaveLength(1);
    expect(about("gone")[0]).toContain(`127.0.0.1:${deadPort}`);
    expect(about("gone")[0]).toContain("`registries.gone.url`");
    expect(about("good")).toEqual([]);
    expect(plan.stderr).toMatch(/3 target\(s\) cannot be used; nothing was observed or written/);
    // The wrong password is a secret: it never appears.
    expect(plan.stderr + plan.stdout).not.toContain("not-the-password");

    // The healthy target was asked whether it answers, and nothing about any object.
    await expect.poll(async () => requests((await healthy.readLog()).slice(logBefore)), { timeout: 5_000 }).toContain("GET /v2/");
    expect(requests((await healthy.readLog()).slice(logBefore)).filter((r) => r !== "GET /v2/")).toEqual([]);
  });

  it("plans as before once every target answers", async () => {
    ws.writeConfig(config({ good: `{ provider: oci, url: "${healthy.url}" }`, refused: `{ provider: oci, url: "${basic.url}", credentials: { username: "${basic.username ?? ""}", password: "${basic.password ?? ""}" } }` }));
    const plan = await ws.run(["plan", "--detailed-exitcode"]);
    expect(plan.stderr).not.toMatch(/cannot be used/);
    expect(plan.stdout).toMatch(/Plan: 2 to add, 0 to change, 0 to destroy\./);
    expect(plan.code).toBe(2);
  });
});
