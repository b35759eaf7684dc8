/**
 * The copy graph between a real registry and OCI image layout directories,
 * both ways, checked with skopeo: registry → layout (digests preserved,
 * readable by skopeo's `oci:` transport), layout → registry, a filtered copy
 * into a layout, and a layout written by another tool as the source.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CopyCoordinator, copyReference } from "../../../src/oci/copy/index.js";
import { OciLayoutDirectory } from "../../../src/oci/layout/index.js";
import { RegistryClient, RegistryRepository, Transport, anonymousCredentials } from "../../../src/oci/registry/index.js";
import { LINUX_ARM64, generateImages, pushImages, writeOciLayout } from "../../harness/images.js";
import { startRegistry, type RunningRegistry } from "../../harness/registry.js";
import { copy, inspectRaw } from "../../harness/skopeo.js";
import { makeTempDir, type TempDir } from "../../harness/tmp.js";

const transport = new Transport({ retry: { baseDelayMs: 20, maxDelayMs: 200 } });
const images = generateImages("copy-layout");

describe("copy graph: registry ⇄ OCI layout directory", () => {
  let registry: RunningRegistry;
  let client: RegistryClient;
  let dir: TempDir;
  let layout: OciLayoutDirectory;

  beforeAll(async () => {
    registry = await startRegistry();
    await pushImages(registry, images);
    client = new RegistryClient({ url: registry.url, credentials: anonymousCredentials, transport });
    dir = await makeTempDir("copylayout");
    layout = await OciLayoutDirectory.open(`${dir.path}/mirror`, { create: true });
  });
  afterAll(async () => {
    await registry?.stop();
    await dir?.remove();
    await transport.close();
  });

  it("registry → layout: every image with its digest, readable and copyable by skopeo", async () => {
    const coordinator = new CopyCoordinator();
    const results = await Promise.all(
      images.images.map((image) => copyReference(new RegistryRepository(client, image.repository), layout.repository(`mirror/${image.repository}`), image.tags[0]!, image.tags, { preserveDigests: true, coordinator })),
    );
    // repositories of a layout share one blob store: shared base layers are "mounted" (found) rather than written twice
    expect(results.reduce((n, r) => n + r.stats.blobsMounted + r.stats.blobsSkipped, 0)).toBeGreaterThan(0);
    for (const image of images.images) {
      for (const tag of image.tags) {
        expect((await layout.repository(`mirror/${image.repository}`).resolve(tag))?.digest, `${image.repository}:${tag}`).toBe(image.root.digest);
        // skopeo's oci: transport only looks at index.json entries with OCI media types; Docker-typed entries are checked above and in the round trip below
        if (image.format !== "oci") continue;
        const raw = await inspectRaw(`oci:${layout.path}:mirror/${image.repository}:${tag}`);
        expect(raw.digest, `${image.repository}:${tag}`).toBe(image.root.digest);
      }
    }
    const out = await makeTempDir("copylayoutout");
    try {
      await copy(`oci:${layout.path}:mirror/team/sub/app:v1`, `oci:${out.path}:app`, { all: true });
      await copy(`oci:${layout.path}:mirror/library/oci-single:1.0`, `oci:${out.path}:single`, {});
    } finally {
      await out.remove();
    }
  });

  it("layout → registry: back into another repository with the same digests", async () => {
    for (const image of images.images) {
      const result = await copyReference(layout.repository(`mirror/${image.repository}`), new RegistryRepository(client, `back/${image.repository}`), image.tags[0]!, image.tags, { preserveDigests: true });
      expect(result.root.digest).toBe(image.root.digest);
      const raw = await inspectRaw(`docker://${registry.host}/back/${image.repository}:${image.tags.at(-1)!}`);
      expect(raw.digest).toBe(image.root.digest);
    }
  });

  it("a platform-filtered copy into a layout is a valid index skopeo copies", async () => {
    const result = await copyReference(new RegistryRepository(client, "team/sub/app"), layout.repository("filtered/app"), "v1", "arm64", { preserveDigests: false, platforms: [LINUX_ARM64] });
    expect(result.rewritten).toBe(true);
    const raw = await inspectRaw(`oci:${layout.path}:filtered/app:arm64`);
    expect(raw.digest).toBe(result.root.digest);
    expect(raw.mediaType).toBe(images.get("team/sub/app", "v1").root.mediaType);
    expect((JSON.parse(raw.bytes.toString("utf8")) as { manifests: unknown[] }).manifests).toHaveLength(1);
    const list = await copyReference(new RegistryRepository(client, "team/sub/legacy"), layout.repository("filtered/legacy"), "v1", "arm64", { preserveDigests: false, platforms: [LINUX_ARM64] });
    expect((await layout.repository("filtered/legacy").resolve("arm64"))).toMatchObject({ digest: list.root.digest, mediaType: images.get("team/sub/legacy", "v1").root.mediaType });
    const out = await makeTempDir("copylayoutfilt");
    try {
      await copy(`oci:${layout.path}:filtered/app:arm64`, `oci:${out.path}:x`, { all: true });
    } finally {
      await out.remove();
    }
  });

  it("a layout written by another tool is a source like any other", async () => {
    const foreign = await makeTempDir("copylayoutsrc");
    try {
      await writeOciLayout(foreign.path, images);
      const source = await OciLayoutDirectory.open(foreign.path);
      const app = images.get("team/sub/app", "stable");
      const result = await copyReference(source.repository(app.repository), new RegistryRepository(client, "from-layout/app"), "stable", "stable", { preserveDigests: true });
      expect(result.root.digest).toBe(app.root.digest);
      expect((await inspectRaw(`docker://${registry.host}/from-layout/app:stable`)).digest).toBe(app.root.digest);
    } finally {
      await foreign.remove();
    }
  });
});
