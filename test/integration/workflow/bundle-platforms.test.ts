/**
 * One image in two bundles with different platform lists, shaped like the
 * shipped examples/k0s/airgap.yaml: every image for two platforms into a
 * registry, some of them for one platform into an OCI layout named by the
 * upstream names. The bundle carries each image once (with the union of the
 * platforms); across the gap each target gets exactly the digests a
 * connected apply would have given it.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateImages, LINUX_AMD64, LINUX_ARM64, LINUX_ARM_V7, pushImages } from "../../harness/images.js";
import { startRegistry, type RunningRegistry } from "../../harness/registry.js";
import { copyAllToLayout, createWorkspace, inspect, platformOf, type Workspace } from "./workflow.js";

const ALL = [LINUX_AMD64, LINUX_ARM64, LINUX_ARM_V7];
const images = generateImages("bundle-platforms", [
  { repository: "k0sproject/coredns", tags: ["1.12.0"], format: "oci", platforms: ALL },
  { repository: "k0sproject/kube-proxy", tags: ["v1.31.5"], format: "docker", platforms: ALL },
  { repository: "k0sproject/pause", tags: ["3.9"], format: "oci", platforms: [LINUX_AMD64, LINUX_ARM64] },
  { repository: "k0sproject/metrics-server", tags: ["v0.7.2-0"], format: "oci", platforms: ALL },
]);

let upstream: RunningRegistry;
let registry: RunningRegistry;
let ws: Workspace;
beforeAll(async () => {
  [upstream, registry] = await Promise.all([startRegistry(), startRegistry()]);
  await pushImages(upstream, images);
  ws = createWorkspace("k0s-platforms");
});
afterAll(async () => {
  await Promise.all([upstream?.stop(), registry?.stop()]);
  ws?.remove();
});

function config(upstreamUrl: string): string {
  const host = upstream.host;
  return `apiVersion: airgap/v1
sources:
  upstream: { type: registry, host: "${host}", url: "${upstreamUrl}" }
registries:
  registry: { provider: oci, url: "${registry.url}" }
  layout: { provider: oci-layout, path: ./image-bundle }
bundles:
  k0s-images:
    registry: registry
    path: k0s
    platforms: [linux/amd64, linux/arm64]
    images:
      - ${host}/k0sproject/coredns:1.12.0
      - ${host}/k0sproject/kube-proxy:v1.31.5
      - ${host}/k0sproject/pause:3.9
      - ${host}/k0sproject/metrics-server:v0.7.2-0
  k0s-bundle:
    registry: layout
    naming: { host: keep }
    platforms: [linux/amd64]
    images:
      - ${host}/k0sproject/coredns:1.12.0
      - ${host}/k0sproject/kube-proxy:v1.31.5
      - ${host}/k0sproject/pause:3.9
cluster:
  registry: registry
  endpoint: ${registry.host}
  bundles: [k0s-images]
  outputs:
    - { type: k0s, path: out/k0s.yaml, pullPolicy: IfNotPresent }
    - { type: containerd, path: out/containerd/certs.d }
    - { type: image-list, path: out/images.txt }
`;
}

interface Change {
  readonly address: string;
  readonly kind: string;
  readonly action: string;
  readonly registry: string;
  readonly repository?: string;
  readonly tag?: string;
  readonly after?: string;
}

describe("one image in two bundles with different platform lists (the k0s example's shape)", () => {
  it("bundles each image once and applies across the gap with the digests a connected apply would give", async () => {
    ws.writeConfig(config(upstream.url));
    expect((await ws.run(["lock"])).code).toBe(0);
    // What the connected side would put where (plan against the empty targets).
    const connected = await ws.run(["plan", "--json"]);
    expect(connected.code).toBe(0);
    const wanted = (JSON.parse(connected.stdout) as { changes: Change[] }).changes.filter((c) => c.kind === "image");
    expect(wanted).toHaveLength(7);

    const bundled = await ws.run(["bundle", "-o", "site.tar"]);
    expect(bundled.stderr).toMatch(/Wrote site\.tar: 4 image\(s\)/);
    expect(bundled.code).toBe(0);

    // The far side: the upstream is unreachable from here on.
    await upstream.stop();
    ws.writeConfig(config("http://127.0.0.1:9"));
    const planned = await ws.run(["plan", "--from", "site.tar", "--json"]);
    expect(planned.stderr).toBe("");
    expect(planned.code).toBe(0);
    const offline = (JSON.parse(planned.stdout) as { changes: Change[] }).changes.filter((c) => c.kind === "image");
    expect(offline.map((c) => [c.address, c.action, c.after])).toEqual(wanted.map((c) => [c.address, c.action, c.after]));

    const apply = await ws.run(["apply", "--from", "site.tar", "--auto-approve"]);
    expect(apply.stderr).toContain("Apply complete: 11 done, 0 failed");
    expect(apply.code).toBe(0);

    for (const change of wanted) {
      if (change.registry === "registry") {
        const landed = await inspect(registry.host, `${change.repository!}:${change.tag!}`);
        expect(landed.digest).toBe(change.after);
        expect((landed.json.manifests ?? []).map(platformOf).sort()).toEqual(["linux/amd64", "linux/arm64"]);
        await copyAllToLayout(registry.host, `${change.repository!}:${change.tag!}`);
      } else {
        // Read the layout itself: skopeo does not see Docker-format entries of an OCI layout.
        const layout = join(ws.dir, "image-bundle");
        const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8")) as { manifests: { digest: string; annotations?: Record<string, string> }[] };
        const entry = index.manifests.filter((m) => m.annotations?.["org.opencontainers.image.ref.name"] === `${change.repository!}:${change.tag!}`).at(-1);
        expect(entry?.digest).toBe(change.after);
        const bytes = readFileSync(join(layout, "blobs", "sha256", change.after!.slice("sha256:".length)));
        expect(createHash("sha256").update(bytes).digest("hex")).toBe(change.after!.slice("sha256:".length));
        const json = JSON.parse(bytes.toString("utf8")) as { manifests?: { platform?: { os: string; architecture: string } }[] };
        expect((json.manifests ?? []).map((m) => `${m.platform?.os}/${m.platform?.architecture}`)).toEqual(["linux/amd64"]);
      }
    }
    expect(readFileSync(join(ws.dir, "out/images.txt"), "utf8")).toContain(`${registry.host}/k0s/k0sproject/coredns:1.12.0`);
    expect((await ws.run(["plan", "--from", "site.tar", "--detailed-exitcode"])).code).toBe(0);
  });
});
