/**
 * The copy graph against real registries (Debian docker-registry) checked by
 * an independent client (skopeo): registry → registry with digests preserved,
 * run-wide dedupe with cross-repository mounts, a converging rerun, and
 * platform-filtered copies that skopeo accepts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MediaType } from "../../../src/core/media-types.js";
import { CopyCoordinator, copyReference, type CopyEvent, type CopyReferenceResult } from "../../../src/oci/copy/index.js";
import { RegistryClient, RegistryRepository, Transport, anonymousCredentials, type RegistryClientOptions } from "../../../src/oci/registry/index.js";
import { LINUX_AMD64, LINUX_ARM64, LINUX_ARM_V7, generateImages, pushImages } from "../../harness/images.js";
import { startRegistry, type RunningRegistry } from "../../harness/registry.js";
import { copy, inspectRaw, skopeoOptionsFor } from "../../harness/skopeo.js";
import { makeTempDir } from "../../harness/tmp.js";

const transport = new Transport({ retry: { baseDelayMs: 20, maxDelayMs: 200 } });

function clientFor(r: RunningRegistry, extra: Partial<RegistryClientOptions> = {}): RegistryClient {
  return new RegistryClient({
    url: r.url,
    credentials: r.username !== undefined ? { username: r.username, password: r.password ?? "" } : anonymousCredentials,
    transport,
    ...extra,
  });
}

const images = generateImages("copy-registry");

describe("copy graph: registry → registry", () => {
  let source: RunningRegistry;
  let target: RunningRegistry;
  let sourceClient: RegistryClient;
  let targetClient: RegistryClient;

  beforeAll(async () => {
    [source, target] = await Promise.all([startRegistry(), startRegistry({ auth: "token" })]);
    await pushImages(source, images);
    sourceClient = clientFor(source);
    targetClient = clientFor(target);
  });
  afterAll(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
    await transport.close();
  });

  /** Copies every generated image (all tags) into `mirror/<repository>` concurrently through one coordinator. */
  async function copyAll(coordinator: CopyCoordinator, events: CopyEvent[]): Promise<CopyReferenceResult[]> {
    return Promise.all(
      images.images.map((image) =>
        copyReference(new RegistryRepository(sourceClient, image.repository), new RegistryRepository(targetClient, `mirror/${image.repository}`), image.tags[0]!, image.tags, {
          preserveDigests: true,
          coordinator,
          onEvent: (e) => events.push(e),
        }),
      ),
    );
  }

  it("copies Docker and OCI images, manifest lists and indexes with identical digests that skopeo reads and copies", async () => {
    const events: CopyEvent[] = [];
    const results = await copyAll(new CopyCoordinator({ concurrency: 4 }), events);
    const opts = skopeoOptionsFor(target);
    for (const [i, image] of images.images.entries()) {
      expect(results[i]!.root.digest).toBe(image.root.digest);
      for (const tag of image.tags) {
        const raw = await inspectRaw(`docker://${target.host}/mirror/${image.repository}:${tag}`, opts);
        expect(raw.digest, `${image.repository}:${tag}`).toBe(image.root.digest);
        expect(raw.mediaType).toBe(image.root.mediaType);
      }
    }
    // base layers are shared across repositories: the run uploaded each blob once and mounted the rest
    const uploads = events.filter((e) => e.type === "blob-done" && e.how === "uploaded").map((e) => e.descriptor.digest);
    expect(new Set(uploads).size).toBe(uploads.length);
    expect(new Set(uploads).size).toBe(images.blobs().length);
    expect(events.some((e) => e.type === "blob-done" && e.how === "mounted")).toBe(true);

    const dir = await makeTempDir("copyverify");
    try {
      await copy(`docker://${target.host}/mirror/team/sub/app:v1`, `oci:${dir.path}:v1`, { all: true, src: opts });
      await copy(`docker://${target.host}/mirror/team/sub/legacy:v1`, `oci:${dir.path}:legacy`, { all: true, src: opts });
      await copy(`docker://${target.host}/mirror/library/single:latest`, `oci:${dir.path}:single`, { src: opts });
    } finally {
      await dir.remove();
    }
  });

  it("a rerun converges without writing anything", async () => {
    const events: CopyEvent[] = [];
    const results = await copyAll(new CopyCoordinator(), events);
    for (const r of results) {
      expect(r.stats).toMatchObject({ blobsUploaded: 0, blobsMounted: 0, manifestsPushed: 0 });
      expect(r.tags.every((t) => !t.changed)).toBe(true);
    }
    expect(events.filter((e) => e.type === "blob-start")).toEqual([]);
  });

  it("platform filtering rewrites an OCI index and a Docker manifest list into valid ones that skopeo copies", async () => {
    const opts = skopeoOptionsFor(target);
    const app = images.get("team/sub/app", "v1");
    const filtered = await copyReference(new RegistryRepository(sourceClient, app.repository), new RegistryRepository(targetClient, "filtered/app"), "v1", "v1", {
      preserveDigests: false,
      platforms: [LINUX_AMD64, LINUX_ARM_V7],
    });
    expect(filtered.rewritten).toBe(true);
    const raw = await inspectRaw(`docker://${target.host}/filtered/app:v1`, opts);
    expect(raw.digest).toBe(filtered.root.digest);
    expect(raw.mediaType).toBe(MediaType.OciIndex);
    const doc = JSON.parse(raw.bytes.toString("utf8")) as { manifests: Array<{ platform: { architecture: string } }> };
    expect(doc.manifests.map((m) => m.platform.architecture)).toEqual(["amd64", "arm"]);

    const legacy = images.get("team/sub/legacy", "v1");
    const list = await copyReference(new RegistryRepository(sourceClient, legacy.repository), new RegistryRepository(targetClient, "filtered/legacy"), "v1", "v1", {
      preserveDigests: false,
      platforms: [LINUX_ARM64],
    });
    const rawList = await inspectRaw(`docker://${target.host}/filtered/legacy:v1`, opts);
    expect(rawList.digest).toBe(list.root.digest);
    expect(rawList.mediaType).toBe(MediaType.DockerManifestList);

    const dir = await makeTempDir("copyfiltered");
    try {
      await copy(`docker://${target.host}/filtered/app:v1`, `oci:${dir.path}:app`, { all: true, src: opts });
      await copy(`docker://${target.host}/filtered/legacy:v1`, `oci:${dir.path}:legacy`, { all: true, src: opts });
    } finally {
      await dir.remove();
    }

    await expect(
      copyReference(new RegistryRepository(sourceClient, legacy.repository), new RegistryRepository(targetClient, "filtered/none"), "v1", "v1", {
        preserveDigests: false,
        platforms: [{ os: "linux", architecture: "s390x" }],
      }),
    ).rejects.toMatchObject({ code: "COPY_NO_MATCHING_PLATFORM", message: expect.stringContaining("linux/amd64, linux/arm64") });
  });
});
