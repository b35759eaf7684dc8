/**
 * What a plan puts on the wire, counted by TCP proxies in front of the real
 * registries (issue 14): a manifest shared by many tags is fetched once per
 * run, and a no-op plan over N locked tags asks the target about once per
 * tag, over at most `concurrency` connections, and the source nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCountingProxy, type CountingProxy } from "../../harness/counting-proxy.js";
import { generateImages } from "../../harness/images.js";
import { planJson, useRegistryPair, workflowConfig, type Workspace } from "./workflow.js";

const N = 40;
const TAGS = Array.from({ length: N }, (_, i) => `1.${i}`);
const CONCURRENCY = 3;
const images = generateImages("wire-counts", [{ repository: "wire/app", tags: TAGS, format: "oci" }]);
const pair = useRegistryPair(images);
let upstream: CountingProxy;
let mirror: CountingProxy;

beforeAll(async () => {
  [upstream, mirror] = await Promise.all([startCountingProxy(pair.upstream), startCountingProxy(pair.mirror)]);
});
afterAll(async () => {
  await Promise.all([upstream?.stop(), mirror?.stop()]);
});

function workspace(label: string): Workspace {
  const ws = pair.workspace(label);
  const yaml = workflowConfig({
    upstreamHost: pair.upstream.host,
    upstreamUrl: upstream.url,
    mirrorUrl: mirror.url,
    path: label,
    images: TAGS.map((t) => `${pair.upstream.host}/wire/app:${t}`),
  });
  // The mirror's own per-host limit, which a user sets in airgap.yaml.
  ws.writeConfig(yaml.replace(/(mirror: \{ provider: oci, url: "[^"]+")/, `$1, concurrency: ${CONCURRENCY}`));
  return ws;
}

describe("requests of a plan", () => {
  it(`over ${N} tags sharing one digest, without a lock: one GET of that manifest and its config, one HEAD per tag; the empty target is asked once`, async () => {
    const ws = workspace("nolock");
    upstream.reset();
    mirror.reset();
    const plan = await planJson(ws);
    expect(plan.summary.add).toBe(N);
    // The source: each tag resolved once; the manifest and its config (read for the imgpkg label) once per digest.
    expect(upstream.counts()).toEqual({ "GET manifests": 1, "HEAD manifests": N, "GET blobs": 1 });
    // The target: one tag list says none of the N tags is there, checked by one HEAD of a tag it leaves
    // out (no HEAD per tag, no second observation); then the manifest and blobs the change needs, once each.
    const image = images.images[0]!;
    const blobs = image.root.kind === "manifest" ? new Set([image.root.config.digest, ...image.root.layers.map((l) => l.digest)]).size : 0;
    expect(mirror.counts((r) => r.path !== "/v2/")).toEqual({ "GET tags": 1, "HEAD blobs": blobs, "HEAD manifests": 2 });
  });

  it(`a cold apply of ${N} tags of one image: each blob and the manifest go up once, then one PUT per tag`, async () => {
    const ws = workspace("cold");
    upstream.reset();
    mirror.reset();
    const apply = await ws.run(["apply", "--auto-approve"]);
    expect(apply.code).toBe(0);
    const image = images.images[0]!;
    const blobs = image.root.kind === "manifest" ? new Set([image.root.config.digest, ...image.root.layers.map((l) => l.digest)]).size : 0;
    // The source: each tag resolved once, the manifest read once, each blob once (the config once more, for the imgpkg label).
    expect(upstream.counts()).toEqual({ "HEAD manifests": N, "GET manifests": 1, "GET blobs": blobs + 1 });
    // The target: one tag list instead of N HEADs; each blob goes up once (POST, then one PUT with the bytes);
    // the manifest once by digest, then one PUT per tag. At most one existence check per blob or manifest
    // in the plan and one when copying.
    const target = mirror.counts((r) => r.path !== "/v2/");
    expect(target).toMatchObject({ "GET tags": 1, "POST uploads": blobs, "PUT uploads": blobs, "PUT manifests": N + 1 });
    expect(target["PATCH uploads"]).toBeUndefined();
    expect(target["HEAD blobs"]).toBeLessThanOrEqual(2 * blobs);
    expect(target["HEAD manifests"] ?? 0).toBeLessThanOrEqual(3);
    expect(Object.values(target).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(N + 1 + 5 * blobs + 5);
    // And the target holds all N tags: the next plan is a no-op.
    const after = await planJson(ws);
    expect(after.summary).toMatchObject({ add: 0, change: 0, unchanged: N });
  });

  it(`a no-op over ${N} locked tags: about one target request per tag over at most ${CONCURRENCY} connections, none to the source`, async () => {
    const ws = workspace("locked");
    expect((await ws.run(["lock"])).code).toBe(0);
    const apply = await ws.run(["apply", "--auto-approve"]);
    expect(apply.stderr).toContain(`Apply complete: ${N} done, 0 failed`);
    upstream.reset();
    mirror.reset();
    const plan = await planJson(ws);
    expect(plan.summary).toMatchObject({ add: 0, change: 0, unchanged: N });
    const target = mirror.requests.filter((r) => r.path !== "/v2/");
    expect(target.length).toBeGreaterThanOrEqual(N);
    expect(target.length).toBeLessThanOrEqual(N + 2);
    expect(mirror.connections).toBeLessThanOrEqual(CONCURRENCY);
    // The lock pins every digest, and nothing changes: the source is not asked anything.
    expect(upstream.requests).toEqual([]);
  });

  it("a locked plan where something changes still reads the source, and plans the same uploads as without the lock", async () => {
    const locked = workspace("changing");
    expect((await locked.run(["lock"])).code).toBe(0);
    const unlocked = workspace("changing-direct");
    upstream.reset();
    mirror.reset();
    const run = await locked.run(["plan", "--json"]);
    expect(run.code).toBe(0);
    const plan = JSON.parse(run.stdout) as { summary: { add: number }; changes: { action: string; transfer?: number; uploads?: { digest: string }[] }[] };
    expect(plan.summary.add).toBe(N);
    expect(upstream.counts()["GET manifests"]).toBeGreaterThanOrEqual(1);
    // The second pass (after the lock's digests turned out to change) keeps what the first observed.
    expect(mirror.counts((r) => r.path.endsWith("/tags/list"))).toEqual({ "GET tags": 1 });
    const direct = JSON.parse((await unlocked.run(["plan", "--json"])).stdout) as typeof plan;
    const uploads = (p: typeof plan) => p.changes.flatMap((c) => c.uploads?.map((u) => u.digest) ?? []).sort();
    const image = images.images[0]!;
    expect(uploads(plan)).toEqual(uploads(direct));
    expect(uploads(plan)).toEqual(expect.arrayContaining(image.root.kind === "manifest" ? image.root.layers.map((l) => l.digest) : []));
  });
});
