/**
 * Prune: with `prune: true`, a tag pushed straight into a repository the
 * bundle manages is planned as `-` and deleted by apply; tags outside the
 * bundle's repositories (even under its path prefix) are never touched, and
 * neither is a stray tag sharing a desired digest (registries delete by
 * digest, which would take the desired tag with it).
 */
import { describe, expect, it } from "vitest";
import { generateImages, pushImages } from "../../harness/images.js";
import { inspectRaw } from "../../harness/skopeo.js";
import { copyAllToLayout, inspect, listTags, planJson, useRegistryPair, workflowConfig } from "./workflow.js";

const images = generateImages("wf-prune");
const stray = generateImages("wf-prune-stray", [
  { repository: "mke/team/sub/app", tags: ["stray"], format: "oci" }, // managed repository: pruned
  { repository: "mke/team/sub/unmanaged", tags: ["keep"], format: "oci" }, // under the path prefix, not managed
  { repository: "elsewhere/app", tags: ["stray"], format: "docker" }, // outside the bundle altogether
]);

const pair = useRegistryPair(images);

describe("prune", () => {
  it("deletes a stray tag in a managed repository and nothing outside the bundle's repositories", async () => {
    const ws = pair.workspace("prune");
    ws.writeConfig(
      workflowConfig({
        upstreamHost: pair.upstream.host,
        upstreamUrl: pair.upstream.url,
        mirrorUrl: pair.mirror.url,
        prune: true,
        images: [`${pair.upstream.host}/team/sub/app:v1`, `${pair.upstream.host}/library/single:1.0`],
      }),
    );
    const first = await ws.run(["apply", "--auto-approve"]);
    expect(first.stderr).toContain("Apply complete: 2 done, 0 failed");
    expect(first.code).toBe(0);

    // Extra tags straight into the target: a stray one with its own digest, an alias of v1's digest, and tags elsewhere.
    await pushImages(pair.mirror, stray);
    const v1 = await inspectRaw(`docker://${pair.mirror.host}/mke/team/sub/app:v1`, { tlsVerify: false });
    const alias = await pair.mirror.fetch("/v2/mke/team/sub/app/manifests/alias", {
      method: "PUT",
      headers: { "content-type": v1.mediaType ?? "" },
      body: new Uint8Array(v1.bytes),
    });
    expect(alias.status).toBe(201);
    const strayDigest = stray.get("mke/team/sub/app", "stray").root.digest;
    expect(await listTags(pair.mirror, "mke/team/sub/app")).toEqual(["alias", "stray", "v1"]);

    const plan = await ws.run(["plan", "--detailed-exitcode"]);
    expect(plan.stdout).toContain(`mirror: mke/team/sub/app\n  - :stray  (${strayDigest.slice(0, 19)})  # not desired (prune)`);
    expect(plan.stdout).toMatch(/Plan: 0 to add, 0 to change, 1 to destroy\./);
    expect(plan.code).toBe(2);
    const json = await planJson(ws);
    expect(json.changes.filter((c) => c.action !== "no-op")).toEqual([
      expect.objectContaining({ action: "delete", registry: "mirror", repository: "mke/team/sub/app", tag: "stray", before: strayDigest }),
    ]);

    const apply = await ws.run(["apply", "--auto-approve"]);
    expect(apply.stderr).toMatch(/deleted bundle\.platform\.image\["mirror\/mke\/team\/sub\/app:stray"\]/);
    expect(apply.stderr).toContain("Apply complete: 1 done, 0 failed");
    expect(apply.code).toBe(0);

    expect(await listTags(pair.mirror, "mke/team/sub/app")).toEqual(["alias", "v1"]);
    await expect(inspect(pair.mirror.host, "mke/team/sub/app:stray")).rejects.toThrow(/manifest unknown|not found/i);
    expect((await inspect(pair.mirror.host, "mke/team/sub/app:v1")).digest).toBe(v1.digest);
    await copyAllToLayout(pair.mirror.host, "mke/team/sub/app:v1");
    await copyAllToLayout(pair.mirror.host, "mke/library/single:1.0");
    // Not managed by the bundle: untouched.
    expect(await listTags(pair.mirror, "mke/team/sub/unmanaged")).toEqual(["keep"]);
    expect(await listTags(pair.mirror, "elsewhere/app")).toEqual(["stray"]);
    expect((await inspect(pair.mirror.host, "elsewhere/app:stray")).digest).toBe(stray.get("elsewhere/app", "stray").root.digest);
    await copyAllToLayout(pair.mirror.host, "mke/team/sub/unmanaged:keep");

    const again = await ws.run(["plan", "--detailed-exitcode"]);
    expect(again.stdout).toContain("No changes. 2 objects up to date.");
    expect(again.code).toBe(0);
  });
});
