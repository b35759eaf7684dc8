/**
 * A docker-archive carried into containerd the way a bundle will carry it:
 * airgap reads the `docker save` tar, writes its images into an OCI layout tar
 * (full names in index.json), and the real containerd imports that under the
 * full names and unpacks the uncompressed `….rootfs.diff.tar` layers. For
 * comparison, containerd's own import of the same docker-archive.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MediaType } from "../../../src/core/media-types.js";
import { DockerArchive } from "../../../src/oci/docker-archive/index.js";
import { layoutTarInput, writeLayoutTar } from "../../../src/oci/layout/index.js";
import { startContainerd, type RunningContainerd } from "../../harness/containerd.js";
import { generateImages, writeOciLayout } from "../../harness/images.js";
import { copy } from "../../harness/skopeo.js";
import { makeTempDir, type TempDir } from "../../harness/tmp.js";

const images = generateImages("docker-archive-containerd", [{ repository: "team/app", tags: ["v1"], format: "oci", layers: 2 }]);

describe("docker-archive → OCI layout tar → containerd", () => {
  let tmp: TempDir;
  let containerd: RunningContainerd;
  let saved: string;
  let archive: DockerArchive;

  beforeAll(async () => {
    [tmp, containerd] = await Promise.all([makeTempDir("dockerarchctr"), startContainerd()]);
    const layoutDir = join(tmp.path, "layout");
    await writeOciLayout(layoutDir, images);
    saved = join(tmp.path, "saved.tar");
    await copy(`oci:${layoutDir}:team/app:v1`, `docker-archive:${saved}:nginx:1.25`);
    const opened = await DockerArchive.open(saved);
    if (opened.kind !== "docker-archive") throw new Error("expected a docker archive");
    archive = opened.archive;
  });
  afterAll(async () => {
    await archive?.close();
    await Promise.all([containerd?.stop(), tmp?.remove()]);
  });

  it("imports under the full name and unpacks the uncompressed layers", async () => {
    const bundle = join(tmp.path, "bundle.tar");
    await writeLayoutTar(bundle, await layoutTarInput(archive));
    const result = await containerd.importArchive(bundle, { namespace: "ours", unpack: true });
    expect(result.names).toEqual(["docker.io/library/nginx:1.25"]);
    const image = archive.images()[0]!;
    expect(result.images).toEqual([{ name: "docker.io/library/nginx:1.25", mediaType: MediaType.DockerManifest, digest: image.manifest.digest, platforms: ["linux/amd64"] }]);
    expect(await containerd.checkImages("ours")).toMatchObject([{ name: "docker.io/library/nginx:1.25", status: "complete", unpacked: true }]);
  });

  it("containerd's own docker-archive import names the image the same, with the same config and layers", async () => {
    const result = await containerd.importArchive(saved, { namespace: "theirs", unpack: true });
    expect(result.names).toEqual(["docker.io/library/nginx:1.25"]);
    const theirs = result.images[0]!;
    const manifest = await containerd.ctr(["content", "get", theirs.digest], { namespace: "theirs" });
    const parsed = JSON.parse(manifest.stdout) as { config: { digest: string }; layers: { digest: string; mediaType: string }[] };
    const ours = archive.images()[0]!;
    expect(parsed.config.digest).toBe(ours.config.digest);
    expect(parsed.layers.map((l) => [l.digest, l.mediaType])).toEqual(ours.layers.map((l) => [l.digest, l.mediaType]));
    // Same content and media types; only the key order differs (containerd: mediaType, digest, size;
    // airgap, distribution and skopeo: mediaType, size, digest), hence another manifest digest.
    const d = (x: { mediaType: string; digest: string; size: number }): string => `{"mediaType":"${x.mediaType}","digest":"${x.digest}","size":${x.size}}`;
    expect(manifest.stdout).toBe(`{"schemaVersion":2,"mediaType":"${MediaType.DockerManifest}","config":${d(ours.config)},"layers":[${ours.layers.map(d).join(",")}]}`);
    expect(theirs.digest).not.toBe(ours.manifest.digest);
  });
});
