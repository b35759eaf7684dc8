/**
 * A tag that moves at the source: without a lock the next plan shows it as
 * an update (`~ before → after`); with a lock the plan stays pinned until
 * `airgap lock --update`, then shows the same update. apply converges both.
 */
import { describe, expect, it } from "vitest";
import { generateImages, LINUX_AMD64, LINUX_ARM64, pushImages } from "../../harness/images.js";
import { copyAllToLayout, inspect, planJson, useRegistryPair, workflowConfig } from "./workflow.js";
import type { Workspace } from "./workflow.js";

const images = generateImages("wf-move");
const moved = generateImages("wf-move-later", [{ repository: "team/sub/app", tags: ["v1"], format: "oci", platforms: [LINUX_AMD64, LINUX_ARM64] }]);
const short = (digest: string) => digest.slice(0, "sha256:".length + 12);

const pair = useRegistryPair(images);

function workspace(path: string): Workspace {
  const ws = pair.workspace(path);
  ws.writeConfig(workflowConfig({ upstreamHost: pair.upstream.host, upstreamUrl: pair.upstream.url, mirrorUrl: pair.mirror.url, path, images: [`${pair.upstream.host}/team/sub/app:v1`, `${pair.upstream.host}/team/sub/legacy:v1`] }));
  return ws;
}

describe("a tag moved at the source", () => {
  it("shows as an update with before → after (directly without a lock; after lock --update with one), and apply converges", async () => {
    const direct = workspace("direct");
    const locked = workspace("locked");
    expect((await locked.run(["lock"])).code).toBe(0);
    for (const ws of [direct, locked]) {
      const apply = await ws.run(["apply", "--auto-approve"]);
      expect(apply.stderr).toContain("Apply complete: 2 done, 0 failed");
      expect(apply.code).toBe(0);
    }
    const oldDigest = (await inspect(pair.mirror.host, "direct/team/sub/app:v1")).digest;
    expect((await inspect(pair.mirror.host, "locked/team/sub/app:v1")).digest).toBe(oldDigest);

    // Someone pushes new content under the same tag upstream (both platforms are kept, so the target digest is upstream's).
    await pushImages(pair.upstream, moved);
    const newDigest = moved.get("team/sub/app", "v1").root.digest;
    expect(newDigest).not.toBe(oldDigest);

    // Without a lock: the plan sees the move at once.
    const plan = await direct.run(["plan", "--detailed-exitcode"]);
    expect(plan.stdout).toContain(`~ :v1 ← ${pair.upstream.host}/team/sub/app:v1  (${short(oldDigest)} → ${short(newDigest)}, `);
    expect(plan.stdout).toContain("# tag points at another digest");
    expect(plan.stdout).toMatch(/Plan: 0 to add, 1 to change, 0 to destroy\./);
    expect(plan.code).toBe(2);
    const json = await planJson(direct);
    expect(json.changes.filter((c) => c.action === "update")).toEqual([
      expect.objectContaining({ repository: "direct/team/sub/app", tag: "v1", before: oldDigest, after: newDigest }),
    ]);

    // With a lock: pinned until the lock is updated.
    const pinned = await locked.run(["plan", "--detailed-exitcode"]);
    expect(pinned.stdout).toContain("No changes.");
    expect(pinned.code).toBe(0);
    const update = await locked.run(["lock", "--update"]);
    expect(update.stderr).toContain("Wrote airgap.lock");
    expect(update.code).toBe(0);
    const after = await locked.run(["plan", "--detailed-exitcode"]);
    expect(after.stdout).toContain(`~ :v1 ← ${pair.upstream.host}/team/sub/app:v1  (${short(oldDigest)} → ${short(newDigest)}, `);
    expect(after.stdout).toMatch(/Plan: 0 to add, 1 to change, 0 to destroy\./);
    expect(after.code).toBe(2);

    for (const ws of [direct, locked]) {
      const apply = await ws.run(["apply", "--auto-approve"]);
      expect(apply.stderr).toMatch(/updated bundle\.platform\.image\["[^"]+\/team\/sub\/app:v1"\]/);
      expect(apply.stderr).toContain("Apply complete: 1 done, 0 failed");
      expect(apply.code).toBe(0);
      const again = await ws.run(["plan", "--detailed-exitcode"]);
      expect(again.stdout).toContain("No changes. 2 objects up to date.");
      expect(again.code).toBe(0);
    }
    for (const path of ["direct", "locked"]) {
      const target = await inspect(pair.mirror.host, `${path}/team/sub/app:v1`);
      expect(target.digest).toBe(newDigest);
      await copyAllToLayout(pair.mirror.host, `${path}/team/sub/app:v1`);
      // The untouched image stayed where it was.
      expect((await inspect(pair.mirror.host, `${path}/team/sub/legacy:v1`)).digest).toBe(images.get("team/sub/legacy", "v1").root.digest);
    }
  });
});
