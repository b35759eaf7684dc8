/**
 * Mounts in the plan: a blob the target holds in another of its
 * repositories is listed under the change's `mounts` (with where from), moves
 * no bytes, and survives the plan file; the plan text says so.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MediaType } from "../../../src/core/media-types.js";
import { diff, type DesiredArtifact } from "../../../src/plan/diff.js";
import { isArtifactChange, type ArtifactCreate } from "../../../src/plan/model.js";
import { createPlanFile, readPlanFile, sha256Hex, writePlanFile } from "../../../src/plan/plan-file.js";
import { formatPlan } from "../../../src/ui/format/plan.js";
import { tempDir } from "../../helpers/config.js";

const d = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;
const copy = { sourceDigest: d(0), sourceMediaType: MediaType.OciManifest, sourceSize: 1, preserveDigests: true };
const item = (repository: string, digest: string, content: DesiredArtifact["content"]): DesiredArtifact => ({
  address: `bundle.b.image["x/${repository}:1"]`,
  kind: "image",
  registry: "mirror",
  repository,
  tag: "1",
  source: `x/${repository}:1`,
  digest,
  content,
  copy,
});
const base = { digest: d(7), size: 1000, mediaType: MediaType.OciLayerGzip };
const own = { digest: d(8), size: 10, mediaType: MediaType.OciLayerGzip };
const root = { digest: d(1), size: 5, mediaType: MediaType.OciManifest };

function created(plan: ReturnType<typeof diff>, repository: string): ArtifactCreate {
  const change = plan.changes.find((c) => isArtifactChange(c) && c.repository === repository);
  if (change?.action !== "create" || !isArtifactChange(change)) throw new Error(`no create for ${repository}`);
  return change;
}

describe("mounts in the plan", () => {
  it("lists a blob found in another repository as a mount from there, moving no bytes for it", () => {
    const plan = diff({
      desired: [item("apps/alpha", d(1), [root, base, own])],
      observed: new Map(),
      presentBlobs: new Map([["mirror", new Set([base.digest, root.digest])]]),
      blobLocations: new Map([["mirror", new Map([[base.digest, "apps/zeta"], [root.digest, "apps/zeta"]])]]),
    });
    const alpha = created(plan, "apps/alpha");
    // The manifest is pushed from the source's bytes, never mounted.
    expect(alpha.mounts).toEqual([{ ...base, from: "apps/zeta" }]);
    expect(alpha.uploads).toEqual([own]);
    expect(alpha.transfer).toBe(10);
    expect(plan.summary.transferBytes).toBe(10);
    expect(formatPlan(plan).map((l) => l.text).join("\n")).toMatch(/\+ :1 ← x\/apps\/alpha:1 {2}\(sha256:1111\w*, 10 B, 1 blob mounted from apps\/zeta\)/);
  });

  it("lists no mount for a blob found in the change's own repository, nor when nothing says where", () => {
    const present = new Map([["mirror", new Set([base.digest])]]);
    const own = diff({ desired: [item("apps/alpha", d(1), [base])], observed: new Map(), presentBlobs: present, blobLocations: new Map([["mirror", new Map([[base.digest, "apps/alpha"]])]]) });
    expect(created(own, "apps/alpha")).not.toHaveProperty("mounts");
    const unknown = diff({ desired: [item("apps/alpha", d(1), [base])], observed: new Map(), presentBlobs: present });
    expect(created(unknown, "apps/alpha")).not.toHaveProperty("mounts");
    expect(created(unknown, "apps/alpha").uploads).toEqual([]);
  });

  it("survives the plan file, checked by the plan schema", async () => {
    const plan = diff({
      desired: [item("apps/alpha", d(1), [base, own]), item("apps/beta", d(2), [base])],
      observed: new Map(),
      presentBlobs: new Map([["mirror", new Set([base.digest])]]),
      blobLocations: new Map([["mirror", new Map([[base.digest, "apps/zeta"]])]]),
    });
    expect(created(plan, "apps/beta").mounts).toEqual([{ ...base, from: "apps/zeta" }]);
    const path = join(tempDir(), "plan.json");
    await writePlanFile(path, createPlanFile(plan, { configSha256: sha256Hex("x") }, "0.1.0"));
    expect((await readPlanFile(path)).plan).toEqual(plan);
  });
});
