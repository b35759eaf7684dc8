/**
 * Cluster settings as planned file changes (issue 12): plan shows each
 * output file as a create with its content's diff, apply writes it, a rerun
 * is a no-op, a config change is an update with a unified diff, and a hand
 * edit since the plan makes a saved plan stale. The same outputs come out
 * of a plan made from a bundle on the offline side.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseToml } from "smol-toml";
import { parse as parseYaml } from "yaml";
import { generateImages } from "../../harness/images.js";
import { useRegistryPair } from "./workflow.js";

const images = generateImages("wf-cluster");
const pair = useRegistryPair(images);

function config(upstreamHost: string, upstreamUrl: string, mirrorUrl: string, refs: readonly string[]): string {
  return [
    "apiVersion: airgap/v1",
    "sources:",
    `  upstream: { type: registry, host: "${upstreamHost}", url: "${upstreamUrl}" }`,
    "registries:",
    `  mirror: { provider: oci, url: "${mirrorUrl}" }`,
    "bundles:",
    "  platform:",
    "    registry: mirror",
    "    path: mke",
    "    platforms: [linux/amd64]",
    "    images:",
    ...refs.map((r) => `      - ${r}`),
    "cluster:",
    "  registry: mirror",
    "  outputs:",
    "    - { type: containerd, path: out/certs.d }",
    "    - { type: registries-conf, path: out/registries.conf }",
    "    - { type: k3s, path: out/registries.yaml }",
    "    - { type: image-list, path: out/images.txt }",
    "",
  ].join("\n");
}

describe("cluster outputs in plan and apply", () => {
  it("plans files with their diffs, writes them on apply, updates them with a diff, and refuses a stale plan", async () => {
    const ws = pair.workspace("cluster");
    const up = pair.upstream;
    ws.writeConfig(config(up.host, up.url, pair.mirror.url, [`${up.host}/library/oci-single:1.0`]));

    const plan = await ws.run(["plan", "-out", "plan.json"]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain("cluster settings");
    expect(plan.stdout).toMatch(/\+ out\/images\.txt \(image-list\)/);
    expect(plan.stdout).toMatch(new RegExp(`\\+ out/certs\\.d/${up.host.replace(/[.:]/g, "\\$&")}/hosts\\.toml \\(containerd\\)`));
    expect(plan.stdout).toContain(`+${pair.mirror.host}/mke/library/oci-single:1.0`);

    const apply = await ws.run(["apply", "plan.json"]);
    expect(apply.stderr).toContain("Apply complete");
    expect(apply.code).toBe(0);
    const list = readFileSync(join(ws.dir, "out/images.txt"), "utf8");
    expect(list.trim().split("\n")).toEqual([expect.stringMatching(new RegExp(`^${pair.mirror.host}/mke/library/oci-single:1\\.0(@sha256:[0-9a-f]{64})?$`))]);
    const hosts = parseToml(readFileSync(join(ws.dir, `out/certs.d/${up.host}/hosts.toml`), "utf8")) as { server?: string; host?: Record<string, { capabilities?: string[] }> };
    expect(Object.keys(hosts.host ?? {})).toEqual([expect.stringContaining(pair.mirror.host)]);
    expect(parseYaml(readFileSync(join(ws.dir, "out/registries.yaml"), "utf8"))).toHaveProperty("mirrors");

    const again = await ws.run(["plan", "--detailed-exitcode"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/No changes\./);

    // Another image: the list is an update, shown as a unified diff.
    ws.writeConfig(config(up.host, up.url, pair.mirror.url, [`${up.host}/library/oci-single:1.0`, `${up.host}/library/single:1.0`]));
    const update = await ws.run(["plan", "-out", "plan2.json"]);
    expect(update.stdout).toMatch(/~ out\/images\.txt \(image-list\)/);
    expect(update.stdout).toMatch(/^\s+\+.*mke\/library\/single:1\.0/m);
    // Someone edits the file after the plan was reviewed: the saved plan is stale and nothing is written.
    writeFileSync(join(ws.dir, "out/images.txt"), "edited by hand\n");
    const stale = await ws.run(["apply", "plan2.json"]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/stale plan/);
    expect(readFileSync(join(ws.dir, "out/images.txt"), "utf8")).toBe("edited by hand\n");
  });

  it("--target bundle.platform leaves the outputs out of the plan, --target cluster shows only them", async () => {
    const ws = pair.workspace("cluster-target");
    const up = pair.upstream;
    ws.writeConfig(config(up.host, up.url, pair.mirror.url, [`${up.host}/library/oci-single:1.0`]));
    const content = await ws.run(["plan", "--target", "bundle.platform"]);
    expect(content.stdout).not.toContain("cluster settings");
    const cluster = await ws.run(["plan", "--target", "cluster"]);
    expect(cluster.stdout).toContain("cluster settings");
    expect(cluster.stdout).not.toMatch(/mirror: mke/);
  });

  it("come out the same from a bundle on the offline side (plan --from)", async () => {
    const ws = pair.workspace("cluster-from");
    const up = pair.upstream;
    ws.writeConfig(config(up.host, up.url, pair.mirror.url, [`${up.host}/library/oci-single:1.0`]));
    const online = await ws.run(["plan", "--json"]);
    expect((await ws.run(["bundle", "-o", "site.tar"])).code).toBe(0);
    const offline = await ws.run(["plan", "--from", "site.tar", "--json"]);
    expect(offline.code, offline.stderr).toBe(0);
    const outputs = (run: { stdout: string }) =>
      (JSON.parse(run.stdout) as { changes: { kind: string; path?: string; content?: string }[] }).changes.filter((c) => c.kind === "output").map((c) => [c.path, c.content]);
    expect(outputs(offline).length).toBeGreaterThan(3);
    expect(outputs(offline)).toEqual(outputs(online));
  });
});
