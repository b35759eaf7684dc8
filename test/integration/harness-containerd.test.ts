/**
 * The containerd harness, proven against the real daemon: OCI layout tars written by airgap's
 * layout code import under each image's full name (`ctr images import`, what k0s does with
 * `<data-dir>/images`), single- and multi-arch, and unpack into the native snapshotter. It also
 * pins down what containerd 1.6 makes of other index.json annotations, for the bundle writer.
 */
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Digest } from "../../src/core/digest.js";
import { MediaType } from "../../src/core/media-types.js";
import type { Descriptor } from "../../src/core/oci-types.js";
import { layoutTarInput, OciLayoutDirectory, writeLayoutTar } from "../../src/oci/layout/index.js";
import { startContainerd, type RunningContainerd } from "../harness/containerd.js";
import { blobsOf, generateImages, LINUX_AMD64, LINUX_ARM64, LINUX_ARM_V7, manifestsOf, type TestImage } from "../harness/images.js";
import { makeTempDir, type TempDir } from "../harness/tmp.js";

const images = generateImages("harness-containerd", [
  { repository: "library/nginx", tags: ["1.25"], format: "docker" },
  { repository: "team/app", tags: ["v1", "stable"], format: "oci" },
  { repository: "library/multi", tags: ["2.0"], format: "oci", platforms: [LINUX_AMD64, LINUX_ARM64, LINUX_ARM_V7] },
  { repository: "team/legacy", tags: ["v1"], format: "docker", platforms: [LINUX_AMD64, LINUX_ARM64] },
]);
const nginx = images.get("library/nginx", "1.25");
const app = images.get("team/app", "v1");
const multi = images.get("library/multi", "2.0");
const legacy = images.get("team/legacy", "v1");

function descriptorOf(d: { readonly mediaType: string; readonly digest: string; readonly size: number }): Descriptor {
  return { mediaType: d.mediaType, digest: d.digest as Digest, size: d.size };
}

/** Every blob and manifest of the images, by digest, for a layout tar's `open`. */
function contentOf(list: readonly TestImage[]): Map<string, { descriptor: Descriptor; bytes: Buffer }> {
  const content = new Map<string, { descriptor: Descriptor; bytes: Buffer }>();
  for (const image of list) {
    for (const b of blobsOf(image.root)) content.set(b.digest, { descriptor: descriptorOf(b), bytes: b.data });
    for (const m of manifestsOf(image.root)) content.set(m.digest, { descriptor: descriptorOf(m), bytes: m.bytes });
  }
  return content;
}

/** Writes images through airgap's own layout directory (full names in both annotations), then tars it. */
async function bundleTar(dir: string, name: string, entries: readonly { readonly image: TestImage; readonly repository: string }[]): Promise<string> {
  const layout = await OciLayoutDirectory.open(join(dir, name), { create: true });
  for (const { image, repository } of entries) {
    const repo = layout.repository(repository);
    for (const { descriptor, bytes } of contentOf([image]).values()) await repo.push(descriptor, Readable.from([bytes]));
    for (const tag of image.tags) await repo.tag(descriptorOf(image.root), tag);
  }
  const path = join(dir, `${name}.tar`);
  await writeLayoutTar(path, await layoutTarInput(layout));
  return path;
}

/** A layout tar with hand-made index.json entries (annotations exactly as given). */
async function customTar(path: string, entries: readonly { readonly image: TestImage; readonly annotations: Record<string, string> }[]): Promise<string> {
  const content = contentOf(entries.map((e) => e.image));
  await writeLayoutTar(path, {
    index: { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: entries.map((e) => ({ ...descriptorOf(e.image.root), annotations: e.annotations })) },
    blobs: [...content.values()].map((c) => c.descriptor),
    open: (d) => Readable.from([content.get(d.digest)?.bytes ?? Buffer.alloc(0)]),
  });
  return path;
}

