import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { diff } from "../../../src/plan/diff.js";
import { assertSameInputs, createPlanFile, readPlanFile, sha256Hex, writePlanFile, PlanFileError } from "../../../src/plan/plan-file.js";
import { tempDir } from "../../helpers/config.js";

const plan = diff({
  desired: [{ address: 'bundle.b.image["docker.io/library/nginx:1"]', kind: "image", registry: "m", repository: "library/nginx", tag: "1", source: "docker.io/library/nginx:1", digest: `sha256:${"a".repeat(64)}`, content: [{ digest: `sha256:${"a".repeat(64)}`, size: 10, mediaType: "application/vnd.oci.image.manifest.v1+json" }], copy: { sourceDigest: `sha256:${"a".repeat(64)}`, sourceMediaType: "application/vnd.oci.image.manifest.v1+json", sourceSize: 10, preserveDigests: true } }],
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

  it("hold every kind of change, each variant checked by the plan schema", async () => {
    const a = `sha256:${"a".repeat(64)}`;
    const b = `sha256:${"b".repeat(64)}`;
    const every = diff({
      desired: [
        { address: 'bundle.b.image["x/y:1"]', kind: "image", registry: "m", repository: "y", tag: "1", source: "x/y:1", digest: a, content: [{ digest: a, size: 1, mediaType: "application/vnd.oci.image.manifest.v1+json" }], copy: { sourceDigest: a, sourceMediaType: "application/vnd.oci.image.manifest.v1+json", sourceSize: 1, preserveDigests: true } },
        { address: 'bundle.b.image["x/y:2"]', kind: "image", registry: "m", repository: "y", tag: "2", source: "x/y:2", digest: a, content: [], copy: { sourceDigest: a, sourceMediaType: "application/vnd.oci.image.manifest.v1+json", sourceSize: 1, preserveDigests: true } },
        { address: 'bundle.b.image["x/y:3"]', kind: "image", registry: "m", repository: "y", tag: "3", source: "x/y:3", digest: a, content: [], copy: { sourceDigest: a, sourceMediaType: "application/vnd.oci.image.manifest.v1+json", sourceSize: 1, preserveDigests: true } },
      ],
      observed: new Map([
        ['bundle.b.image["x/y:2"]', { state: "present", digest: b }],
        ['bundle.b.image["x/y:3"]', { state: "present", digest: a }],
      ]),
      pruneCandidates: [{ address: 'bundle.b.image["m/y:old"]', kind: "image", registry: "m", repository: "y", tag: "old", digest: b }],
      prerequisites: [{ address: 'registry.m.prerequisite["project y"]', kind: "prerequisite", action: "create", registry: "m", reason: "missing", provider: { name: "harbor", data: { project: "y" } } }],
      outputs: [{ address: 'cluster.output["out/k0s.yaml"]', kind: "output", action: "create", format: "k0s", path: "out/k0s.yaml", output: 0, after: a, content: "x\n", diff: "+x\n", reason: "no such file" }],
    });
    expect(new Set(every.changes.map((c) => `${c.kind}:${c.action}`))).toEqual(new Set(["prerequisite:create", "image:create", "image:update", "image:no-op", "image:delete", "output:create"]));
    const path = join(tempDir(), "every.json");
    await writePlanFile(path, createPlanFile(every, inputs, "0.1.0"));
    expect((await readPlanFile(path)).plan).toEqual(every);
    // A delete that carries what only a create has is not a plan.
    const value = JSON.parse(readFileSync(path, "utf8")) as { plan: { changes: Record<string, unknown>[] } };
    const remove = value.plan.changes.find((c) => c["action"] === "delete")!;
    remove["copy"] = { sourceDigest: a, sourceMediaType: "x", sourceSize: 1, preserveDigests: true };
    writeFileSync(path, JSON.stringify(value));
    await expect(readPlanFile(path)).rejects.toThrow(/not a valid plan/);
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
