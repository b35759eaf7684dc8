/**
 * Prune never deletes what any bundle wants (issue 15): with `--target`,
 * the tags of another bundle sharing the repository are protected, and a
 * manifest that a desired index contains is kept even when an unwanted tag
 * points at it (registries delete by digest). Observation that fails (a
 * 503 or 403 while checking the target) stops the plan with the registry's
 * own text instead of counting the object as absent.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { faults, startFaultProxy, when } from "../../harness/fault-proxy.js";
import type { FaultProxy } from "../../harness/fault-proxy.js";
import { generateImages } from "../../harness/images.js";
import { copyAllToLayout, inspect, listTags, planJson, useRegistryPair, workflowConfig, type RegistryPair } from "./workflow.js";

const images = generateImages("wf-prune-safety");
const pair: RegistryPair = useRegistryPair(images);

/** Two bundles landing in one repository; only `a` prunes. */
function twoBundles(upstreamHost: string, upstreamUrl: string, mirrorUrl: string): string {
  return [
    "apiVersion: airgap/v1",
    "sources:",
    `  upstream: { type: registry, host: "${upstreamHost}", url: "${upstreamUrl}" }`,
    "registries:",
    `  mirror: { provider: oci, url: "${mirrorUrl}" }`,
    "bundles:",
    "  a:",
    "    registry: mirror",
    "    path: shared",
    "    platforms: [linux/amd64, linux/arm64]",
    "    prune: true",
    "    images:",
    `      - ${upstreamHost}/team/sub/app:v1`,
    "  b:",
    "    registry: mirror",
    "    path: shared",
    "    platforms: [linux/amd64, linux/arm64]",
    "    images:",
    `      - ${upstreamHost}/team/sub/app:v2`,
    "",
  ].join("\n");
}

describe("prune safety", () => {
  it("--target bundle.a never proposes deleting a tag that bundle b wants, and apply --target keeps it", async () => {
    const ws = pair.workspace("prune-target");
    ws.writeConfig(twoBundles(pair.upstream.host, pair.upstream.url, pair.mirror.url));
    const first = await ws.run(["apply", "--auto-approve"]);
    expect(first.stderr).toContain("Apply complete: 2 done, 0 failed");
    expect(await listTags(pair.mirror, "shared/team/sub/app")).toEqual(["v1", "v2"]);

    const narrowed = await planJson(ws, ["--target", "bundle.a"]);
    expect(narrowed.changes.filter((c) => c.action === "delete")).toEqual([]);
    expect(narrowed.changes.map((c) => c.address)).toEqual([`bundle.a.image["${pair.upstream.host}/team/sub/app:v1"]`]);

    const apply = await ws.run(["apply", "--auto-approve", "--target", "bundle.a"]);
    expect(apply.code).toBe(0);
    expect(await listTags(pair.mirror, "shared/team/sub/app")).toEqual(["v1", "v2"]);
    await copyAllToLayout(pair.mirror.host, "shared/team/sub/app:v2");
  });

  it("keeps a manifest that a desired index contains, even when an unwanted tag points at it", async () => {
    const ws = pair.workspace("prune-child");
    ws.writeConfig(
      workflowConfig({ upstreamHost: pair.upstream.host, upstreamUrl: pair.upstream.url, mirrorUrl: pair.mirror.url, path: "kids", prune: true, images: [`${pair.upstream.host}/team/sub/app:v1`] }),
    );
    expect((await ws.run(["apply", "--auto-approve"])).code).toBe(0);
    const index = await inspect(pair.mirror.host, "kids/team/sub/app:v1");
    const child = index.json.manifests?.[0];
    if (!child) throw new Error("v1 is not an index");
    // An unwanted tag on one of the kept index's children: deleting it by digest would break v1.
    const got = await pair.mirror.fetch(`/v2/kids/team/sub/app/manifests/${child.digest}`, { headers: { accept: "application/vnd.oci.image.manifest.v1+json" } });
    const bytes = new Uint8Array(await got.arrayBuffer());
    const put = await pair.mirror.fetch("/v2/kids/team/sub/app/manifests/amd64-only", { method: "PUT", headers: { "content-type": "application/vnd.oci.image.manifest.v1+json" }, body: bytes });
    expect(put.status).toBe(201);

    const plan = await planJson(ws);
    expect(plan.changes.filter((c) => c.action === "delete")).toEqual([]);
    expect((await ws.run(["apply", "--auto-approve"])).code).toBe(0);
    await copyAllToLayout(pair.mirror.host, "kids/team/sub/app:v1");
    expect(await listTags(pair.mirror, "kids/team/sub/app")).toEqual(["amd64-only", "v1"]);
  });
});

