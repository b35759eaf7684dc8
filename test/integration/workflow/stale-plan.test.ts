/**
 * A saved plan is refused once a target it would change moved after it was
 * made: `apply p.json` exits 1 with "stale plan", writes nothing, and a fresh
 * plan then shows the change against what the target holds now.
 */
import { describe, expect, it } from "vitest";
import { generateImages, pushImages } from "../../harness/images.js";
import { copyAllToLayout, inspect, listTags, useRegistryPair, workflowConfig } from "./workflow.js";

const images = generateImages("wf-stale");
const intruder = generateImages("wf-stale-intruder", [{ repository: "mke/team/sub/app", tags: ["v1"], format: "oci" }]);

const pair = useRegistryPair(images);

describe("stale plan", () => {
  it("refuses a saved plan whose target changed since, and applies nothing", async () => {
    const ws = pair.workspace("stale");
    ws.writeConfig(
      workflowConfig({
        upstreamHost: pair.upstream.host,
        upstreamUrl: pair.upstream.url,
        mirrorUrl: pair.mirror.url,
        images: [`${pair.upstream.host}/team/sub/app:v1`, `${pair.upstream.host}/team/sub/legacy:v1`],
      }),
    );
    expect((await ws.run(["lock"])).code).toBe(0);
    const saved = await ws.run(["plan", "-out", "p.json"]);
    expect(saved.stdout).toMatch(/Plan: 2 to add, 0 to change, 0 to destroy\./);
    expect(saved.code).toBe(0);

    // Someone writes a planned tag directly into the target after the plan was made.
    await pushImages(pair.mirror, intruder);
    const intruderDigest = intruder.get("mke/team/sub/app", "v1").root.digest;

    const apply = await ws.run(["apply", "p.json"]);
    expect(apply.stderr).toContain("stale plan: 1 target object(s) changed since the plan was made");
    expect(apply.stderr).toContain(`bundle.platform.image["${pair.upstream.host}/team/sub/app:v1"]: planned over absent, now ${intruderDigest}`);
    expect(apply.stderr).toContain("Run `airgap plan` again");
    expect(apply.code).toBe(1);
    // Nothing was applied: the intruder is still there, the other planned image was not copied.
    expect((await inspect(pair.mirror.host, "mke/team/sub/app:v1")).digest).toBe(intruderDigest);
    expect(await listTags(pair.mirror, "mke/team/sub/legacy")).toEqual([]);

    // A fresh plan sees the intruder and replaces it.
    const plan = await ws.run(["plan", "-out", "p2.json", "--detailed-exitcode"]);
    expect(plan.stdout).toContain(`~ :v1 ← ${pair.upstream.host}/team/sub/app:v1  (${intruderDigest.slice(0, 19)} → `);
    expect(plan.stdout).toMatch(/Plan: 1 to add, 1 to change, 0 to destroy\./);
    expect(plan.code).toBe(2);
    const fresh = await ws.run(["apply", "p2.json"]);
    expect(fresh.stderr).toContain("Apply complete: 2 done, 0 failed");
    expect(fresh.code).toBe(0);
    expect((await inspect(pair.mirror.host, "mke/team/sub/app:v1")).digest).not.toBe(intruderDigest);
    await copyAllToLayout(pair.mirror.host, "mke/team/sub/app:v1");
    await copyAllToLayout(pair.mirror.host, "mke/team/sub/legacy:v1");
    // The applied plan is now stale in turn.
    const replay = await ws.run(["apply", "p2.json"]);
    expect(replay.stderr).toContain("stale plan: 2 target object(s) changed");
    expect(replay.code).toBe(1);
  });
});
