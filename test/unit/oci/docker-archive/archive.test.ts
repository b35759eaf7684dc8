import { execFile } from "node:child_process";
import { mkdir, readdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MediaType } from "../../../../src/core/media-types.js";
import { Annotation, type Descriptor } from "../../../../src/core/oci-types.js";
import { DOCKER_LAYER_TAR, DockerArchive, type OpenDockerArchiveOptions } from "../../../../src/oci/docker-archive/index.js";
import { layoutTarInput, OciLayoutTar, walkLayout, writeLayoutTar } from "../../../../src/oci/layout/index.js";
import { ContentVerificationError, readAllLimited } from "../../../../src/oci/verify.js";
import { makeTempDir, type TempDir } from "../../../harness/tmp.js";
import { dockerSave, dockerSaveEntries, expectedManifest, hex, layerTar, rawTar, savedImage, sha256, type SavedImage } from "./fixtures.js";

const execFileP = promisify(execFile);

const nginx = savedImage(["nginx:1.25", "nginx:latest"], ["base", "nginx"]);
const app = savedImage(["registry.example.com:5000/team/app:v1"], ["base", "app-1", "app-2"], { architecture: "arm64", variant: "v8" });

async function text(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  return readAllLimited(stream, 1 << 24, "test content");
}

describe("DockerArchive", () => {
  let tmp: TempDir;
  beforeEach(async () => {
    tmp = await makeTempDir("dockerarch");
  });
  afterEach(async () => {
    await tmp.remove();
  });

  async function write(data: Buffer, name = `a-${Math.random().toString(36).slice(2)}.tar`): Promise<string> {
    const path = join(tmp.path, name);
    await writeFile(path, data);
    return path;
  }

  async function openArchive(data: Buffer, options: OpenDockerArchiveOptions = {}): Promise<DockerArchive> {
    const result = await DockerArchive.open(await write(data), options);
    if (result.kind !== "docker-archive") throw new Error(`expected a docker archive, got ${result.kind}`);
    return result.archive;
  }

  it("reads a Docker (< 25) save: full names, a synthesized schema 2 manifest, layers through symlinks", async () => {
    const archive = await openArchive(dockerSave([nginx, app]));
    expect(archive.compressed).toBe(false);
    expect(archive.references()).toEqual(["docker.io/library/nginx:1.25", "docker.io/library/nginx:latest", "registry.example.com:5000/team/app:v1"]);
    const [first, second] = archive.images();
    expect(first?.platform).toEqual({ os: "linux", architecture: "amd64" });
    expect(second?.platform).toEqual({ os: "linux", architecture: "arm64", variant: "v8" });
    // The shared base layer is a symlink in the second image's directory, resolved to the first copy.
    expect(second?.layerEntries[0]).toBe(first?.layerEntries[0]);

    const repo = archive.repository("nginx");
    expect(repo.name).toBe(`docker-archive:${archive.path}:docker.io/library/nginx`);
    const manifest = await repo.resolve("1.25");
    const bytes = Buffer.from(expectedManifest(nginx));
    expect(manifest).toMatchObject({ mediaType: MediaType.DockerManifest, digest: sha256(bytes), size: bytes.length });
    expect((await text(await repo.fetch(manifest!))).equals(bytes)).toBe(true);
    expect((await archive.repository("docker.io/library/nginx").resolve("latest"))?.digest).toBe(manifest?.digest);
    expect(await repo.resolve("1.26")).toBeUndefined();
    expect(archive.image("nginx:latest")?.manifest.digest).toBe(manifest?.digest);

    const image = archive.image("registry.example.com:5000/team/app:v1")!;
    expect(image.config).toEqual({ mediaType: MediaType.DockerConfig, digest: sha256(app.config), size: app.config.length });
    expect(image.layers).toEqual(app.layers.map((l) => ({ mediaType: DOCKER_LAYER_TAR, digest: sha256(l), size: l.length })));
    const appRepo = archive.repository("registry.example.com:5000/team/app");
    for (const [i, layer] of image.layers.entries()) {
      expect(await appRepo.exists(layer)).toBe(true);
      expect((await text(await appRepo.fetch(layer))).equals(app.layers[i]!)).toBe(true);
    }
    expect((await text(await appRepo.fetch(image.config))).equals(app.config)).toBe(true);
    expect(await appRepo.exists({ ...image.config, size: 1 })).toBe(false);
    // Digests resolve to manifests only, as a registry would answer.
    expect((await appRepo.resolve(image.manifest.digest))?.digest).toBe(image.manifest.digest);
    expect(await appRepo.resolve(image.config.digest)).toBeUndefined();
    await archive.close();
  });

  it("synthesizes the same manifest digests from every archive shape, every time", async () => {
    const digests = async (style: "docker" | "skopeo" | "docker25"): Promise<string[]> => {
      const archive = await openArchive(dockerSave([nginx, app], style), { ociLayout: "ignore" });
      return archive.images().map((i) => i.manifest.digest);
    };
    const docker = await digests("docker");
    expect(docker).toEqual([sha256(expectedManifest(nginx)), sha256(expectedManifest(app))]);
    expect(await digests("docker")).toEqual(docker);
    expect(await digests("skopeo")).toEqual(docker);
    expect(await digests("docker25")).toEqual(docker);
  });

  it("presents a synthesized index.json that the layout walk and tar writer use unchanged", async () => {
    const untagged = savedImage(null, ["solo"]);
    const archive = await openArchive(dockerSave([nginx, app, untagged]));
    const index = await archive.readIndex();
    expect(index.manifests.map((d) => d.annotations?.[Annotation.ContainerdImageName])).toEqual([
      "docker.io/library/nginx:1.25",
      "docker.io/library/nginx:latest",
      "registry.example.com:5000/team/app:v1",
      undefined,
    ]);
    expect(index.manifests[0]?.annotations?.[Annotation.RefName]).toBe("docker.io/library/nginx:1.25");
    const walked = await walkLayout(archive, index.manifests);
    // 3 manifests, 3 configs, 5 distinct layers (base shared).
    expect(walked.descriptors).toHaveLength(11);
    // The untagged image is reachable by digest only.
    const solo = archive.images()[2]!;
    expect(solo.references).toEqual([]);
    expect((await archive.repository("anything/else").resolve(solo.manifest.digest))?.digest).toBe(solo.manifest.digest);

    const out = join(tmp.path, "converted.tar");
    await writeLayoutTar(out, await layoutTarInput(archive));
    const layout = await OciLayoutTar.open(out);
    expect((await layout.verifyAll()).ok).toBe(true);
    expect((await layout.repository("docker.io/library/nginx").resolve("latest"))?.digest).toBe(sha256(expectedManifest(nginx)));
  });

  it("reads a gzip-compressed save and removes its temp copy on close", async () => {
    const tempDir = join(tmp.path, "expand");
    await mkdir(tempDir);
    const archive = await openArchive(gzipSync(dockerSave([nginx])), { tempDir });
    expect(archive.compressed).toBe(true);
    expect(await readdir(tempDir)).toHaveLength(1);
    const layer = archive.images()[0]!.layers[1]!;
    expect((await text(await archive.openBlob(layer))).equals(nginx.layers[1]!)).toBe(true);
    await archive.close();
    expect(await readdir(tempDir)).toEqual([]);
  });

  it("reads an archive made by GNU tar from a directory with a symlinked layer", async () => {
    const dir = join(tmp.path, "save");
    const entries = dockerSaveEntries([nginx, savedImage(["busybox:1"], ["base"])], "docker");
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.name.endsWith("/")) await mkdir(path, { recursive: true });
      else if (entry.typeflag === "2") await symlink(entry.linkname!, path);
      else await writeFile(path, entry.data ?? "");
    }
    const tarPath = join(tmp.path, "gnu.tar");
    await execFileP("tar", ["-C", dir, "-cf", tarPath, "--sort=name", "--format=gnu", "."]);
    const result = await DockerArchive.open(tarPath);
    if (result.kind !== "docker-archive") throw new Error("not a docker archive");
    const busybox = result.archive.image("busybox:1")!;
    expect(busybox.layers[0]?.digest).toBe(sha256(nginx.layers[0]!));
    expect((await text(await result.archive.openBlob(busybox.layers[0]!))).equals(nginx.layers[0]!)).toBe(true);
    expect((await result.archive.verifyAll()).ok).toBe(true);
  });

  it("reports an OCI layout archive (Docker 25+) to the caller instead of opening it", async () => {
    const path = await write(dockerSave([nginx], "docker25"));
    expect(await DockerArchive.open(path)).toEqual({ kind: "oci-layout", path, hasManifestJson: true });
    const plain = await write(rawTar([{ name: "oci-layout", data: '{"imageLayoutVersion":"1.0.0"}' }, { name: "index.json", data: '{"schemaVersion":2,"manifests":[]}' }]));
    expect(await DockerArchive.open(plain)).toEqual({ kind: "oci-layout", path: plain, hasManifestJson: false });
    const forced = await DockerArchive.open(path, { ociLayout: "ignore" });
    expect(forced.kind).toBe("docker-archive");
  });

  describe("content that does not match", () => {
    const corrupt = (image: SavedImage): Buffer => {
      const entries = dockerSaveEntries([image], "docker").map((e) => {
        if (!e.name.endsWith("/layer.tar") || e.data === undefined) return e;
        const data = Buffer.from(e.data);
        data[600] = (data[600] ?? 0) ^ 0xff;
        return { ...e, data };
      });
      return rawTar(entries);
    };

    it("fails the stream of a layer whose bytes are not its diff_id, naming the entry", async () => {
      const archive = await openArchive(corrupt(nginx));
      const layer = archive.images()[0]!.layers[0]!;
      const error = await text(await archive.openBlob(layer)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ContentVerificationError);
      expect((error as Error).message).toMatch(new RegExp(`docker-archive:.*/layer\\.tar.*expected ${layer.digest}`));
      const verified = await archive.verifyAll();
      expect(verified.ok).toBe(false);
      expect(verified.problems).toHaveLength(2);
      expect(verified.problems[0]?.entry).toMatch(/\/layer\.tar$/);
      expect(verified.problems[0]?.code).toBe("CONTENT_MISMATCH");
    });

    it("refuses it at open with verifyLayers", async () => {
      await expect(DockerArchive.open(await write(corrupt(nginx)), { verifyLayers: true })).rejects.toThrow(ContentVerificationError);
      const good = await DockerArchive.open(await write(dockerSave([nginx])), { verifyLayers: true });
      expect(good.kind).toBe("docker-archive");
    });

    it("refuses a layer named for a digest that is not its diff_id", async () => {
      const entries = dockerSaveEntries([nginx], "docker25").map((e) =>
        e.name === "manifest.json" ? { ...e, data: Buffer.from(String(e.data).replace(hex(sha256(nginx.layers[0]!)), hex(sha256(nginx.layers[1]!)))) } : e,
      );
      await expect(openArchive(rawTar(entries), { ociLayout: "ignore" })).rejects.toMatchObject({ code: "INVALID_MANIFEST", message: expect.stringMatching(/is named for sha256:.* but rootfs\.diff_ids\[0\]/) });
    });

    it("refuses a config whose bytes contradict its name", async () => {
      const entries = dockerSaveEntries([nginx]).map((e) => (e.name.endsWith(".json") && !e.name.includes("/") && e.name !== "manifest.json" ? { ...e, data: Buffer.from(`${String(e.data)} `) } : e));
      await expect(openArchive(rawTar(entries))).rejects.toThrow(ContentVerificationError);
    });

    it("refuses a config with another number of diff_ids than layers", async () => {
      const broken: SavedImage = { ...nginx, config: Buffer.from(JSON.stringify({ os: "linux", architecture: "amd64", rootfs: { type: "layers", diff_ids: [sha256(nginx.layers[0]!)] } })) };
      await expect(openArchive(dockerSave([broken]))).rejects.toMatchObject({ code: "INVALID_MANIFEST", message: expect.stringMatching(/lists 2 layers in manifest\.json but its config .* has 1 rootfs\.diff_ids/) });
    });
  });

  it("opens a real-size layer without reading it (headers and JSON only)", async () => {
    const big: SavedImage = (() => {
      const layers = [layerTar("big", 8 * 1024 * 1024)];
      return { repoTags: ["big:1"], config: Buffer.from(JSON.stringify({ os: "linux", architecture: "amd64", rootfs: { type: "layers", diff_ids: layers.map((l) => sha256(l)) } })), layers };
    })();
    // One byte of the layer's content is changed after the fact: opening succeeds only if it never
    // hashes the layer (no time bound needed), and reading the layer still catches the damage.
    const bytes = dockerSave([big]);
    const inLayer = bytes.indexOf(big.layers[0]!.subarray(4 * 1024 * 1024, 4 * 1024 * 1024 + 64));
    expect(inLayer).toBeGreaterThan(0);
    bytes[inLayer] = bytes[inLayer]! ^ 0xff;
    const archive = await openArchive(bytes);
    const layer = archive.images()[0]!.layers[0]!;
    expect(layer.size).toBe(big.layers[0]!.length);
    await expect(text(await archive.openBlob(layer))).rejects.toBeInstanceOf(ContentVerificationError);
  });

  it("leaves no temp files when a compressed archive is refused", async () => {
    const tempDir = join(tmp.path, "expand2");
    await mkdir(tempDir);
    await expect(DockerArchive.open(await write(gzipSync(rawTar([{ name: "x", data: "y" }]))), { tempDir })).rejects.toMatchObject({ code: "NOT_A_LAYOUT" });
    expect(await readdir(tempDir)).toEqual([]);
  });

  it("resolves to the same descriptor whatever spelling the repository has", async () => {
    const archive = await openArchive(dockerSave([nginx]));
    const a: Descriptor | undefined = await archive.repository("library/nginx").resolve("1.25");
    const b = await archive.repository("index.docker.io/library/nginx").resolve("1.25");
    expect(a?.digest).toBeDefined();
    expect(b?.digest).toBe(a?.digest);
    expect(() => archive.repository("nginx:1.25")).toThrow(/not a repository name/);
  });
});
