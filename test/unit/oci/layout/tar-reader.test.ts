import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir, readFile, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MediaType } from "../../../../src/core/media-types.js";
import { Annotation, type Descriptor } from "../../../../src/core/oci-types.js";
import { layoutTarInput, OciLayoutDirectory, OciLayoutTar, writeLayoutTar } from "../../../../src/oci/layout/index.js";
import { ContentVerificationError, readAllLimited } from "../../../../src/oci/verify.js";
import { makeTempDir, type TempDir } from "../../../harness/tmp.js";
import { blob, makeImage, makeMultiArch, rawTar, sha256, streamOf, type RawEntry } from "./fixtures.js";

const REPO = "registry.example/team/app";
const LAYOUT = { name: "oci-layout", data: '{"imageLayoutVersion":"1.0.0"}' };

function indexEntry(manifests: readonly Descriptor[] = []): RawEntry {
  return { name: "index.json", data: JSON.stringify({ schemaVersion: 2, manifests }) };
}

function blobEntry(digest: string, data: Buffer | string): RawEntry {
  return { name: `blobs/sha256/${digest.slice(7)}`, data };
}

describe("OciLayoutTar", () => {
  let tmp: TempDir;
  beforeEach(async () => {
    tmp = await makeTempDir("layouttarr");
  });
  afterEach(async () => {
    await tmp.remove();
  });

  async function writeRaw(entries: readonly RawEntry[], options: { end?: boolean } = {}): Promise<string> {
    const path = join(tmp.path, `raw-${Math.random().toString(36).slice(2)}.tar`);
    await writeFile(path, rawTar(entries, options));
    return path;
  }

  async function buildTar(): Promise<{ path: string; multi: ReturnType<typeof makeMultiArch>; single: ReturnType<typeof makeImage> }> {
    const layout = await OciLayoutDirectory.open(join(tmp.path, "layout"), { create: true });
    const multi = makeMultiArch(20);
    const single = makeImage(30);
    const repo = layout.repository(REPO);
    for (const b of [...multi.blobs, ...single.blobs]) await repo.push(b.descriptor, streamOf(b.bytes));
    await repo.tag(multi.index.descriptor, "multi");
    await repo.tag(single.manifest.descriptor, "single");
    const path = join(tmp.path, "layout.tar");
    await writeLayoutTar(path, await layoutTarInput(layout, { files: [{ name: "airgap/airgap.lock", content: "lock\n" }] }));
    return { path, multi, single };
  }

  it("round-trips what the writer wrote: index, tags, every blob, extra files", async () => {
    const { path, multi, single } = await buildTar();
    const tar = await OciLayoutTar.open(path);
    expect(tar.compressed).toBe(false);
    expect((await tar.entries()).map((d) => d.annotations?.[Annotation.RefName])).toEqual([`${REPO}:multi`, `${REPO}:single`]);
    const repo = tar.repository(REPO);
    expect((await repo.resolve("multi"))?.digest).toBe(multi.index.descriptor.digest);
    expect((await repo.resolve("single"))?.digest).toBe(single.manifest.descriptor.digest);
    for (const b of [...multi.blobs, ...single.blobs]) {
      expect(await repo.exists(b.descriptor)).toBe(true);
      expect(await readAllLimited(await repo.fetch(b.descriptor), 1 << 20, "blob")).toEqual(b.bytes);
    }
    const index = await tar.readManifest(multi.index.descriptor);
    expect(index.kind).toBe("index");
    expect(index.children.map((d) => d.digest)).toEqual(multi.images.map((i) => i.manifest.descriptor.digest));
    expect(tar.extraFiles().map((f) => f.name)).toEqual(["airgap/airgap.lock"]);
    expect((await tar.readFile("airgap/airgap.lock", 1024)).toString()).toBe("lock\n");
    const verified = await tar.verifyAll();
    expect(verified).toMatchObject({ ok: true, blobs: multi.blobs.length + single.blobs.length, problems: [] });
    expect((await tar.walk()).descriptors).toHaveLength(multi.blobs.length + single.blobs.length);
    await tar.close();
  });

  it("reads a gzip-compressed archive through a temp copy that close() removes", async () => {
    const { path, single } = await buildTar();
    const gz = `${path}.gz`;
    await pipeline(createReadStream(path), createGzip(), createWriteStream(gz));
    const tempDir = join(tmp.path, "expand");
    await mkdir(tempDir);
    const tar = await OciLayoutTar.open(gz, { tempDir });
    expect(tar.compressed).toBe(true);
    expect(await readdir(tempDir)).toHaveLength(1);
    const fetched = await readAllLimited(await tar.repository(REPO).fetch(single.manifest.descriptor), 1 << 20, "m");
    expect(fetched).toEqual(single.manifest.bytes);
    expect((await tar.verifyAll()).ok).toBe(true);
    await tar.close();
    expect(await readdir(tempDir)).toEqual([]);

    await expect(OciLayoutTar.open(gz, { tempDir, maxExpandedSize: 1000 })).rejects.toMatchObject({ code: "TOO_LARGE" });
    const cut = join(tmp.path, "cut.tar.gz");
    const bytes = await readFile(gz);
    await writeFile(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expect(OciLayoutTar.open(cut, { tempDir })).rejects.toMatchObject({ code: "TRUNCATED" });
    expect(await readdir(tempDir)).toEqual([]);
  });

  it("resolves skopeo-style bare tags from an archive", async () => {
    const image = makeImage(40);
    const manifest = { ...image.manifest.descriptor, annotations: { [Annotation.RefName]: "1.0" } };
    const path = await writeRaw([LAYOUT, indexEntry([manifest]), ...image.blobs.map((b) => blobEntry(b.descriptor.digest, b.bytes))]);
    const tar = await OciLayoutTar.open(path);
    expect((await tar.repository("anything/at-all").resolve("1.0"))?.digest).toBe(image.manifest.descriptor.digest);
    expect((await tar.verifyAll()).ok).toBe(true);
  });

  describe("refuses hostile archives, naming the entry", () => {
    const cases: readonly [string, readonly RawEntry[], string, RegExp][] = [
      ["a .. component", [LAYOUT, indexEntry(), { name: "blobs/../../etc/cron.d/evil", data: "x" }], "UNSAFE_ENTRY", /"blobs\/\.\.\/\.\.\/etc\/cron\.d\/evil" has a "\.\." path component/],
      ["a bare ..", [LAYOUT, indexEntry(), { name: "../oci-layout", data: "x" }], "UNSAFE_ENTRY", /"\.\.\/oci-layout"/],
      ["a backslash ..", [LAYOUT, indexEntry(), { name: "a\\..\\..\\b", data: "x" }], "UNSAFE_ENTRY", /path component/],
      ["an absolute path", [LAYOUT, indexEntry(), { name: "/etc/passwd", data: "x" }], "UNSAFE_ENTRY", /"\/etc\/passwd" has an absolute path/],
      ["a Windows drive path", [LAYOUT, indexEntry(), { name: "C:/Windows/evil", data: "x" }], "UNSAFE_ENTRY", /absolute path/],
      ["a pax path with ..", [LAYOUT, indexEntry(), { name: "innocent", data: "x", pax: { path: "../escape" } }], "UNSAFE_ENTRY", /"\.\.\/escape"/],
      ["a GNU long name with ..", [LAYOUT, indexEntry(), { name: "././@LongLink", typeflag: "L", data: "../../long\0" }, { name: "short", data: "x" }], "UNSAFE_ENTRY", /"\.\.\/\.\.\/long"/],
      ["a symlink", [LAYOUT, { name: "index.json", typeflag: "2", linkname: "/etc/passwd" }], "UNSUPPORTED_ENTRY", /"index\.json" is a symbolic link to "\/etc\/passwd"/],
      ["a hard link", [LAYOUT, indexEntry(), { name: "blobs/sha256/" + "a".repeat(64), typeflag: "1", linkname: "oci-layout" }], "UNSUPPORTED_ENTRY", /is a hard link to "oci-layout"/],
      ["a character device", [LAYOUT, indexEntry(), { name: "dev/null", typeflag: "3" }], "UNSUPPORTED_ENTRY", /"dev\/null" is a character device/],
      ["a block device", [LAYOUT, indexEntry(), { name: "dev/sda", typeflag: "4" }], "UNSUPPORTED_ENTRY", /is a block device/],
      ["a fifo", [LAYOUT, indexEntry(), { name: "pipe", typeflag: "6" }], "UNSUPPORTED_ENTRY", /"pipe" is a FIFO/],
      ["a GNU sparse file", [LAYOUT, indexEntry(), { name: "sparse", typeflag: "S" }], "UNSUPPORTED_ENTRY", /unsupported type 'S'/],
      ["a duplicate index.json", [LAYOUT, indexEntry(), indexEntry()], "DUPLICATE_ENTRY", /"index\.json" appears more than once/],
      ["a duplicate after normalisation", [LAYOUT, indexEntry(), { name: "./oci-layout", data: "{}" }], "DUPLICATE_ENTRY", /"oci-layout" appears more than once/],
      ["a blob that is not a digest", [LAYOUT, indexEntry(), { name: "blobs/sha256/not-a-digest", data: "x" }], "INVALID_ENTRY", /"blobs\/sha256\/not-a-digest" is under blobs\//],
      ["a nested blob directory", [LAYOUT, indexEntry(), { name: "blobs/sha256/sub/" }], "INVALID_ENTRY", /blobs\/sha256\/sub/],
      ["no oci-layout", [indexEntry()], "NOT_A_LAYOUT", /no oci-layout entry/],
      ["a wrong layout version", [{ name: "oci-layout", data: '{"imageLayoutVersion":"9"}' }, indexEntry()], "NOT_A_LAYOUT", /unsupported imageLayoutVersion/],
      ["no index.json", [LAYOUT], "INVALID_INDEX", /no index\.json/],
      ["an invalid index.json", [LAYOUT, { name: "index.json", data: '{"schemaVersion":2,"manifests":[{"mediaType":"x","size":1,"digest":"sha256:../../x"}]}' }], "INVALID_INDEX", /manifests\[0\]\.digest/],
    ];
    for (const [what, entries, code, message] of cases) {
      it(`refuses ${what}`, async () => {
        const error = await OciLayoutTar.open(await writeRaw(entries)).catch((e: unknown) => e);
        expect(error).toMatchObject({ code });
        expect((error as Error).message).toMatch(message);
      });
    }

    it("refuses an oversized index.json and an oversized manifest without reading them", async () => {
      // Sparse files: the header claims a huge size, the data is holes.
      const big = async (name: string, size: number, before: readonly RawEntry[]): Promise<string> => {
        const path = join(tmp.path, `${name.replace(/\W/g, "_")}.tar`);
        const head = rawTar([...before, { name, size, data: "" }], { end: false });
        await writeFile(path, head);
        await truncate(path, head.length + Math.ceil(size / 512) * 512 + 1024);
        return path;
      };
      const indexError = await OciLayoutTar.open(await big("index.json", 40 * 1024 * 1024, [LAYOUT])).catch((e: unknown) => e);
      expect(indexError).toMatchObject({ code: "TOO_LARGE", entry: "index.json" });

      const digest = `sha256:${"b".repeat(64)}`;
      const manifest = { mediaType: MediaType.OciManifest, digest, size: 5 * 1024 * 1024 } as Descriptor;
      const manifestError = await OciLayoutTar.open(await big(`blobs/sha256/${"b".repeat(64)}`, 5 * 1024 * 1024, [LAYOUT, indexEntry([manifest])])).catch((e: unknown) => e);
      expect(manifestError).toMatchObject({ code: "TOO_LARGE", entry: `blobs/sha256/${"b".repeat(64)}` });
      expect((manifestError as Error).message).toMatch(/over the 4194304-byte limit/);
    });

    it("refuses truncated archives, naming the entry that was cut", async () => {
      const image = makeImage(50, { layerSize: 64 * 1024 });
      const layer = image.layers[0]!;
      const bytes = rawTar([LAYOUT, indexEntry([image.manifest.descriptor]), ...image.blobs.map((b) => blobEntry(b.descriptor.digest, b.bytes))]);
      const path = join(tmp.path, "cut.tar");
      const start = bytes.indexOf(layer.bytes.subarray(0, 64));
      await writeFile(path, bytes.subarray(0, start + 1000));
      const error = await OciLayoutTar.open(path).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "TRUNCATED", entry: `blobs/sha256/${layer.descriptor.digest.slice(7)}` });
      expect((error as Error).message).toMatch(/truncated/);

      await writeFile(path, bytes.subarray(0, bytes.length - 1024));
      await expect(OciLayoutTar.open(path)).rejects.toThrow(/without the end-of-archive marker/);
      await writeFile(path, bytes.subarray(0, 700));
      await expect(OciLayoutTar.open(path)).rejects.toMatchObject({ code: "TRUNCATED" });
      await writeFile(path, Buffer.alloc(0));
      await expect(OciLayoutTar.open(path)).rejects.toMatchObject({ code: "TRUNCATED" });
    });

    it("refuses a damaged header", async () => {
      const bytes = rawTar([LAYOUT, indexEntry()]);
      bytes[3] = (bytes[3] ?? 0) ^ 0xff;
      const path = join(tmp.path, "damaged.tar");
      await writeFile(path, bytes);
      await expect(OciLayoutTar.open(path)).rejects.toMatchObject({ code: "CORRUPT_ARCHIVE", message: expect.stringMatching(/offset 0: header checksum/) });
      await writeFile(path, "this is not a tar archive at all, just text ".repeat(20));
      await expect(OciLayoutTar.open(path)).rejects.toMatchObject({ code: "CORRUPT_ARCHIVE" });
    });

    it("names a blob whose content does not match its name, when read and in verifyAll", async () => {
      const image = makeImage(60);
      const victim = image.layers[1]!;
      const path = await writeRaw([
        LAYOUT,
        indexEntry([image.manifest.descriptor]),
        ...image.blobs.map((b) => blobEntry(b.descriptor.digest, b === victim ? Buffer.alloc(b.bytes.length, 0x41) : b.bytes)),
      ]);
      const tar = await OciLayoutTar.open(path);
      const entry = `blobs/sha256/${victim.descriptor.digest.slice(7)}`;
      const error = await readAllLimited(await tar.repository(REPO).fetch(victim.descriptor), 1 << 20, "layer").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ContentVerificationError);
      expect((error as Error).message).toContain(entry);
      const result = await tar.verifyAll();
      expect(result.ok).toBe(false);
      expect(result.problems).toEqual([{ entry, code: "CONTENT_MISMATCH", message: expect.stringContaining(entry) as unknown as string }]);
    });

    it("reports a corrupt manifest once in verifyAll, by its entry", async () => {
      const image = makeImage(65);
      const path = await writeRaw([
        LAYOUT,
        indexEntry([image.manifest.descriptor]),
        ...image.blobs.map((b) => blobEntry(b.descriptor.digest, b === image.manifest ? Buffer.from(b.bytes.toString().replace("layers", "lAyers")) : b.bytes)),
      ]);
      const result = await (await OciLayoutTar.open(path)).verifyAll();
      expect(result.problems).toEqual([
        { entry: `blobs/sha256/${image.manifest.descriptor.digest.slice(7)}`, code: "CONTENT_MISMATCH", message: expect.stringMatching(/content has digest/) as unknown as string },
      ]);
    });

    it("reports a referenced blob that is missing in verifyAll", async () => {
      const image = makeImage(70);
      const missing = image.layers[0]!;
      const path = await writeRaw([LAYOUT, indexEntry([image.manifest.descriptor]), ...image.blobs.filter((b) => b !== missing).map((b) => blobEntry(b.descriptor.digest, b.bytes))]);
      const tar = await OciLayoutTar.open(path);
      const result = await tar.verifyAll();
      expect(result.ok).toBe(false);
      expect(result.problems[0]).toMatchObject({ entry: `blobs/sha256/${missing.descriptor.digest.slice(7)}`, code: "BLOB_NOT_FOUND" });
      await expect(tar.repository(REPO).fetch(missing.descriptor)).rejects.toMatchObject({ code: "BLOB_NOT_FOUND" });
    });
  });

  it("accepts pax long names, ./ prefixes, directories and an empty blob", async () => {
    const empty = blob(MediaType.OciLayer, Buffer.alloc(0));
    const data = Buffer.from("long-named content");
    const long = `extras/${"d".repeat(120)}/file.txt`;
    const path = await writeRaw([
      { name: "./" },
      { name: "./oci-layout", data: LAYOUT.data },
      { name: "./index.json", data: JSON.stringify({ schemaVersion: 2, manifests: [] }) },
      { name: "./blobs/" },
      { name: "./blobs/sha256/" },
      { name: "x", data, pax: { path: long, mtime: "1.5" } },
      blobEntry(empty.descriptor.digest, ""),
      blobEntry(sha256(data), data),
    ]);
    const tar = await OciLayoutTar.open(path);
    expect(tar.extraFiles().map((f) => f.name)).toEqual([long]);
    expect(await tar.readFile(long, 100)).toEqual(data);
    expect(await readAllLimited(await tar.openBlob(empty.descriptor), 10, "empty")).toEqual(Buffer.alloc(0));
    expect(await tar.verifyAll()).toMatchObject({ ok: true, blobs: 2 });
    await expect(tar.readFile(long, 5)).rejects.toMatchObject({ code: "TOO_LARGE" });
  });

  it("never leaves a temp copy behind when a compressed archive is refused", async () => {
    const path = await writeRaw([LAYOUT, indexEntry(), { name: "../evil", data: "x" }]);
    const gz = `${path}.gz`;
    await pipeline(createReadStream(path), createGzip(), createWriteStream(gz));
    const before = (await readdir(tmpdir())).filter((n) => n.startsWith("airgap-layout-")).length;
    await expect(OciLayoutTar.open(gz)).rejects.toMatchObject({ code: "UNSAFE_ENTRY" });
    const after = (await readdir(tmpdir())).filter((n) => n.startsWith("airgap-layout-")).length;
    expect(after).toBeLessThanOrEqual(before);
  });
});
