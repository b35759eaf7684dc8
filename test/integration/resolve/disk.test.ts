/**
 * Resolution from content on disk: OCI layout directories (airgap's own
 * naming, the harness's short names, skopeo's bare tags), a layout tar, and
 * a directory of MKE-style per-image archives.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve as resolvePath } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { layoutTarInput, OciLayoutDirectory, writeLayoutTar } from "../../../src/oci/layout/index.js";
import { isTagSelection, serializeLock, type AirgapLock, type LockedImage } from "../../../src/lock/index.js";
import { mkeArchiveName, parseMkeArchiveName } from "../../../src/sources/index.js";
import { DEFAULT_IMAGE_SPECS, generateImages, LINUX_AMD64, LINUX_ARM64, writeOciLayout, type TestImage } from "../../harness/images.js";
import { makeTempDir, type TempDir } from "../../harness/tmp.js";
import { configFrom, problemLines, resolve } from "./helpers.js";

const QUICKSTART = resolvePath(new URL("../../../examples/quickstart/content", import.meta.url).pathname);
const images = generateImages("resolve-disk", DEFAULT_IMAGE_SPECS);
const mke = generateImages("resolve-disk-mke", [
  { repository: "k0rdent-enterprise/k0s", tags: ["v1.31.5-k0s.0"], format: "oci", platforms: [LINUX_AMD64, LINUX_ARM64], layerSize: 300 },
  { repository: "k0rdent-enterprise/k0s", tags: ["v1.31.4-k0s.0"], format: "oci", layerSize: 300 },
  { repository: "k0rdent-enterprise/k0s", tags: ["v1.30.9-k0s.0"], format: "docker", layerSize: 300 },
]);
const MKE_REGISTRY = "registry.mirantis.com";

let tmp: TempDir;
let layoutDir: string;
let bareDir: string;
let layoutTar: string;
let archives: string;

function image(set: { get(r: string, t: string): TestImage }, repository: string, tag: string): TestImage["root"] {
  return set.get(repository, tag).root;
}

function concrete(lock: AirgapLock, ref: string, source?: string): LockedImage {
  const found = lock.images.find((e): e is LockedImage => !isTagSelection(e) && e.ref === ref && e.source === source);
  if (found === undefined) throw new Error(`${ref} (${source ?? "-"}) not in lock: ${JSON.stringify(lock.images.map((e) => [e.ref, e.source]))}`);
  return found;
}

async function archiveOf(dir: string, imagesOf: readonly TestImage[], refName: (repository: string, tag: string) => string): Promise<void> {
  const layout = join(tmp.path, `staging-${Math.random().toString(36).slice(2)}`);
  await writeOciLayout(layout, imagesOf, { refName });
  const image = imagesOf[0] as TestImage;
  const file = join(dir, mkeArchiveName(`${MKE_REGISTRY}/${image.repository}`, image.tags[0] as string));
  await writeLayoutTar(file, await layoutTarInput(await OciLayoutDirectory.open(layout)));
}

beforeAll(async () => {
  tmp = await makeTempDir("resolvedisk");
  layoutDir = join(tmp.path, "layout");
  await writeOciLayout(layoutDir, images); // ref names `library/single:1.0`: no registry host
  bareDir = join(tmp.path, "bare");
  await writeOciLayout(bareDir, [images.get("library/oci-single", "1.0")], { refName: (_r, tag) => tag }); // skopeo oci:DIR:TAG style
  layoutTar = join(tmp.path, "layout.tar");
  await writeLayoutTar(layoutTar, await layoutTarInput(await OciLayoutDirectory.open(layoutDir)));
  archives = join(tmp.path, "archives");
  await mkdir(archives);
  // One archive names its image fully, one names it by an unrelated bare name (found as the only image), one is docker-format.
  await archiveOf(archives, [mke.get("k0rdent-enterprise/k0s", "v1.31.5-k0s.0")], (r, t) => `${MKE_REGISTRY}/${r}:${t}`);
  await archiveOf(archives, [mke.get("k0rdent-enterprise/k0s", "v1.31.4-k0s.0")], () => "imported");
  await archiveOf(archives, [mke.get("k0rdent-enterprise/k0s", "v1.30.9-k0s.0")], (_r, t) => t);
  await writeFile(join(archives, "README.txt"), "not an archive");
});

afterAll(async () => {
  await tmp?.remove();
});

function yaml(sources: string, images: string): string {
  return `apiVersion: airgap/v1
sources:
${sources}
registries:
  local: { provider: oci-layout, path: ./mirror }
bundles:
  main:
    registry: local
    platforms: [linux/amd64, linux/arm64]
    images:
${images}`;
}

describe("oci-layout sources", () => {
  it("resolves the quickstart layout (docker.io/library/hello:1.0) with its platforms", async () => {
    const test = await configFrom(yaml(`  quickstart: { type: oci-layout, path: "${QUICKSTART}" }`, `      - { source: quickstart, ref: library/hello:1.0 }\n      - { source: quickstart, ref: hello, tags: { glob: "*" } }\n`));
    const result = await resolve(test);
    expect(problemLines(result)).toEqual([]);
    const hello = concrete(result.lock, "docker.io/library/hello:1.0", "quickstart");
    expect(hello).toMatchObject({ digest: "sha256:b2dc1b02c3e891808226b64210a86a022bc85667f79851297ee27cf2aabe46d2", mediaType: "application/vnd.oci.image.index.v1+json", size: 491 });
    expect(hello.manifests?.map((m) => m.platform)).toEqual(["linux/amd64", "linux/arm64"]);
    expect(result.lock.images.find(isTagSelection)).toMatchObject({ ref: "docker.io/library/hello", source: "quickstart", selected: ["1.0"] });
    expect(result.lock.images).toHaveLength(2);
  });

  it("finds images named without their registry, or by a bare tag, and lists tags for filters", async () => {
    const test = await configFrom(
      yaml(
        `  dir: { type: oci-layout, path: "${layoutDir}" }\n  bare: { type: oci-layout, path: "${bareDir}" }`,
        `      - { source: dir, ref: library/single:1.0 }
      - { source: dir, ref: team/sub/app, tags: { glob: "v*" } }
      - { source: bare, ref: whatever/name:1.0 }
      - { source: dir, ref: library/single:2.0 }
`,
      ),
    );
    const result = await resolve(test);
    expect(problemLines(result)).toEqual([
      `tag-not-found /bundles/main/images/3: docker.io/library/single:2.0: tag "2.0" not found; source "dir" (oci:${layoutDir}:docker.io/library/single) has 2 tags: latest, 1.0`,
    ]);
    expect(concrete(result.lock, "docker.io/library/single:1.0", "dir").digest).toBe(image(images, "library/single", "1.0").digest);
    expect(concrete(result.lock, "docker.io/team/sub/app:v2", "dir").digest).toBe(image(images, "team/sub/app", "v2").digest);
    expect(concrete(result.lock, "docker.io/team/sub/app:v1", "dir").manifests).toHaveLength(3);
    expect(concrete(result.lock, "docker.io/whatever/name:1.0", "bare").digest).toBe(image(images, "library/oci-single", "1.0").digest);
  });

  it("reads a layout tar in place, and verifies locked digests on a rerun", async () => {
    const test = await configFrom(yaml(`  tar: { type: oci-layout, path: "${layoutTar}" }`, `      - { source: tar, ref: team/sub/legacy:v1 }\n      - { source: tar, ref: library/single:latest }\n`));
    const first = await resolve(test);
    expect(problemLines(first)).toEqual([]);
    expect(concrete(first.lock, "docker.io/team/sub/legacy:v1", "tar").digest).toBe(image(images, "team/sub/legacy", "v1").digest);
    const again = await resolve(test, { lock: first.lock, now: () => new Date("2040-01-01T00:00:00Z") });
    expect(serializeLock(again.lock)).toBe(serializeLock(first.lock));
  });

  it("reports a missing layout and a missing docker-archive as problems of their entries", async () => {
    const test = await configFrom(
      yaml(
        `  gone: { type: oci-layout, path: "${join(tmp.path, "nope")}" }\n  saved: { type: docker-archive, path: "${join(tmp.path, "saved.tar")}" }\n  quickstart: { type: oci-layout, path: "${QUICKSTART}" }`,
        `      - { source: gone, ref: library/hello:1.0 }\n      - { source: saved, ref: library/hello:1.0 }\n      - { source: quickstart, ref: library/hello:1.0 }\n`,
      ),
    );
    const result = await resolve(test);
    expect(result.problems.map((p) => [p.kind, p.pointer])).toEqual([
      ["source-error", "/bundles/main/images/0"],
      ["source-error", "/bundles/main/images/1"],
    ]);
    expect(result.problems[0]?.message).toContain(`oci-layout ${join(tmp.path, "nope")} does not exist`);
    expect(result.problems[1]?.message).toContain(`docker-archive ${join(tmp.path, "saved.tar")} does not exist`);
    expect(result.lock.images).toHaveLength(1);
  });
});

describe("oci-archives sources (MKE naming)", () => {
  it("maps references to file names and back", () => {
    expect(mkeArchiveName("registry.mirantis.com/k0rdent-enterprise/k0s", "v1.31.5-k0s.0")).toBe("registry.mirantis.com&k0rdent-enterprise&k0s@v1.31.5-k0s.0.tar");
    expect(parseMkeArchiveName("registry.mirantis.com&k0rdent-enterprise&k0s@v1.31.5-k0s.0.tar")).toEqual({ name: "registry.mirantis.com/k0rdent-enterprise/k0s", tag: "v1.31.5-k0s.0" });
    expect(parseMkeArchiveName("README.txt")).toBeUndefined();
  });

  it("resolves tags, filters and digests from the per-image archives", async () => {
    const pinned = image(mke, "k0rdent-enterprise/k0s", "v1.31.4-k0s.0").digest;
    const test = await configFrom(
      yaml(
        `  mke: { type: oci-archives, path: "${archives}" }`,
        `      - { source: mke, ref: ${MKE_REGISTRY}/k0rdent-enterprise/k0s:v1.31.5-k0s.0 }
      - { source: mke, ref: ${MKE_REGISTRY}/k0rdent-enterprise/k0s, tags: { regex: "^v1\\\\.31\\\\.", newest: 5 } }
      - { source: mke, ref: "${MKE_REGISTRY}/k0rdent-enterprise/k0s@${pinned}" }
      - { source: mke, ref: ${MKE_REGISTRY}/k0rdent-enterprise/k0s:v9.9.9 }
      - { source: mke, ref: ${MKE_REGISTRY}/k0rdent-enterprise/other:v1 }
`,
      ),
    );
    const result = await resolve(test);
    const repo = `${MKE_REGISTRY}/k0rdent-enterprise/k0s`;
    expect(problemLines(result)).toEqual([
      `tag-not-found /bundles/main/images/3: ${repo}:v9.9.9: tag "v9.9.9" not found; source "mke" (oci-archives:${archives}:${repo}) has 3 tags: v1.31.5-k0s.0, v1.31.4-k0s.0, v1.30.9-k0s.0`,
      `repository-not-found /bundles/main/images/4: ${MKE_REGISTRY}/k0rdent-enterprise/other:v1: repository not found (source "mke" (oci-archives:${archives}:${MKE_REGISTRY}/k0rdent-enterprise/other) lists no tags)`,
    ]);
    const newest = concrete(result.lock, `${repo}:v1.31.5-k0s.0`, "mke");
    expect(newest.digest).toBe(image(mke, "k0rdent-enterprise/k0s", "v1.31.5-k0s.0").digest);
    expect(newest.manifests?.map((m) => m.platform)).toEqual(["linux/amd64", "linux/arm64"]);
    expect(result.lock.images.find(isTagSelection)?.selected).toEqual(["v1.31.5-k0s.0", "v1.31.4-k0s.0"]);
    expect(concrete(result.lock, `${repo}:v1.31.4-k0s.0`, "mke").digest).toBe(pinned);
    expect(concrete(result.lock, `${repo}@${pinned}`, "mke").size).toBe(image(mke, "k0rdent-enterprise/k0s", "v1.31.4-k0s.0").size);
  });
});
