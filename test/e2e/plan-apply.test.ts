/**
 * plan and apply through the built CLI, fully offline: the quickstart's OCI
 * layout as the source, an oci-layout directory as the target, skopeo as the
 * independent reader of what landed.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { inspectRaw } from "../harness/skopeo.js";
import { runCli } from "./run-cli.js";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A private copy of the quickstart example. */
function quickstart(): string {
  const dir = mkdtempSync(join(tmpdir(), "airgap-qs-"));
  dirs.push(dir);
  cpSync(new URL("../../examples/quickstart/", import.meta.url).pathname, dir, { recursive: true, filter: (src) => !/mirror|airgap\.lock/.test(src) });
  return dir;
}

describe("plan and apply (oci-layout to oci-layout, offline)", () => {
  it("plans, applies, and then has nothing to do; skopeo reads the result", async () => {
    const dir = quickstart();
    const plan = runCli(["plan", "--detailed-exitcode"], { cwd: dir });
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain("+ :1.0 ← docker.io/library/hello:1.0");
    // The image, and the example's cluster output (the list of target images).
    expect(plan.stdout).toContain("+ out/images.txt (image-list)");
    expect(plan.stdout).toMatch(/Plan: 2 to add, 0 to change, 0 to destroy\./);

    const apply = runCli(["apply", "--auto-approve"], { cwd: dir });
    expect(apply.stderr).toContain("Apply complete: 2 done, 0 failed, 0 not started.");
    expect(readFileSync(join(dir, "out/images.txt"), "utf8")).toMatch(/^.*quickstart\/library\/hello:1\.0/);
    expect(apply.code).toBe(0);

    const raw = await inspectRaw(`oci:${join(dir, "mirror")}:quickstart/library/hello:1.0`);
    const source = await inspectRaw(`oci:${join(dir, "content")}:docker.io/library/hello:1.0`);
    expect(raw.digest).toBe(source.digest);

    const again = runCli(["plan", "--detailed-exitcode"], { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("No changes. 2 objects up to date.");
  });

  it("filters platforms: one platform lands as a rewritten index", async () => {
    const dir = quickstart();
    writeFileSync(join(dir, "airgap.yaml"), readFileSync(join(dir, "airgap.yaml"), "utf8").replace("platforms: [linux/amd64, linux/arm64]", "platforms: [linux/arm64]"));
    expect(runCli(["apply", "--auto-approve"], { cwd: dir }).code).toBe(0);
    const raw = await inspectRaw(`oci:${join(dir, "mirror")}:quickstart/library/hello:1.0`);
    const index = JSON.parse(raw.bytes.toString("utf8")) as { manifests: { platform: { architecture: string } }[] };
    expect(index.manifests.map((m) => m.platform.architecture)).toEqual(["arm64"]);
    expect(runCli(["plan", "--detailed-exitcode"], { cwd: dir }).code).toBe(0);
  });

  it("applies a saved plan exactly, and refuses it once stale, edited, truncated or from another config", () => {
    const dir = quickstart();
    expect(runCli(["lock"], { cwd: dir }).code).toBe(0);
    expect(runCli(["plan", "-out", "plan.json"], { cwd: dir }).code).toBe(0);
    const saved = readFileSync(join(dir, "plan.json"), "utf8");

    // another config
    const yaml = readFileSync(join(dir, "airgap.yaml"), "utf8");
    writeFileSync(join(dir, "airgap.yaml"), `${yaml}\n# edited\n`);
    const other = runCli(["apply", "plan.json"], { cwd: dir });
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/made from a different airgap\.yaml/);
    writeFileSync(join(dir, "airgap.yaml"), yaml);

    // edited by hand
    writeFileSync(join(dir, "plan.json"), saved.replace('"tag": "1.0"', '"tag": "2.0"'));
    expect(runCli(["apply", "plan.json"], { cwd: dir }).stderr).toMatch(/changed after airgap wrote it/);
    // truncated
    writeFileSync(join(dir, "plan.json"), saved.slice(0, 100));
    expect(runCli(["apply", "plan.json"], { cwd: dir }).stderr).toMatch(/not valid JSON \(truncated/);

    writeFileSync(join(dir, "plan.json"), saved);
    // a target that changed since the plan: apply everything first, then the saved plan is stale
    expect(runCli(["apply", "--auto-approve"], { cwd: dir }).code).toBe(0);
    const stale = runCli(["apply", "plan.json"], { cwd: dir });
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/stale plan: 2 target object\(s\) changed since the plan was made/);
  });

  it("a fresh saved plan applies", () => {
    const dir = quickstart();
    expect(runCli(["plan", "-out", "plan.json"], { cwd: dir }).code).toBe(0);
    const apply = runCli(["apply", "plan.json"], { cwd: dir });
    expect(apply.stderr).toContain("Apply complete: 2 done");
    expect(apply.code).toBe(0);
  });

  it("refuses apply without a terminal and without --auto-approve, and an unknown --target", () => {
    const dir = quickstart();
    const apply = runCli(["apply"], { cwd: dir });
    expect(apply.code).toBe(1);
    expect(apply.stderr).toMatch(/needs confirmation: run it on a terminal, pass --auto-approve/);
    const target = runCli(["plan", "--target", "registry.nope"], { cwd: dir });
    expect(target.code).toBe(1);
    expect(target.stderr).toMatch(/--target registry\.nope names nothing in the configuration; use one of: bundle\.hello, registry\.local/);
  });

  it("--json prints the plan as JSON with a format version, and apply events as NDJSON", () => {
    const dir = quickstart();
    const plan = runCli(["plan", "--json"], { cwd: dir });
    const parsed = JSON.parse(plan.stdout) as { formatVersion: number; summary: { add: number; transferBytes: number } };
    expect(parsed).toMatchObject({ formatVersion: 2, summary: { add: 2 } });
    const apply = runCli(["apply", "--auto-approve", "--json"], { cwd: dir });
    const events = apply.stdout.trim().split("\n").map((l) => JSON.parse(l) as { type: string; bytesMoved?: number; summary?: { bytesMoved: number } });
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(["plan", "apply-start", "change-done", "apply-done"]));
    // Plan and apply agree on the bytes (the quick start once planned 2.0 kB and applied 738 B).
    expect(parsed.summary.transferBytes).toBeGreaterThan(0);
    expect(events.filter((e) => e.type === "change-done").reduce((n, e) => n + (e.bytesMoved ?? 0), 0)).toBe(parsed.summary.transferBytes);
    expect(events.find((e) => e.type === "apply-done")?.summary?.bytesMoved).toBe(parsed.summary.transferBytes);
  });

  it("lock is byte-identical on a rerun", () => {
    const dir = quickstart();
    expect(runCli(["lock"], { cwd: dir }).code).toBe(0);
    const first = readFileSync(join(dir, "airgap.lock"), "utf8");
    expect(runCli(["lock"], { cwd: dir }).stderr).toMatch(/airgap\.lock is up to date/);
    expect(readFileSync(join(dir, "airgap.lock"), "utf8")).toBe(first);
  });
});
