/**
 * Across the gap for real: an upstream registry → `airgap bundle` → a fresh
 * registry through `apply --from`, every digest equal to upstream's (OCI and
 * Docker-format, single and multi-arch); containerd imports the bundle under
 * full names; skopeo reads it; a `docker save` tar works as a source.
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startContainerd, type RunningContainerd } from "../../harness/containerd.js";
import { generateImages, pushImages } from "../../harness/images.js";
import { startRegistry, type RunningRegistry } from "../../harness/registry.js";
import { copy, inspectRaw } from "../../harness/skopeo.js";
import { createWorkspace, type Workspace } from "./workflow.js";

const images = generateImages("roundtrip");
const REFS = ["library/single:1.0", "library/oci-single:1.0", "team/sub/app:v1", "team/sub/legacy:v1"];

let upstream: RunningRegistry;
let target: RunningRegistry;
let containerd: RunningContainerd;
const workspaces: Workspace[] = [];

beforeAll(async () => {
  [upstream, target, containerd] = await Promise.all([startRegistry(), startRegistry(), startContainerd()]);
  await pushImages(upstream, images);
});
afterAll(async () => {
  await Promise.all([upstream?.stop(), target?.stop(), containerd?.stop()]);
  for (const ws of workspaces) ws.remove();
});

function config(images: string, sources = ""): string {
  return `apiVersion: airgap/v1
sources:
  upstream: { type: registry, host: "${upstream.host}", url: "${upstream.url}" }
${sources}
registries:
  far: { provider: oci, url: "${target.url}" }
  disk: { provider: oci-layout, path: ./files }
bundles:
  site:
    registry: far
    path: site
    preserveDigests: true
    images:
${images}
`;
}

describe("registry → bundle → a fresh registry", () => {
  it("mirrors from a `docker save` tar (made here by skopeo) declared as a docker-archive source", async () => {
    const ws = createWorkspace("docker-save");
    workspaces.push(ws);
    await copy(`docker://${upstream.host}/library/single:1.0`, `docker-archive:${join(ws.dir, "saved.tar")}:docker.io/acme/single:1.0`, { src: { tlsVerify: false } });
    ws.writeConfig(
      config("      - { source: saved, ref: docker.io/acme/single:1.0 }", "  saved: { type: docker-archive, path: ./saved.tar }").replace("preserveDigests: true", "preserveDigests: false"),
    );
    const apply = await ws.run(["apply", "--auto-approve"]);
    expect(apply.stderr).toContain("Apply complete: 1 done, 0 failed");
    const landed = await inspectRaw(`docker://${target.host}/site/acme/single:1.0`, { tlsVerify: false });
    const manifest = JSON.parse(landed.bytes.toString("utf8")) as { config: { digest: string } };
    const original = JSON.parse((await inspectRaw(`docker://${upstream.host}/library/single:1.0`, { tlsVerify: false })).bytes.toString("utf8")) as { config: { digest: string } };
    expect(manifest.config.digest).toBe(original.config.digest);
    expect((await ws.run(["plan", "--detailed-exitcode"])).code).toBe(0);
  });

  it("keeps every digest, and containerd imports every image under its full name", async () => {
    const ws = createWorkspace("roundtrip");
    workspaces.push(ws);
    writeFileSync(join(ws.dir, "k0s-v1.30.0-amd64"), "not really k0s\n".repeat(1000));
    ws.writeConfig(
      `${config(REFS.map((r) => `      - ${upstream.host}/${r}`).join("\n"))}    files:\n      - { path: ./k0s-v1.30.0-amd64, to: { registry: disk, path: k0s/k0s-v1.30.0-amd64 } }\n`,
    );
    const bundled = await ws.run(["bundle", "-o", "site.tar"]);
    expect(bundled.stderr).toMatch(/Wrote site\.tar: 4 image\(s\) and chart\(s\), 1 file\(s\)/);
    expect(bundled.code).toBe(0);

    // the far side: the upstream is unreachable from here on
    await upstream.stop();
    const apply = await ws.run(["apply", "--from", "site.tar", "--auto-approve"]);
    // four images and the file, published into the `disk` layout
    expect(apply.stderr).toContain("Apply complete: 5 done, 0 failed");
    expect(apply.code).toBe(0);
    for (const ref of REFS) {
      const [repository, tag] = ref.split(":") as [string, string];
      const expected = images.get(repository, tag).root.digest;
      const landed = await inspectRaw(`docker://${target.host}/site/${ref}`, { tlsVerify: false });
      expect(landed.digest).toBe(expected);
      await copy(`docker://${target.host}/site/${ref}`, `oci:${join(ws.dir, "pulled")}:${tag}`, { all: true, src: { tlsVerify: false } });
    }
    expect((await ws.run(["plan", "--from", "site.tar", "--detailed-exitcode"])).code).toBe(0);

    // containerd: every image under its full upstream name, complete with all platforms
    const imported = await containerd.importArchive(join(ws.dir, "site.tar"), { allPlatforms: true, namespace: "roundtrip" });
    // plus, for the two Docker-format images, their OCI twins under a name of their own (see src/bundle/oci-twin.ts)
    const twins = ["library/single:1.0", "team/sub/legacy:v1"].map((r) => `${upstream.host}/${r}-oci`);
    expect([...imported.names].sort()).toEqual([...REFS.map((r) => `${upstream.host}/${r}`), ...twins].sort());
    // the file rides as an OCI artifact that containerd leaves alone, even when it unpacks the images
    const fileSha = createHash("sha256").update(readFileSync(join(ws.dir, "k0s-v1.30.0-amd64"))).digest("hex");
    const tarText = readFileSync(join(ws.dir, "site.tar")).toString("latin1");
    expect(tarText).toContain(`blobs/sha256/${fileSha}`);
    expect(tarText).toContain(`airgap.files/disk/k0s/k0s-v1.30.0-amd64:${fileSha.slice(0, 12)}`);
    const unpacked = await containerd.importArchive(join(ws.dir, "site.tar"), { allPlatforms: true, unpack: true, namespace: "unpacked" });
    expect([...unpacked.names].sort()).toEqual([...REFS.map((r) => `${upstream.host}/${r}`), ...twins].sort());
    const checked = await containerd.checkImages("roundtrip");
    expect(checked).toHaveLength(REFS.length + twins.length);
    for (const image of checked) expect(image.status).toBe("complete");
    // containerd keeps the upstream digests (the original entries win over the OCI twins of Docker images)
    const listed = await containerd.listImages("roundtrip");
    for (const ref of REFS) {
      const [repository, tag] = ref.split(":") as [string, string];
      expect(listed.find((i) => i.name === `${upstream.host}/${ref}`)?.digest).toBe(images.get(repository, tag).root.digest);
    }

    // skopeo copies every image straight out of the bundle: OCI images as they are, Docker-format ones through their OCI twin
    const standalone = await startRegistry();
    try {
      for (const ref of REFS) {
        const [repository, tag] = ref.split(":") as [string, string];
        const raw = await inspectRaw(`oci-archive:${join(ws.dir, "site.tar")}:${upstream.host}/${ref}`);
        const upstreamRoot = images.get(repository, tag).root;
        if (upstreamRoot.mediaType.includes("docker")) expect(raw.mediaType).toMatch(/vnd\.oci\.image\.(manifest|index)/);
        else expect(raw.digest).toBe(upstreamRoot.digest);
        await copy(`oci-archive:${join(ws.dir, "site.tar")}:${upstream.host}/${ref}`, `docker://${standalone.host}/${ref}`, { all: true, dest: { tlsVerify: false } });
      }
    } finally {
      await standalone.stop();
    }
  });
});
