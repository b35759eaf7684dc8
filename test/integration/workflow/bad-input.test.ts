/**
 * Bad input: airgap.lock names a digest the source no longer has (the tag
 * was moved upstream and the old manifest deleted). `plan` with that lock
 * and `lock` both exit 1 naming the reference and the digest; the lock file
 * is left as it was, the target untouched, and `lock --update REF` recovers.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateImages, LINUX_AMD64, LINUX_ARM64, pushImages } from "../../harness/images.js";
import { listTags, useRegistryPair, workflowConfig } from "./workflow.js";

const images = generateImages("wf-bad");
const moved = generateImages("wf-bad-moved", [{ repository: "team/sub/app", tags: ["v1"], format: "oci", platforms: [LINUX_AMD64, LINUX_ARM64] }]);

const pair = useRegistryPair(images);

describe("bad input", () => {
  it("a lock naming a digest the source no longer has: plan and lock exit 1 naming the reference", async () => {
    const ws = pair.workspace("bad");
    ws.writeConfig(
      workflowConfig({
        upstreamHost: pair.upstream.host,
        upstreamUrl: pair.upstream.url,
        mirrorUrl: pair.mirror.url,
        images: [`${pair.upstream.host}/team/sub/app:v1`, `${pair.upstream.host}/team/sub/legacy:v1`],
      }),
    );
    expect((await ws.run(["lock"])).code).toBe(0);
    const lockPath = join(ws.dir, "airgap.lock");
    const lockText = readFileSync(lockPath, "utf8");
    const gone = images.get("team/sub/app", "v1").root.digest;
    expect(lockText).toContain(gone);

    // Upstream retags v1 and deletes the old manifest.
    await pushImages(pair.upstream, moved);
    const del = await pair.upstream.fetch(`/v2/team/sub/app/manifests/${gone}`, { method: "DELETE" });
    expect(del.status).toBe(202);
    const reference = `${pair.upstream.host}/team/sub/app:v1`;

    const plan = await ws.run(["plan"]);
    expect(plan.code).toBe(1);
    expect(plan.stdout).toBe("");
    const planError = plan.stderr.split("\n").find((l) => l.includes(reference)) ?? "";
    expect(planError).toMatch(/^airgap\.yaml:\d+:\d+: error: /);
    expect(planError).toContain(gone);
    expect(planError).toMatch(/airgap\.lock pins .* which .* no longer has; run `airgap lock --update /);
    expect(plan.stderr).not.toContain("internal error");

    const lock = await ws.run(["lock"]);
    expect(lock.code).toBe(1);
    expect(lock.stderr).toContain(`airgap.lock pins ${reference} to ${gone}, which ${pair.upstream.host}/team/sub/app no longer has`);
    expect(lock.stderr).toContain(`run \`airgap lock --update ${reference}\``);
    expect(lock.stderr).toContain("airgap.lock was not written");
    expect(readFileSync(lockPath, "utf8")).toBe(lockText);
    expect(await listTags(pair.mirror, "mke/team/sub/app")).toEqual([]);

    // The advice works.
    const update = await ws.run(["lock", "--update", reference]);
    expect(update.code).toBe(0);
    const relocked = readFileSync(lockPath, "utf8");
    expect(relocked).not.toContain(gone);
    expect(relocked).toContain(moved.get("team/sub/app", "v1").root.digest);
    const recovered = await ws.run(["plan", "--detailed-exitcode"]);
    expect(recovered.stdout).toMatch(/Plan: 2 to add/);
    expect(recovered.code).toBe(2);
  });
});
