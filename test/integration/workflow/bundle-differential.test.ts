/**
 * Differential bundles across the gap, against real registries: a new image
 * that shares a layer with an image already in ANOTHER repository of the
 * target gets that layer by a cross-repository mount, and the plan says so
 * (the bundle leaves the layer out, so uploading it is impossible). Nothing
 * is planned from a bundle while the upstream can be reached.
 */
import { cpSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateImages, pushImages, type GeneratedImages } from "../../harness/images.js";
import { startRegistry, type RunningRegistry } from "../../harness/registry.js";
import { copyAllToLayout, createWorkspace, inspect, type Workspace } from "./workflow.js";

/** Two repositories whose single-platform images share the seed's base layer; a second tag in one of them. */
const images: GeneratedImages = generateImages("bundle-differential", [
  { repository: "apps/zeta", tags: ["v1"], format: "oci" },
  { repository: "apps/zeta", tags: ["v2"], format: "oci" },
  { repository: "apps/alpha", tags: ["v1"], format: "oci" },
]);
const base = images.get("apps/zeta", "v1").root;
if (base.kind !== "manifest") throw new Error("expected a single-platform image");
const BASE_LAYER = base.layers[0]!.digest;

let upstream: RunningRegistry;
const workspaces: Workspace[] = [];
beforeAll(async () => {
  upstream = await startRegistry();
  await pushImages(upstream, images);
});
afterAll(async () => {
  await upstream?.stop();
  for (const ws of workspaces) ws.remove();
});

function config(target: RunningRegistry, refs: readonly string[]): string {
  return `apiVersion: airgap/v1
sources:
  upstream: { type: registry, host: "${upstream.host}", url: "${upstream.url}" }
registries:
  far: { provider: oci, url: "${target.url}" }
bundles:
  site:
    registry: far
    path: site
    images:
${refs.map((r) => `      - ${upstream.host}/${r}`).join("\n")}
`;
}

interface MountJson {
  readonly digest: string;
  readonly from: string;
}
interface ChangeJson {
  readonly address: string;
  readonly action: string;
  readonly repository?: string;
  readonly tag?: string;
  readonly after?: string;
  readonly uploads?: readonly { readonly digest: string }[];
  readonly mounts?: readonly MountJson[];
}

/**
 * Near side: bundle `first` in full and keep its lock, then bundle `second`
 * --since that lock. Far side (the source URL from here on answers nothing):
 * the full bundle is applied with the first config. Returns the workspace,
 * set to the second config, with `diff.tar` ready to plan from.
 */
async function acrossTheGap(label: string, target: RunningRegistry, first: readonly string[], second: readonly string[]): Promise<Workspace> {
  const ws = createWorkspace(label);
  workspaces.push(ws);
  ws.writeConfig(config(target, first));
  expect((await ws.run(["lock"])).code).toBe(0);
  expect((await ws.run(["bundle", "-o", "full.tar"])).code).toBe(0);
  cpSync(join(ws.dir, "airgap.lock"), join(ws.dir, "old.lock"));
  ws.writeConfig(config(target, second));
  expect((await ws.run(["lock"])).code).toBe(0);
  const diff = await ws.run(["bundle", "-o", "diff.tar", "--since", "old.lock"]);
  expect(diff.stderr).toMatch(/[1-9]\d* blob\(s\) left out that the far side must already have/);
  expect(diff.code).toBe(0);

  // The far side: no route to the upstream (a source URL that answers nothing).
  const offline = (yaml: string) => yaml.replace(upstream.url, "http://127.0.0.1:9");
  ws.writeConfig(offline(config(target, first)));
  const full = await ws.run(["apply", "--from", "full.tar", "--auto-approve"]);
  expect(full.stderr).toContain("0 failed");
  expect(full.code).toBe(0);
  ws.writeConfig(offline(config(target, second)));
  return ws;
}

