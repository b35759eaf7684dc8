import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { diff } from "../../../src/plan/diff.js";
import { assertSameInputs, createPlanFile, readPlanFile, sha256Hex, writePlanFile, PlanFileError } from "../../../src/plan/plan-file.js";
import { tempDir } from "../../helpers/config.js";

const plan = diff({
  desired: [{ address: 'bundle.b.image["docker.io/library/nginx:1"]', kind: "image", registry: "m", repository: "library/nginx", tag: "1", source: "docker.io/library/nginx:1", digest: `sha256:${"a".repeat(64)}`, size: 10, blobs: [] }],
  observed: new Map(),
});
const inputs = { configSha256: sha256Hex("apiVersion: airgap/v1\n") };

async function saved(): Promise<string> {
  const path = join(tempDir(), "plan.json");
  await writePlanFile(path, createPlanFile(plan, inputs, "0.1.0"));
  return path;
}

describe("plan files", () => {
  it("round-trip exactly", async () => {
    const file = await readPlanFile(await saved());
    expect(file.plan).toEqual(plan);
    expect(file.inputs).toEqual(inputs);
  });

  it("refuse a plan from another config, naming what changed", async () => {
    const file = await readPlanFile(await saved());
    expect(() => assertSameInputs(file, { configSha256: sha256Hex("other") }, "plan.json")).toThrow(/made from a different airgap\.yaml/);
    expect(() => assertSameInputs(file, { ...inputs, lockSha256: sha256Hex("lock") }, "plan.json")).toThrow(/a different airgap\.yaml and airgap\.lock|different airgap\.lock/);
    expect(() => assertSameInputs(file, inputs, "plan.json")).not.toThrow();
  });

  it("refuse a hand-edited plan", async () => {
    const path = await saved();
    writeFileSync(path, readFileSync(path, "utf8").replace('"tag": "1"', '"tag": "2"'));
    await expect(readPlanFile(path)).rejects.toThrow(/changed after airgap wrote it/);
  });

  it("refuse a truncated plan", async () => {
    const path = await saved();
    const text = readFileSync(path, "utf8");
    writeFileSync(path, text.slice(0, Math.floor(text.length / 2)));
    await expect(readPlanFile(path)).rejects.toThrow(/not valid JSON \(truncated/);
  });

  it("refuse a plan with a missing field, and one from a newer airgap", async () => {
    const path = await saved();
    const value = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
    writeFileSync(path, JSON.stringify({ ...value, inputs: {} }));
    await expect(readPlanFile(path)).rejects.toThrow(/not a valid plan/);
    writeFileSync(path, JSON.stringify({ ...value, formatVersion: 9 }));
    const error = await readPlanFile(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlanFileError);
    expect((error as PlanFileError).code).toBe("PLAN_TOO_NEW");
  });
});
