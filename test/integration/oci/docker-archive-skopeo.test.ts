/**
 * docker-archive interop with real skopeo and the real registry: skopeo writes
 * a docker-archive from a generated image (a Docker-format one pulled from the
 * registry, an OCI one from an OCI layout: skopeo 1.9's `oci:` transport only
 * finds OCI media types in index.json), airgap reads it and mirrors it
 * into a registry through the copy graph, skopeo inspects the result and
 * copies it back out to a docker-archive, and config digest and diff_ids
 * survive the whole round trip.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MediaType } from "../../../src/core/media-types.js";
import { copyReference } from "../../../src/oci/copy/index.js";
import { DOCKER_LAYER_TAR, DockerArchive } from "../../../src/oci/docker-archive/index.js";
import { RegistryClient, RegistryRepository, Transport, anonymousCredentials } from "../../../src/oci/registry/index.js";
import { generateImages, pushImages, writeOciLayout, type TestManifest } from "../../harness/images.js";
import { startRegistry, type RunningRegistry } from "../../harness/registry.js";
import { copy, inspectRaw } from "../../harness/skopeo.js";
import { makeTempDir, type TempDir } from "../../harness/tmp.js";

const images = generateImages("docker-archive-skopeo", [
  { repository: "library/nginx", tags: ["1.25"], format: "docker", layers: 2 },
  { repository: "team/app", tags: ["v1"], format: "oci", layers: 1 },
]);

function manifestOf(repository: string, tag: string): TestManifest {
  const root = images.get(repository, tag).root;
  if (root.kind !== "manifest") throw new Error("single-arch images only");
  return root;
}

async function openDockerArchive(path: string): Promise<DockerArchive> {
  const result = await DockerArchive.open(path);
  if (result.kind !== "docker-archive") throw new Error(`${path} is an OCI layout`);
  return result.archive;
}

describe("docker-archive: skopeo → airgap → registry → skopeo", () => {
  let tmp: TempDir;
  let registry: RunningRegistry;
  let client: RegistryClient;
  const transport = new Transport({ retry: { baseDelayMs: 20, maxDelayMs: 200 } });
  let layoutDir: string;

  beforeAll(async () => {
    [tmp, registry] = await Promise.all([makeTempDir("dockerarchsk"), startRegistry()]);
    client = new RegistryClient({ url: registry.url, credentials: anonymousCredentials, transport });
    layoutDir = join(tmp.path, "layout");
    await Promise.all([writeOciLayout(layoutDir, images), pushImages(registry, images)]);
  });
  afterAll(async () => {
    await registry?.stop();
    await tmp?.remove();
    await transport.close();
  });

  it.each([
    ["library/nginx", "1.25", "docker", "nginx:1.25", "docker.io/library/nginx"],
    ["team/app", "v1", "oci", "example.com/team/app:v1", "example.com/team/app"],
  ])("mirrors %s:%s (%s) saved by skopeo as %s, digests intact both ways", async (repository, tag, format, saveAs, fullRepository) => {
    const original = manifestOf(repository, tag);
    const saved = join(tmp.path, `${repository.replace("/", "-")}.tar`);
    const source = format === "docker" ? `docker://${registry.host}/${repository}:${tag}` : `oci:${layoutDir}:${repository}:${tag}`;
    await copy(source, `docker-archive:${saved}:${saveAs}`);

    // skopeo's own view of its archive: layer digests are the diff_ids (it labels them gzip, we do not).
    const skopeoView = JSON.parse((await inspectRaw(`docker-archive:${saved}`)).bytes.toString()) as { config: { digest: string }; layers: { digest: string; mediaType: string }[] };
    expect(skopeoView.layers.map((l) => l.digest)).toEqual(original.layers.map((l) => l.diffId));

    const archive = await openDockerArchive(saved);
    expect(archive.references()).toEqual([`${fullRepository}:${tag}`]);
    const image = archive.images()[0]!;
    expect(image.config.digest).toBe(original.config.digest);
    expect(image.config.digest).toBe(skopeoView.config.digest);
    expect(image.layers.map((l) => l.digest)).toEqual(original.layers.map((l) => l.diffId));
    expect(image.layers.every((l) => l.mediaType === DOCKER_LAYER_TAR)).toBe(true);
    expect((await archive.verifyAll()).ok).toBe(true);

    const target = `mirror/${repository}`;
    const result = await copyReference(archive.repository(fullRepository), new RegistryRepository(client, target), tag, tag, { preserveDigests: true });
    expect(result.root.digest).toBe(image.manifest.digest);

    const pushed = await inspectRaw(`docker://${registry.host}/${target}:${tag}`);
    expect(pushed.digest).toBe(image.manifest.digest);
    expect(pushed.mediaType).toBe(MediaType.DockerManifest);
    const config = await inspectRaw(`docker://${registry.host}/${target}:${tag}`, { config: true });
    expect(config.digest).toBe(original.config.digest);
    expect(config.bytes.equals(original.config.data)).toBe(true);

    // And back out: skopeo pulls what airgap pushed into a new docker-archive, which reads the same.
    const back = join(tmp.path, `${repository.replace("/", "-")}-back.tar`);
    await copy(`docker://${registry.host}/${target}:${tag}`, `docker-archive:${back}:${saveAs}`);
    const roundTrip = await openDockerArchive(back);
    const again = roundTrip.images()[0]!;
    expect(again.config.digest).toBe(original.config.digest);
    expect(again.layers.map((l) => l.digest)).toEqual(original.layers.map((l) => l.diffId));
    expect(again.manifest.digest).toBe(image.manifest.digest);
    await Promise.all([archive.close(), roundTrip.close()]);
  });

  it("a re-run against the registry writes nothing new (the synthesized manifest is stable)", async () => {
    const saved = join(tmp.path, "rerun.tar");
    await copy(`oci:${layoutDir}:team/app:v1`, `docker-archive:${saved}:nginx:1.25`);
    const first = await openDockerArchive(saved);
    const target = new RegistryRepository(client, "rerun/nginx");
    await copyReference(first.repository("nginx"), target, "1.25", "1.25", { preserveDigests: true });
    const second = await openDockerArchive(saved);
    const rerun = await copyReference(second.repository("nginx"), target, "1.25", "1.25", { preserveDigests: true });
    expect(rerun.tags).toEqual([{ tag: "1.25", changed: false }]);
    expect(rerun.stats).toMatchObject({ blobsUploaded: 0, bytesUploaded: 0, manifestsPushed: 0 });
  });
});