describe("a differential bundle whose new image shares a blob with another repository of the target", () => {
  it("plans a mount from the repository that holds the blob, and apply mounts it (the bundle left it out)", async () => {
    const target = await startRegistry();
    try {
      const ws = await acrossTheGap("mount-plan", target, ["apps/zeta:v1"], ["apps/zeta:v1", "apps/alpha:v1"]);
      const before = (await target.readLog()).length;
      const planned = await ws.run(["plan", "--from", "diff.tar", "--json"]);
      // The blob site/apps/alpha lacks is asked for once more, in the one repository whose image holds it.
      const planLog = (await target.readLog()).slice(before);
      expect(planLog.match(/"HEAD \/v2\/site\/apps\/zeta\/blobs\/[^ ]+/g)).toEqual([`"HEAD /v2/site/apps/zeta/blobs/${BASE_LAYER}`]);
      expect(planned.stderr).not.toMatch(/lacks|differential/);
      expect(planned.code).toBe(0);
      const changes = (JSON.parse(planned.stdout) as { changes: ChangeJson[] }).changes;
      const alpha = changes.find((c) => c.repository === "site/apps/alpha");
      expect(alpha?.action).toBe("create");
      expect(alpha?.mounts).toEqual([expect.objectContaining({ digest: BASE_LAYER, from: "site/apps/zeta" })]);
      expect(alpha?.uploads?.map((u) => u.digest)).not.toContain(BASE_LAYER);

      const text = await ws.run(["plan", "--from", "diff.tar"]);
      expect(text.stdout).toMatch(/:v1 ← .*apps\/alpha:v1 .*1 blob mounted from site\/apps\/zeta/);

      const apply = await ws.run(["apply", "--from", "diff.tar", "--auto-approve"]);
      expect(apply.stderr).toContain("Apply complete: 1 done, 0 failed");
      expect(apply.code).toBe(0);
      const log = await target.readLog();
      expect(log).toMatch(new RegExp(`POST /v2/site/apps/alpha/blobs/uploads/\\?[^ "]*mount=${BASE_LAYER.replace(":", "(:|%3A)")}`));
      // and never uploaded
      expect(log).not.toMatch(new RegExp(`PUT /v2/site/apps/alpha/blobs/uploads/[^ "]*digest=${BASE_LAYER.replace(":", "(:|%3A)")}`));
      expect((await inspect(target.host, "site/apps/alpha:v1")).digest).toBe(images.get("apps/alpha", "v1").root.digest);
      await copyAllToLayout(target.host, "site/apps/alpha:v1");
      expect((await ws.run(["plan", "--from", "diff.tar", "--detailed-exitcode"])).code).toBe(0);
    } finally {
      await target.stop();
    }
  });

  it("mounts into a repository that the plan reaches BEFORE the one that holds the blob (the copy, not only the check)", async () => {
    const target = await startRegistry();
    try {
      // zeta:v2 comes first in the config, so the shared blob is looked up (and found) in site/apps/zeta;
      // the plan then runs site/apps/alpha first, which must mount it rather than read it from the bundle.
      const ws = await acrossTheGap("mount-copy", target, ["apps/zeta:v1"], ["apps/zeta:v2", "apps/zeta:v1", "apps/alpha:v1"]);
      const apply = await ws.run(["apply", "--from", "diff.tar", "--auto-approve", "--parallelism", "1"]);
      expect(apply.stderr).toContain("Apply complete: 2 done, 0 failed");
      expect(apply.code).toBe(0);
      for (const [repository, tag] of [["apps/alpha", "v1"], ["apps/zeta", "v2"]] as const) {
        expect((await inspect(target.host, `site/${repository}:${tag}`)).digest).toBe(images.get(repository, tag).root.digest);
        await copyAllToLayout(target.host, `site/${repository}:${tag}`);
      }
      expect((await ws.run(["plan", "--from", "diff.tar", "--detailed-exitcode"])).code).toBe(0);
    } finally {
      await target.stop();
    }
  });
});
