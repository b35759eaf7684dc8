/**
 * A target that answers 500 for one repository (a fault proxy in front of
 * the mirror fails every manifest PUT there): apply exits 1, its summary
 * names the failed address with the registry's own error text, the other
 * images land complete, and once the target recovers a rerun converges.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { faults, startFaultProxy, when } from "../../harness/fault-proxy.js";
import type { FaultProxy } from "../../harness/fault-proxy.js";
import { generateImages, pushImages } from "../../harness/images.js";
import { startRegistry } from "../../harness/registry.js";
import type { RunningRegistry } from "../../harness/registry.js";
import { copyAllToLayout, createWorkspace, inspect, listTags, planJson, targetRef, workflowConfig } from "./workflow.js";
import type { Workspace } from "./workflow.js";

const images = generateImages("wf-500");
const MESSAGE = "storage driver error: shard 7 is read-only";

let upstream: RunningRegistry;
let mirror: RunningRegistry;
let proxy: FaultProxy | undefined;
let ws: Workspace | undefined;

beforeAll(async () => {
  [upstream, mirror] = await Promise.all([startRegistry(), startRegistry()]);
  await pushImages(upstream, images);
  proxy = await startFaultProxy({ upstream: mirror });
});

afterAll(async () => {
  await proxy?.stop();
  await Promise.all([upstream?.stop(), mirror?.stop()]);
  ws?.remove();
});

describe("a target that answers 500", () => {
  it("exits 1 with a summary naming the failed address and the registry's error; the other images are applied", async () => {
    if (!proxy) throw new Error("no proxy");
    ws = createWorkspace("t500");
    ws.writeConfig(
      workflowConfig({
        upstreamHost: upstream.host,
        upstreamUrl: upstream.url,
        mirrorUrl: proxy.url,
        images: [`${upstream.host}/team/sub/app:v1`, `${upstream.host}/team/sub/legacy:v1`, `${upstream.host}/library/oci-single:1.0`],
      }),
    );
    const plan = await planJson(ws);
    expect(plan.summary).toEqual(expect.objectContaining({ add: 3 }));
    const failing = `bundle.platform.image["${upstream.host}/team/sub/legacy:v1"]`;

    proxy.setRule(
      when({ method: "PUT", kind: "manifest", repository: "mke/team/sub/legacy" }, faults.status(500, { body: JSON.stringify({ errors: [{ code: "UNKNOWN", message: MESSAGE }] }) })),
    );
    const apply = await ws.run(["apply", "--auto-approve"]);
    expect(apply.code).toBe(1);
    const summary = apply.stderr.slice(apply.stderr.indexOf("Apply finished with errors"));
    expect(summary).toMatch(/^Apply finished with errors: 2 done, 1 failed, 0 not started\./);
    const failureLines = summary.split("\n").slice(1).filter((l) => l.startsWith("  "));
    expect(failureLines).toHaveLength(1);
    expect(failureLines[0]).toContain(`  ${failing}: `);
    expect(failureLines[0]).toContain(MESSAGE);
    expect(failureLines[0]).toMatch(/answered 500: UNKNOWN: .*\(after \d+ attempts\)/);
    // The proxy really answered 500 (retried, as 5xx is transient), and only for that repository.
    const injected = proxy.requests.filter((r) => r.status === 500);
    expect(injected.length).toBeGreaterThan(1);
    expect(new Set(injected.map((r) => r.repository))).toEqual(new Set(["mke/team/sub/legacy"]));

    // The JSON output keeps the registry's facts as fields: status, its own code, temporary (a 500 may pass).
    const json = await ws.run(["apply", "--auto-approve", "--json"]);
    expect(json.code).toBe(1);
    const events = json.stdout.split("\n").filter(Boolean).map((line) => JSON.parse(line) as { type: string; address?: string; error?: Record<string, unknown> });
    const failed = events.filter((e) => e.type === "change-failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ address: failing, error: { status: 500, serverCodes: ["UNKNOWN"], temporary: true, code: "COPY_FAILED" } });
    expect(failed[0]!.error!["message"]).toContain(MESSAGE);

    // The others landed, complete, as planned; the failed one has no tag.
    for (const change of plan.changes.filter((c) => c.address !== failing)) {
      expect((await inspect(mirror.host, targetRef(change))).digest).toBe(change.after);
      await copyAllToLayout(mirror.host, targetRef(change));
    }
    expect(await listTags(mirror, "mke/team/sub/legacy")).toEqual([]);

    // The target recovers: the rerun does only what is left.
    proxy.setRule(undefined);
    const rerun = await ws.run(["apply", "--auto-approve"]);
    expect(rerun.stdout).toMatch(/Plan: 1 to add, 0 to change, 0 to destroy\./);
    expect(rerun.stderr).toContain("Apply complete: 1 done, 0 failed");
    expect(rerun.code).toBe(0);
    await copyAllToLayout(mirror.host, "mke/team/sub/legacy:v1");
  });
});
