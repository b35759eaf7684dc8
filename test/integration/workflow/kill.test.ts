/**
 * `kill -9` in the middle of an apply: the upstream is slowed by a fault
 * proxy that throttles the big layers, the CLI is killed once small images
 * are done and big layers are half-way. Right after the kill every tag the
 * target holds is a complete image (skopeo pulls it whole) and the big ones
 * are untagged; a rerun then converges and skopeo verifies every image.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { faults, startFaultProxy, when } from "../../harness/fault-proxy.js";
import type { FaultProxy } from "../../harness/fault-proxy.js";
import { generateImages, LINUX_AMD64, LINUX_ARM64, pushImages } from "../../harness/images.js";
import { startRegistry } from "../../harness/registry.js";
import type { RunningRegistry } from "../../harness/registry.js";
import { copyAllToLayout, createWorkspace, inspect, listTags, planJson, targetRef, waitFor, workflowConfig } from "./workflow.js";
import type { Workspace } from "./workflow.js";

const images = generateImages("wf-kill", [
  { repository: "kill/small-a", tags: ["1"], format: "oci" },
  { repository: "kill/small-b", tags: ["1"], format: "docker", platforms: [LINUX_AMD64, LINUX_ARM64] },
  { repository: "kill/big-a", tags: ["1"], format: "oci", layerSize: 400_000 },
  { repository: "kill/big-b", tags: ["1"], format: "oci", platforms: [LINUX_AMD64, LINUX_ARM64], layerSize: 300_000 },
]);
/** The image-specific layers of the big images (the shared base layers are small). */
const bigLayers = ["kill/big-a", "kill/big-b"].flatMap((repository) => {
  const root = images.get(repository, "1").root;
  return (root.kind === "index" ? root.manifests : [root]).flatMap((m) => m.layers.filter((l) => l.size > 100_000).map((l) => l.digest));
});
const BYTES_PER_SECOND = 40_000;

let upstream: RunningRegistry;
let mirror: RunningRegistry;
let proxy: FaultProxy | undefined;
let ws: Workspace | undefined;

beforeAll(async () => {
  [upstream, mirror] = await Promise.all([startRegistry(), startRegistry()]);
  await pushImages(upstream, images);
  proxy = await startFaultProxy({ upstream });
});

afterAll(async () => {
  await proxy?.stop();
  await Promise.all([upstream?.stop(), mirror?.stop()]);
  ws?.remove();
});

