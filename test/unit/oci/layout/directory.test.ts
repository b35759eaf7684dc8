import { readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MediaType } from "../../../../src/core/media-types.js";
import { Annotation } from "../../../../src/core/oci-types.js";
import type { ContentWriter } from "../../../../src/oci/content.js";
import { LayoutError, OciLayoutDirectory } from "../../../../src/oci/layout/index.js";
import { ContentVerificationError, readAllLimited } from "../../../../src/oci/verify.js";
import { makeTempDir, type TempDir } from "../../../harness/tmp.js";
import { blob, makeImage, makeMultiArch, streamOf, type Blob } from "./fixtures.js";

async function pushAll(repo: ContentWriter, blobs: readonly Blob[]): Promise<void> {
  for (const b of blobs) await repo.push(b.descriptor, streamOf(b.bytes));
}

async function listTemp(root: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) await walk(join(dir, entry.name));
      else if (entry.name.startsWith(".tmp-")) found.push(join(dir, entry.name));
    }
  };
  await walk(root);
  return found;
}

const REPO = "127.0.0.1:5000/team/app";

describe("OciLayoutDirectory", () => {
  let tmp: TempDir;
  let dir: string;
  beforeEach(async () => {
    tmp = await makeTempDir("layoutdir");
    dir = join(tmp.path, "layout");
  });
  afterEach(async () => {
    await tmp.remove();
  });

  it("refuses a missing layout unless asked to create one, and creates a valid empty layout", async () => {
    await expect(OciLayoutDirectory.open(dir)).rejects.toMatchObject({ code: "NOT_A_LAYOUT" });
    const layout = await OciLayoutDirectory.open(dir, { create: true });
    expect(await readFile(join(dir, "oci-layout"), "utf8")).toBe('{"imageLayoutVersion":"1.0.0"}');
    expect(JSON.parse(await readFile(join(dir, "index.json"), "utf8"))).toEqual({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] });
    expect((await stat(join(dir, "blobs", "sha256"))).isDirectory()).toBe(true);
    expect(await layout.entries()).toEqual([]);
    await expect(OciLayoutDirectory.open(dir)).resolves.toBeInstanceOf(OciLayoutDirectory);
  });

  it("refuses an unknown imageLayoutVersion and an invalid index.json", async () => {
    await OciLayoutDirectory.open(dir, { create: true });
    await writeFile(join(dir, "index.json"), '{"schemaVersion":2,"manifests":[{"digest":"nope"}]}');
    const layout = await OciLayoutDirectory.open(dir);
    await expect(layout.entries()).rejects.toMatchObject({ code: "INVALID_INDEX", entry: "index.json" });
    await writeFile(join(dir, "oci-layout"), '{"imageLayoutVersion":"2.0.0"}');
    await expect(OciLayoutDirectory.open(dir)).rejects.toThrow(/unsupported imageLayoutVersion "2.0.0"/);
  });

  it("pushes blobs under blobs/sha256/<hex>, tags with the full name and resolves it", async () => {
    const layout = await OciLayoutDirectory.open(dir, { create: true });
    const repo = layout.repository(REPO);
    const image = makeImage(1);
    await pushAll(repo, image.blobs);
    await repo.tag(image.manifest.descriptor, "1.0");

    for (const b of image.blobs) {
      const file = join(dir, "blobs", "sha256", b.descriptor.digest.slice(7));
      expect(await readFile(file)).toEqual(b.bytes);
    }
    const [entry] = await layout.entries();
    expect(entry?.annotations).toEqual({ [Annotation.ContainerdImageName]: `${REPO}:1.0`, [Annotation.RefName]: `${REPO}:1.0` });
    expect(entry?.platform).toEqual({ os: "linux", architecture: "amd64" });

    const resolved = await repo.resolve("1.0");
    expect(resolved?.digest).toBe(image.manifest.descriptor.digest);
    expect(await repo.resolve("2.0")).toBeUndefined();
    expect(await layout.repository("127.0.0.1:5000/team/other").resolve("1.0")).toBeUndefined();
    expect(await repo.exists(image.layers[0]!.descriptor)).toBe(true);
    expect(await repo.exists({ ...image.layers[0]!.descriptor, size: 1 })).toBe(false);

    const fetched = await readAllLimited(await repo.fetch(image.config.descriptor), 1 << 20, "config");
    expect(fetched).toEqual(image.config.bytes);
    expect(await listTemp(dir)).toEqual([]);
  });

  it("skips a blob that is already stored without reading the new content", async () => {
    const layout = await OciLayoutDirectory.open(dir, { create: true });
    const b = blob(MediaType.OciLayerGzip, Buffer.from("already here"));
    expect(await layout.pushBlob(b.descriptor, streamOf(b.bytes))).toBe("written");
    let read = false;
    const second = new Readable({
      read() {
        read = true;
        this.push(null);
      },
    });
    expect(await layout.pushBlob(b.descriptor, second)).toBe("exists");
    expect(read).toBe(false);
    expect(second.destroyed).toBe(true);
  });

  it("refuses corrupt content and leaves neither the blob nor a temp file", async () => {
    const layout = await OciLayoutDirectory.open(dir, { create: true });
    const good = blob(MediaType.OciLayerGzip, Buffer.from("the right bytes"));
    const cases = [Buffer.from("the wrong bytes"), Buffer.from("short"), Buffer.from("the right bytes and more")];
    for (const bytes of cases) {
      const error = await layout.pushBlob(good.descriptor, streamOf(bytes)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ContentVerificationError);
      expect(await layout.blobSize(good.descriptor.digest)).toBeUndefined();
    }
    const sameSizeWrong = Buffer.from("the wrung bytes");
    await expect(layout.pushBlob(good.descriptor, streamOf(sameSizeWrong))).rejects.toThrow(/content has digest sha256:[0-9a-f]+, expected sha256:/);
    expect(await listTemp(dir)).toEqual([]);
    const failing = new Readable({
      read() {
        this.destroy(new Error("connection reset"));
      },
    });
    await expect(layout.pushBlob(good.descriptor, failing)).rejects.toThrow("connection reset");
    expect(await listTemp(dir)).toEqual([]);
    expect(await layout.pushBlob(good.descriptor, streamOf(good.bytes))).toBe("written");
  });

  it("leaves nothing behind when a push is aborted", async () => {
    const layout = await OciLayoutDirectory.open(dir, { create: true });
    const b = blob(MediaType.OciLayerGzip, Buffer.alloc(1 << 20, 7));
    const controller = new AbortController();
    const slow = new Readable({
      read() {
        this.push(b.bytes.subarray(0, 1024));
        controller.abort();
      },
    });
    await expect(layout.pushBlob(b.descriptor, slow, { signal: controller.signal })).rejects.toThrow(/abort/i);
    expect(await layout.blobSize(b.descriptor.digest)).toBeUndefined();
    expect(await listTemp(dir)).toEqual([]);
  });

  it("refuses to tag a manifest that is not stored", async () => {
    const layout = await OciLayoutDirectory.open(dir, { create: true });
    const image = makeImage(2);
    await expect(layout.repository(REPO).tag(image.manifest.descriptor, "1.0")).rejects.toMatchObject({ code: "MANIFEST_NOT_FOUND" });
    expect(await layout.entries()).toEqual([]);
  });

  it("refuses invalid tags and repository names", async () => {
    const layout = await OciLayoutDirectory.open(dir, { create: true });
    const image = makeImage(3);
    await pushAll(layout.repository(REPO), image.blobs);
    await expect(layout.repository(REPO).tag(image.manifest.descriptor, "-bad")).rejects.toMatchObject({ code: "INVALID_REFERENCE" });
    expect(() => layout.repository("has space/x")).toThrow(LayoutError);
    expect(() => layout.repository("repo@sha256")).toThrow(LayoutError);
    await expect(layout.setRef(image.manifest.descriptor, "../escape")).rejects.toMatchObject({ code: "INVALID_REFERENCE" });
  });

  it("does not lose entries when many tags are written concurrently (also through two store objects)", async () => {
    const layout = await OciLayoutDirectory.open(dir, { create: true });
    const other = await OciLayoutDirectory.open(dir);
    const image = makeImage(4);
    await pushAll(layout.repository(REPO), image.blobs);
    const tags = Array.from({ length: 40 }, (_, i) => `v${i}`);
    await Promise.all(tags.map((tag, i) => (i % 2 === 0 ? layout : other).repository(REPO).tag(image.manifest.descriptor, tag)));
    const names = (await layout.entries()).map((d) => d.annotations?.[Annotation.RefName]).sort();
    expect(names).toEqual(tags.map((t) => `${REPO}:${t}`).sort());
    expect(await listTemp(dir)).toEqual([]);
  });

  it("rewrites index.json from the bytes on disk, keeping what a previous writer added in place since this object last read it", async () => {
    const layout = await OciLayoutDirectory.open(dir, { create: true });
    const image = makeImage(5);
    await pushAll(layout.repository(REPO), image.blobs);
    await layout.repository(REPO).tag(image.manifest.descriptor, "v1");
    expect(await layout.entries()).toHaveLength(1);
    // Another writer (another process, earlier holder of the writer lock) changes the file in place: same inode.
    const index = JSON.parse(await readFile(join(dir, "index.json"), "utf8")) as { manifests: unknown[] };
    const [first] = index.manifests as { annotations: Record<string, string> }[];
    index.manifests.push({ ...first, annotations: { [Annotation.RefName]: `${REPO}:other` } });
    await writeFile(join(dir, "index.json"), JSON.stringify(index));
    await layout.repository(REPO).tag(image.manifest.descriptor, "v2");
    const names = (await layout.entries()).map((d) => d.annotations?.[Annotation.RefName]).sort();
    expect(names).toEqual([`${REPO}:other`, `${REPO}:v1`, `${REPO}:v2`]);
  });

  it("moves a tag by replacing its entry in place, and reports unchanged re-tags", async () => {
    const layout = await OciLayoutDirectory.open(dir, { create: true });
    const repo = layout.repository(REPO);
    const a = makeImage(5);
    const b = makeImage(6);
    await pushAll(repo, [...a.blobs, ...b.blobs]);
    expect(await layout.setRef(a.manifest.descriptor, `${REPO}:1.0`)).toBe("created");
    expect(await layout.setRef(a.manifest.descriptor, `${REPO}:latest`)).toBe("created");
    expect(await layout.setRef(a.manifest.descriptor, `${REPO}:1.0`)).toBe("unchanged");
    expect(await layout.setRef(b.manifest.descriptor, `${REPO}:1.0`)).toBe("replaced");
    const entries = await layout.entries();
    expect(entries.map((d) => [d.annotations?.[Annotation.RefName], d.digest])).toEqual([
      [`${REPO}:1.0`, b.manifest.descriptor.digest],
      [`${REPO}:latest`, a.manifest.descriptor.digest],
    ]);
    expect((await repo.resolve("1.0"))?.digest).toBe(b.manifest.descriptor.digest);
    expect(await layout.removeRef(`${REPO}:latest`)).toBe(true);
    expect(await layout.removeRef(`${REPO}:latest`)).toBe(false);
    expect(await layout.entries()).toHaveLength(1);
  });

  it("resolves skopeo-style bare tags and containerd-style entries, and keeps unknown fields on rewrite", async () => {
    const layout = await OciLayoutDirectory.open(dir, { create: true });
    const a = makeImage(7);
    const b = makeImage(8);
    const c = makeImage(9);
    await pushAll(layout.repository(REPO), [...a.blobs, ...b.blobs, ...c.blobs]);
    const entry = (image: typeof a, annotations: Record<string, string>): object => ({ ...image.manifest.descriptor, annotations });
    await writeFile(
      join(dir, "index.json"),
      JSON.stringify({
        schemaVersion: 2,
        annotations: { kept: "yes" },
        manifests: [
          entry(a, { [Annotation.RefName]: "1.0" }),
          entry(b, { [Annotation.RefName]: "2.0", [Annotation.ContainerdImageName]: `${REPO}:2.0` }),
          entry(c, { [Annotation.RefName]: "3.0", [Annotation.ContainerdImageName]: "docker.io/library/other:3.0" }),
        ],
      }),
    );
    const repo = layout.repository(REPO);
    expect((await repo.resolve("1.0"))?.digest).toBe(a.manifest.descriptor.digest);
    expect((await repo.resolve("2.0"))?.digest).toBe(b.manifest.descriptor.digest);
    expect(await repo.resolve("3.0")).toBeUndefined();
    expect((await layout.repository("docker.io/library/other").resolve("3.0"))?.digest).toBe(c.manifest.descriptor.digest);

    // A full-name entry wins over the bare tag; the containerd-style entry for the same name is replaced.
    await repo.tag(c.manifest.descriptor, "1.0");
    expect((await repo.resolve("1.0"))?.digest).toBe(c.manifest.descriptor.digest);
    expect(await layout.setRef(a.manifest.descriptor, `${REPO}:2.0`)).toBe("replaced");
    const raw = JSON.parse(await readFile(join(dir, "index.json"), "utf8")) as { annotations: unknown; manifests: unknown[] };
    expect(raw.annotations).toEqual({ kept: "yes" });
    expect(raw.manifests).toHaveLength(4);
  });

  it("resolves digests: index entries, child manifests (media type from the content), not layers", async () => {
    const layout = await OciLayoutDirectory.open(dir, { create: true });
    const multi = makeMultiArch(10);
    const repo = layout.repository(REPO);
    await pushAll(repo, multi.blobs);
    await repo.tag(multi.index.descriptor, "multi");
    expect(await repo.resolve(multi.index.descriptor.digest)).toMatchObject({ mediaType: MediaType.OciIndex, size: multi.index.descriptor.size });
    const child = multi.images[1]!.manifest.descriptor;
    expect(await repo.resolve(child.digest)).toEqual({ mediaType: MediaType.OciManifest, digest: child.digest, size: child.size });
    expect(await repo.resolve(multi.images[0]!.layers[0]!.descriptor.digest)).toBeUndefined();
    expect(await repo.resolve(`sha256:${"0".repeat(64)}`)).toBeUndefined();
  });

  it("reads manifests with a size limit and refuses non-manifests", async () => {
    const layout = await OciLayoutDirectory.open(dir, { create: true });
    const image = makeImage(11);
    await pushAll(layout.repository(REPO), image.blobs);
    const content = await layout.readManifest(image.manifest.descriptor);
    expect(content.kind).toBe("manifest");
    expect(content.bytes).toEqual(image.manifest.bytes);
    expect(content.children.map((d) => d.digest)).toEqual([image.config.descriptor.digest, ...image.layers.map((l) => l.descriptor.digest)]);
    await expect(layout.readManifest(image.manifest.descriptor, { limit: 100 })).rejects.toMatchObject({ code: "TOO_LARGE" });
    await expect(layout.readManifest({ ...image.config.descriptor, mediaType: MediaType.OciManifest })).rejects.toMatchObject({ code: "INVALID_MANIFEST" });
    const huge = blob(MediaType.OciManifest, Buffer.alloc(5 * 1024 * 1024, 0x20));
    await layout.pushBlob(huge.descriptor, streamOf(huge.bytes));
    await expect(layout.readManifest(huge.descriptor)).rejects.toThrow(/over the 4194304-byte limit/);
  });

  it("walks the graph children first, each digest once, and names a missing child", async () => {
    const layout = await OciLayoutDirectory.open(dir, { create: true });
    const multi = makeMultiArch(12);
    const repo = layout.repository(REPO);
    await pushAll(repo, multi.blobs);
    await repo.tag(multi.index.descriptor, "multi");
    await repo.tag(multi.images[0]!.manifest.descriptor, "amd64");
    const { descriptors } = await layout.walk();
    expect(descriptors).toHaveLength(multi.blobs.length);
    expect(new Set(descriptors.map((d) => d.digest)).size).toBe(multi.blobs.length);
    const position = (digest: string): number => descriptors.findIndex((d) => d.digest === digest);
    for (const image of multi.images) {
      for (const child of [image.config, ...image.layers]) expect(position(child.descriptor.digest)).toBeLessThan(position(image.manifest.descriptor.digest));
      expect(position(image.manifest.descriptor.digest)).toBeLessThan(position(multi.index.descriptor.digest));
    }
    const missing = multi.images[1]!.layers[1]!.descriptor.digest;
    await rm(layout.blobPath(missing));
    await expect(layout.walk()).rejects.toMatchObject({ code: "BLOB_NOT_FOUND", entry: `blobs/sha256/${missing.slice(7)}` });
  });

  it("fails a fetch whose stored bytes were corrupted on disk", async () => {
    const layout = await OciLayoutDirectory.open(dir, { create: true });
    const b = blob(MediaType.OciLayerGzip, Buffer.from("original content"));
    await layout.pushBlob(b.descriptor, streamOf(b.bytes));
    await writeFile(layout.blobPath(b.descriptor.digest), "tampered content");
    const stream = await layout.repository(REPO).fetch(b.descriptor);
    await expect(readAllLimited(stream, 1024, "blob")).rejects.toBeInstanceOf(ContentVerificationError);
    await expect(layout.openBlob({ ...b.descriptor, digest: `sha256:${"1".repeat(64)}` as typeof b.descriptor.digest })).rejects.toMatchObject({ code: "BLOB_NOT_FOUND" });
  });
});