describe("containerd harness", () => {
  let containerd: RunningContainerd;
  let tmp: TempDir;

  beforeAll(async () => {
    [containerd, tmp] = await Promise.all([startContainerd(), makeTempDir("ctrtest")]);
  });
  afterAll(async () => {
    await Promise.all([containerd?.stop(), tmp?.remove()]);
  });

  it("runs the real daemon with its own root, state and socket", async () => {
    const version = await containerd.ctr(["version"]);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/Server:\s+Version:\s+1\.6\./);
    const plugins = await containerd.ctr(["plugins", "ls"]);
    expect(plugins.stdout).toMatch(/io\.containerd\.snapshotter\.v1\s+native\s+\S+\s+ok/);
    expect(plugins.stdout).not.toContain("io.containerd.grpc.v1.cri");
    expect(containerd.address.startsWith(containerd.dir)).toBe(true);
  });

  it("imports single-arch images (Docker and OCI) under their full names, never a bare tag", async () => {
    const tar = await bundleTar(tmp.path, "single", [
      { image: nginx, repository: "docker.io/library/nginx" },
      { image: app, repository: "registry.example.com/team/app" },
    ]);
    const result = await containerd.importArchive(tar, { namespace: "single" });
    const expected = ["docker.io/library/nginx:1.25", "registry.example.com/team/app:stable", "registry.example.com/team/app:v1"];
    expect(result.names).toEqual(expected);
    const listed = await containerd.listImages("single");
    expect(listed.map((i) => i.name)).toEqual(expected);
    expect(listed.map((i) => i.digest)).toEqual([nginx.root.digest, app.root.digest, app.root.digest]);
    expect(listed.map((i) => i.mediaType)).toEqual([MediaType.DockerManifest, MediaType.OciManifest, MediaType.OciManifest]);
    expect((await containerd.checkImages("single")).map((c) => `${c.name} ${c.status}`)).toEqual(expected.map((n) => `${n} complete`));
  });

  it("imports multi-arch indexes and manifest lists with --all-platforms, every platform present", async () => {
    const tar = await bundleTar(tmp.path, "multi", [
      { image: multi, repository: "docker.io/library/multi" },
      { image: legacy, repository: "127.0.0.1:5000/team/legacy" },
    ]);
    const result = await containerd.importArchive(tar, { namespace: "multi", allPlatforms: true });
    expect(result.names).toEqual(["127.0.0.1:5000/team/legacy:v1", "docker.io/library/multi:2.0"]);
    const listed = await containerd.listImages("multi");
    expect(listed).toEqual([
      { name: "127.0.0.1:5000/team/legacy:v1", mediaType: MediaType.DockerManifestList, digest: legacy.root.digest, platforms: ["linux/amd64", "linux/arm64"] },
      { name: "docker.io/library/multi:2.0", mediaType: MediaType.OciIndex, digest: multi.root.digest, platforms: ["linux/amd64", "linux/arm/v7", "linux/arm64"] },
    ]);
    // Every blob of every platform is in the content store, not just the host's.
    const content = await containerd.ctr(["content", "ls", "-q"], { namespace: "multi" });
    const stored = new Set(content.stdout.trim().split("\n"));
    for (const digest of contentOf([multi, legacy]).keys()) expect(stored.has(digest), digest).toBe(true);
    expect((await containerd.checkImages("multi")).map((c) => c.status)).toEqual(["complete", "complete"]);
  });

  it("unpacks the layers into the native snapshotter (diff_ids match)", async () => {
    const tar = await bundleTar(tmp.path, "unpack", [{ image: nginx, repository: "docker.io/library/nginx" }]);
    const result = await containerd.importArchive(tar, { namespace: "unpack", unpack: true });
    expect(result.names).toEqual(["docker.io/library/nginx:1.25"]);
    expect(result.stdout).toMatch(/unpacking docker\.io\/library\/nginx:1\.25 \(sha256:[0-9a-f]{64}\)\.\.\.done/);
    const snapshots = await containerd.ctr(["snapshots", "--snapshotter", "native", "ls"], { namespace: "unpack" });
    expect(snapshots.stdout.trim().split("\n").slice(1)).toHaveLength(nginx.root.kind === "manifest" ? nginx.root.layers.length : 0);
  });

  it("records how ctr names entries without io.containerd.image.name (what the bundle writer must avoid)", async () => {
    const tar = await customTar(join(tmp.path, "names.tar"), [
      // Bare tag, as skopeo writes for oci:DIR:TAG: no repository at all.
      { image: nginx, annotations: { "org.opencontainers.image.ref.name": "1.25" } },
      // Full name in ref.name only: used as is.
      { image: app, annotations: { "org.opencontainers.image.ref.name": "registry.example.com/team/app:v1" } },
      // Familiar name in the containerd annotation: NOT normalised to docker.io/library/…
      { image: legacy, annotations: { "io.containerd.image.name": "legacy:v1", "org.opencontainers.image.ref.name": "legacy:v1" } },
      // The containerd annotation wins over ref.name.
      { image: multi, annotations: { "io.containerd.image.name": "docker.io/library/multi:2.0", "org.opencontainers.image.ref.name": "2.0" } },
    ]);
    const plain = await containerd.importArchive(tar, { namespace: "names", allPlatforms: true });
    expect(plain.names).toEqual(["docker.io/library/multi:2.0", expect.stringMatching(/^import-\d{4}-\d{2}-\d{2}:1\.25$/), "legacy:v1", "registry.example.com/team/app:v1"]);

    // --base-name puts a repository in front of bare tags, and drops full ref.names outside it
    // (but never an entry named by io.containerd.image.name).
    const based = await containerd.importArchive(tar, { namespace: "based", allPlatforms: true, baseName: "docker.io/library/nginx" });
    expect(based.names).toEqual(["docker.io/library/multi:2.0", "docker.io/library/nginx:1.25", "legacy:v1"]);
  });

  it("accepts a tar whose blobs are missing unless it unpacks (so bundle tests must check completeness)", async () => {
    const content = contentOf([nginx]);
    const path = join(tmp.path, "broken.tar");
    const manifestOnly = [...content.values()].filter((c) => c.descriptor.digest === nginx.root.digest);
    await writeLayoutTar(path, {
      index: { schemaVersion: 2, manifests: [{ ...descriptorOf(nginx.root), annotations: { "io.containerd.image.name": "docker.io/library/nginx:1.25" } }] },
      blobs: manifestOnly.map((c) => c.descriptor),
      open: (d) => Readable.from([content.get(d.digest)?.bytes ?? Buffer.alloc(0)]),
    });
    // containerd 1.6 does NOT refuse it without unpacking: the image is created, and only
    // `ctr images check` shows that its config and layers are absent.
    const accepted = await containerd.importArchive(path, { namespace: "broken", allPlatforms: true });
    expect(accepted.names).toEqual(["docker.io/library/nginx:1.25"]);
    expect(await containerd.checkImages("broken")).toEqual([
      { name: "docker.io/library/nginx:1.25", digest: nginx.root.digest, status: "incomplete", present: 0, required: 3, unpacked: false },
    ]);
    // Unpacking (what k0s and the CRI plugin do) fails, naming the missing blob, yet the image record stays.
    const config = nginx.root.kind === "manifest" ? nginx.root.config.digest : "";
    await expect(containerd.importArchive(path, { namespace: "broken-unpack", unpack: true })).rejects.toThrow(`content digest ${config}: not found`);
    expect((await containerd.listImages("broken-unpack")).map((i) => i.name)).toEqual(["docker.io/library/nginx:1.25"]);
  });
});