describe("kill -9 during apply", () => {
  it("leaves only complete images tagged, and a rerun converges", async () => {
    if (!proxy) throw new Error("no proxy");
    const slow = proxy;
    expect(bigLayers).toHaveLength(3);
    ws = createWorkspace("kill");
    ws.writeConfig(
      workflowConfig({
        upstreamHost: upstream.host,
        upstreamUrl: slow.url,
        mirrorUrl: mirror.url,
        images: images.images.map((i) => `${upstream.host}/${i.repository}:1`),
      }),
    );
    const plan = await planJson(ws);
    expect(plan.summary).toEqual(expect.objectContaining({ add: 4 }));
    const repositories = [...new Set(plan.changes.map((c) => c.repository ?? ""))];

    slow.setRule(when({ method: "GET", kind: "blob", path: new RegExp(bigLayers.join("|")) }, faults.throttle(BYTES_PER_SECOND)));
    const run = ws.start(["apply", "--auto-approve"]);
    let exit: Awaited<typeof run.exited> | undefined;
    void run.exited.then((e) => (exit = e));
    // Kill once the small images are tagged and the big layers are moving.
    await waitFor(
      "small images tagged and big layers half-way",
      async () => {
        if (exit) throw new Error(`apply ended before the kill (exit ${String(exit.code)}):\n${exit.stderr}`);
        const moving = slow.requests.filter((r) => r.action === "throttle" && r.responseBytes >= BYTES_PER_SECOND / 2);
        if (moving.length === 0) return false;
        const tagged = await Promise.all(["mke/kill/small-a", "mke/kill/small-b"].map((r) => listTags(mirror, r)));
        return tagged.every((t) => t.includes("1"));
      },
      20_000,
    );
    run.child.kill("SIGKILL");
    const killed = await run.exited;
    expect(killed.signal).toBe("SIGKILL");
    // The target was mid-transfer: upload sessions had been opened for the big images.
    expect(await mirror.readLog()).toMatch(/"POST \/v2\/mke\/kill\/big-[ab]\/blobs\/uploads\/ HTTP\/1\.1" 202/);

    // Right after the kill: every tag present is a complete image, as planned; the big ones are not tagged.
    const present: string[] = [];
    for (const repository of repositories) {
      for (const tag of await listTags(mirror, repository)) {
        const ref = `${repository}:${tag}`;
        present.push(ref);
        await copyAllToLayout(mirror.host, ref);
        expect((await inspect(mirror.host, ref)).digest).toBe(plan.changes.find((c) => targetRef(c) === ref)?.after);
      }
    }
    expect(present.sort()).toEqual(["mke/kill/small-a:1", "mke/kill/small-b:1"]);

    // The rerun, with the upstream back to full speed, does what is left and converges.
    slow.setRule(undefined);
    const rerun = await ws.run(["apply", "--auto-approve"]);
    expect(rerun.stdout).toMatch(/Plan: 2 to add, 0 to change, 0 to destroy\./);
    expect(rerun.stderr).toContain("Apply complete: 2 done, 0 failed");
    expect(rerun.code).toBe(0);
    for (const change of plan.changes) {
      expect((await inspect(mirror.host, targetRef(change))).digest).toBe(change.after);
      await copyAllToLayout(mirror.host, targetRef(change));
    }
    const again = await ws.run(["plan", "--detailed-exitcode"]);
    expect(again.stdout).toContain("No changes. 4 objects up to date.");
    expect(again.code).toBe(0);
  });

  it("Ctrl-C stops in-flight uploads, tags nothing incomplete, says what was done, and exits 1", async () => {
    if (!proxy) throw new Error("no proxy");
    const slow = proxy;
    const interrupted = createWorkspace("sigint");
    try {
      interrupted.writeConfig(
        workflowConfig({ upstreamHost: upstream.host, upstreamUrl: slow.url, mirrorUrl: mirror.url, path: "int", images: images.images.map((i) => `${upstream.host}/${i.repository}:1`) }),
      );
      slow.setRule(when({ method: "GET", kind: "blob", path: new RegExp(bigLayers.join("|")) }, faults.throttle(BYTES_PER_SECOND)));
      slow.clearRequests();
      const run = interrupted.start(["apply", "--auto-approve"]);
      await waitFor(
        "big layers moving",
        async () => slow.requests.some((r) => r.action === "throttle" && r.responseBytes >= BYTES_PER_SECOND / 4),
        20_000,
      );
      run.child.kill("SIGINT");
      const result = await run.exited;
      // Stops promptly: it dropped the throttled layer downloads instead of waiting for them to finish.
      const throttled = slow.requests.filter((r) => r.action === "throttle");
      expect(throttled.length).toBeGreaterThan(0);
      await waitFor("the proxy to see every throttled download end", () => throttled.every((r) => r.outcome !== "pending"));
      expect(throttled.map((r) => r.outcome)).toEqual(throttled.map(() => "client-aborted"));
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/Apply interrupted: \d+ done, \d+ failed, \d+ not started\./);
      expect(result.stderr).toContain("Nothing was tagged for unfinished changes");
      for (const repository of ["int/kill/big-a", "int/kill/big-b"]) expect(await listTags(mirror, repository)).toEqual([]);

      slow.setRule(undefined);
      const rerun = await interrupted.run(["apply", "--auto-approve"]);
      expect(rerun.code).toBe(0);
      expect((await interrupted.run(["plan", "--detailed-exitcode"])).code).toBe(0);
    } finally {
      slow.setRule(undefined);
      interrupted.remove();
    }
  });
});
