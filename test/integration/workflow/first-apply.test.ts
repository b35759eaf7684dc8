/**
 * The first apply from an upstream registry into an empty mirror registry,
 * through the built CLI, with skopeo as the independent reader: every target
 * holds what the plan promised (`after`), platform filtering keeps exactly
 * the upstream children of the kept platforms, preserveDigests keeps the
 * upstream index byte for byte, and every image pulls completely.
 * Then a re-plan has nothing to do.
 */
import { describe, expect, it } from "vitest";
import { generateImages } from "../../harness/images.js";
import type { TestImage } from "../../harness/images.js";
import { copyAllToLayout, inspect, planJson, platformOf, targetRef, upstreamOf, useRegistryPair, workflowConfig } from "./workflow.js";
import type { JsonPlan, Workspace } from "./workflow.js";

const images = generateImages("wf-first");
const KEPT = ["linux/amd64", "linux/arm64"];

const pair = useRegistryPair(images);

function workspace(label: string, yaml: string): Workspace {
  const ws = pair.workspace(label);
  ws.writeConfig(yaml);
  return ws;
}

/** Checks one applied change against the upstream image it came from. */
async function verifyFiltered(plan: JsonPlan, address: string): Promise<void> {
  const change = plan.changes.find((c) => c.address === address);
  if (change === undefined) throw new Error(`no change ${address} in the plan`);
  const from = upstreamOf(change, pair.upstream.host);
  const image: TestImage = images.get(from.repository, from.tag);
  const target = await inspect(pair.mirror.host, targetRef(change));
  expect(target.digest, address).toBe(change.after);
  expect(target.mediaType, address).toBe(image.root.mediaType);
  if (image.root.kind === "index") {
    const kept = image.root.manifests.filter((m) => KEPT.includes([m.platform.os, m.platform.architecture, m.platform.variant].filter(Boolean).join("/")));
    expect(target.json.manifests?.map((m) => `${platformOf(m)} ${m.digest}`), address).toEqual(
      kept.map((m) => `${[m.platform.os, m.platform.architecture, m.platform.variant].filter(Boolean).join("/")} ${m.digest}`),
    );
    if (kept.length === image.root.manifests.length) expect(target.digest, `${address}: nothing filtered, so the index is unchanged`).toBe(image.root.digest);
    else expect(target.digest, `${address}: filtered, so the index is rewritten`).not.toBe(image.root.digest);
    // Each kept child is byte-identical to upstream's.
    for (const child of kept) expect((await inspect(pair.mirror.host, `${change.repository}@${child.digest}`)).digest).toBe(child.digest);
  } else {
    expect(target.digest, address).toBe(image.root.digest);
  }
  await copyAllToLayout(pair.mirror.host, targetRef(change));
}

describe("first apply, registry to registry", () => {
  let ws: Workspace;

  it("applies every image; skopeo finds exactly what the plan said, and pulls each completely", async () => {
    ws = workspace(
      "first",
      workflowConfig({
        upstreamHost: pair.upstream.host,
        upstreamUrl: pair.upstream.url,
        mirrorUrl: pair.mirror.url,
        images: [
          `${pair.upstream.host}/team/sub/app:v1`, // OCI index, 3 platforms: filtered to 2
          `${pair.upstream.host}/team/sub/legacy:v1`, // Docker manifest list, 2 platforms: kept whole
          `${pair.upstream.host}/library/oci-single:1.0`,
          { ref: `${pair.upstream.host}/library/single`, tags: '{ glob: "*" }' }, // 1.0 and latest
        ],
      }),
    );
    const plan = await planJson(ws);
    expect(plan.summary).toEqual(expect.objectContaining({ add: 5, change: 0, destroy: 0 }));
    expect(plan.changes.map((c) => targetRef(c)).sort()).toEqual([
      "mke/library/oci-single:1.0",
      "mke/library/single:1.0",
      "mke/library/single:latest",
      "mke/team/sub/app:v1",
      "mke/team/sub/legacy:v1",
    ]);

    const apply = await ws.run(["apply", "--auto-approve"]);
    expect(apply.stderr).toContain("Apply complete: 5 done, 0 failed, 0 not started.");
    expect(apply.code).toBe(0);

    for (const change of plan.changes) await verifyFiltered(plan, change.address);
  });

  it("a re-plan after the apply shows no changes", async () => {
    const again = await ws.run(["plan", "--detailed-exitcode"]);
    expect(again.stderr).toBe("");
    expect(again.stdout).toContain("No changes. 5 objects up to date.");
    expect(again.code).toBe(0);
  });

  it("preserveDigests: true copies indexes whole, with upstream's digest", async () => {
    const keep = workspace(
      "preserve",
      workflowConfig({
        upstreamHost: pair.upstream.host,
        upstreamUrl: pair.upstream.url,
        mirrorUrl: pair.mirror.url,
        path: "keep",
        preserveDigests: true,
        images: [`${pair.upstream.host}/team/sub/app:v1`, `${pair.upstream.host}/team/sub/app:v2`],
      }),
    );
    const plan = await planJson(keep);
    expect(plan.summary).toEqual(expect.objectContaining({ add: 2 }));
    const apply = await keep.run(["apply", "--auto-approve"]);
    expect(apply.stderr).toContain("Apply complete: 2 done, 0 failed");
    expect(apply.code).toBe(0);
    for (const tag of ["v1", "v2"]) {
      const upstreamRoot = images.get("team/sub/app", tag).root;
      const target = await inspect(pair.mirror.host, `keep/team/sub/app:${tag}`);
      expect(target.digest).toBe(upstreamRoot.digest);
      expect(target.bytes.equals(upstreamRoot.bytes)).toBe(true);
      expect(plan.changes.find((c) => c.tag === tag)?.after).toBe(upstreamRoot.digest);
      await copyAllToLayout(pair.mirror.host, `keep/team/sub/app:${tag}`);
    }
    // v1 has linux/arm/v7 too, which the platform filter would have dropped.
    expect((await inspect(pair.mirror.host, "keep/team/sub/app:v1")).json.manifests?.map(platformOf)).toEqual(["linux/amd64", "linux/arm64", "linux/arm/v7"]);
    expect((await keep.run(["plan", "--detailed-exitcode"])).code).toBe(0);
  });
});