describe("observation errors", () => {
  let proxy: FaultProxy | undefined;
  beforeAll(async () => {
    proxy = await startFaultProxy({ upstream: pair.mirror });
  });
  afterAll(async () => {
    await proxy?.stop();
  });

  it("a 503 while checking a blob, or a 403 on a tag, stops the plan with the registry's own text", async () => {
    if (!proxy) throw new Error("no proxy");
    const ws = pair.workspace("observe-errors");
    ws.writeConfig(workflowConfig({ upstreamHost: pair.upstream.host, upstreamUrl: pair.upstream.url, mirrorUrl: proxy.url, path: "obs", images: [`${pair.upstream.host}/library/oci-single:1.0`] }));

    proxy.setRule(when({ method: "HEAD", kind: "blob" }, faults.status(503, { body: JSON.stringify({ errors: [{ code: "UNAVAILABLE", message: "blob store is rebalancing" }] }) })));
    const blob = await ws.run(["plan"]);
    expect(blob.code).toBe(1);
    expect(blob.stderr).toMatch(/could not observe/);
    expect(blob.stderr).toMatch(/503/);
    expect(blob.stdout).not.toMatch(/to add/);

    proxy.setRule(when({ method: ["HEAD", "GET"], kind: "manifest" }, faults.status(403, { body: JSON.stringify({ errors: [{ code: "DENIED", message: "project obs is locked for maintenance" }] }) })));
    const tag = await ws.run(["plan"]);
    expect(tag.code).toBe(1);
    expect(tag.stderr).toMatch(/403/);
    expect(tag.stdout).not.toMatch(/to add/);

    proxy.setRule(() => undefined);
    const ok = await ws.run(["plan"]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/Plan: 1 to add/);
  });
});

describe("--parallelism", () => {
  let proxy: FaultProxy | undefined;
  beforeAll(async () => {
    proxy = await startFaultProxy({ upstream: pair.mirror });
  });
  afterAll(async () => {
    await proxy?.stop();
  });

  /** The most requests the target had in flight at once (pings aside). */
  function maxInFlight(): number {
    const edges = (proxy?.requests ?? [])
      .filter((r) => r.kind !== "ping")
      .flatMap((r) => [
        { at: r.startOrder, delta: 1 },
        { at: r.endOrder ?? Number.MAX_SAFE_INTEGER, delta: -1 },
      ])
      .sort((a, b) => a.at - b.at);
    let now = 0;
    let max = 0;
    for (const e of edges) max = Math.max(max, (now += e.delta));
    return max;
  }

  it("is honoured exactly: with --parallelism 1 the target never has two requests in flight", async () => {
    if (!proxy) throw new Error("no proxy");
    const ws = pair.workspace("parallelism");
    ws.writeConfig(
      workflowConfig({
        upstreamHost: pair.upstream.host,
        upstreamUrl: pair.upstream.url,
        mirrorUrl: proxy.url,
        path: "par",
        images: [`${pair.upstream.host}/team/sub/app:v1`, `${pair.upstream.host}/team/sub/legacy:v1`, `${pair.upstream.host}/library/single:1.0`],
      }),
    );
    proxy.clearRequests();
    const run = await ws.run(["apply", "--auto-approve", "--parallelism", "1"]);
    expect(run.code).toBe(0);
    await proxy.settled();
    expect(proxy.requests.filter((r) => r.method === "PUT" && r.kind === "manifest").length).toBeGreaterThan(3);
    expect(maxInFlight()).toBe(1);
  });
});
