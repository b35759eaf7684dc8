import { execFile } from "node:child_process";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { promisify } from "node:util";
import { extract } from "tar-stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MediaType } from "../../../../src/core/media-types.js";
import type { Descriptor } from "../../../../src/core/oci-types.js";
import { createLayoutTarStream, layoutTarInput, OciLayoutDirectory, writeLayoutTar, type LayoutTarInput } from "../../../../src/oci/layout/index.js";
import { ContentVerificationError } from "../../../../src/oci/verify.js";
import { makeTempDir, type TempDir } from "../../../harness/tmp.js";
import { makeImage, makeMultiArch, streamOf, type Blob } from "./fixtures.js";

const REPO = "registry.example/team/app";

interface Header {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  mtime: Date;
  size: number;
}

/** Lists a tar's headers with tar-stream's extractor: an independent decoder of what we encoded. */
async function headersOf(bytes: Buffer): Promise<Header[]> {
  const out: Header[] = [];
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on("entry", (header, stream, next) => {
      out.push(header as unknown as Header);
      stream.on("end", () => next());
      stream.resume();
    });
    ex.on("finish", () => resolve());
    ex.on("error", reject);
  });
  ex.end(bytes);
  await done;
  return out;
}

function inputOf(blobs: readonly Blob[], manifests: readonly Descriptor[]): LayoutTarInput {
  const byDigest = new Map(blobs.map((b) => [b.descriptor.digest as string, b.bytes]));
  return {
    index: { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests },
    blobs: blobs.map((b) => b.descriptor),
    open: (d) => streamOf(byDigest.get(d.digest) ?? Buffer.alloc(0)),
  };
}

describe("writeLayoutTar", () => {
  let tmp: TempDir;
  beforeEach(async () => {
    tmp = await makeTempDir("layouttarw");
  });
  afterEach(async () => {
    await tmp.remove();
  });

  it("is deterministic: the same layout gives byte-identical tars, whatever the blob order", async () => {
    const layout = await OciLayoutDirectory.open(join(tmp.path, "layout"), { create: true });
    const multi = makeMultiArch(1);
    const single = makeImage(3);
    const repo = layout.repository(REPO);
    for (const b of [...multi.blobs, ...single.blobs]) await repo.push(b.descriptor, streamOf(b.bytes));
    await repo.tag(multi.index.descriptor, "multi");
    await repo.tag(single.manifest.descriptor, "single");

    const input = await layoutTarInput(layout, { files: [{ name: "airgap/airgap.lock", content: "lock\n" }] });
    const first = await writeLayoutTar(join(tmp.path, "a.tar"), input);
    const second = await writeLayoutTar(join(tmp.path, "b.tar"), { ...input, blobs: [...input.blobs].reverse() });
    const a = await readFile(first.path);
    const b = await readFile(second.path);
    expect(a.equals(b)).toBe(true);
    expect(first.size).toBe(a.length);
    expect(first.blobs).toBe(multi.blobs.length + single.blobs.length);

    const headers = await headersOf(a);
    const blobNames = [...multi.blobs, ...single.blobs].map((x) => `blobs/sha256/${x.descriptor.digest.slice(7)}`).sort();
    expect(headers.map((h) => h.name)).toEqual(["oci-layout", "index.json", "airgap/", "airgap/airgap.lock", "blobs/", "blobs/sha256/", ...blobNames]);
    for (const h of headers) {
      expect(h.mtime.getTime()).toBe(0);
      expect([h.uid, h.gid, h.uname, h.gname]).toEqual([0, 0, "", ""]);
      expect(h.mode).toBe(h.type === "directory" ? 0o755 : 0o644);
    }
    // The index is the layout's, byte for byte.
    expect(input.index).toEqual(await layout.readIndex());
  });

  it("is readable by GNU tar", async () => {
    const image = makeImage(4);
    const path = join(tmp.path, "gnu.tar");
    await writeLayoutTar(path, inputOf(image.blobs, [image.manifest.descriptor]));
    const { stdout } = await promisify(execFile)("tar", ["-tvf", path]);
    expect(stdout).toContain("oci-layout");
    expect(stdout).toContain(`blobs/sha256/${image.manifest.descriptor.digest.slice(7)}`);
  });

  it("opens the next blobs while one is still being written, so a registry source's round trips overlap the transfer", async () => {
    const image = makeImage(6);
    const byDigest = new Map(image.blobs.map((b) => [b.descriptor.digest as string, b.bytes]));
    const opened: string[] = [];
    let firstOpened: string | undefined;
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
    const input: LayoutTarInput = {
      index: { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [image.manifest.descriptor] },
      blobs: image.blobs.map((b) => b.descriptor),
      open: (d) => {
        opened.push(d.digest);
        const bytes = byDigest.get(d.digest) ?? Buffer.alloc(0);
        if (firstOpened !== undefined) return streamOf(bytes);
        firstOpened = d.digest;
        // The first blob's bytes arrive only once every other blob has been opened.
        return Readable.from((async function* () {
          await firstHeld;
          yield bytes;
        })());
      },
    };
    const written = writeLayoutTar(join(tmp.path, "ahead.tar"), input);
    await expect.poll(() => opened.length).toBe(image.blobs.length);
    releaseFirst();
    await written;
    expect(new Set(opened)).toEqual(new Set(image.blobs.map((b) => b.descriptor.digest)));
  });

  it("refuses a blob whose content does not match, leaving no file and no temp file", async () => {
    const image = makeImage(5);
    const path = join(tmp.path, "bad.tar");
    await writeFile(path, "previous archive");
    const input = inputOf(image.blobs, [image.manifest.descriptor]);
    let badSource: Readable | undefined;
    const corrupt: LayoutTarInput = {
      ...input,
      open: (d, o) => (d.digest === image.layers[0]!.descriptor.digest ? (badSource = streamOf(Buffer.alloc(d.size, 1))) : input.open(d, o)),
    };
    const error = await writeLayoutTar(path, corrupt).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContentVerificationError);
    expect((error as Error).message).toContain(`blobs/sha256/${image.layers[0]!.descriptor.digest.slice(7, 19)}`);
    expect(badSource?.destroyed).toBe(true);
    expect(await readFile(path, "utf8")).toBe("previous archive");
    expect((await readdir(tmp.path)).filter((n) => n.startsWith(".tmp-"))).toEqual([]);

    const failing: LayoutTarInput = {
      ...input,
      open: () =>
        new Readable({
          read() {
            this.destroy(new Error("source went away"));
          },
        }),
    };
    await expect(writeLayoutTar(path, failing)).rejects.toThrow("source went away");
    expect((await readdir(tmp.path)).filter((n) => n.startsWith(".tmp-"))).toEqual([]);
  });

  it("refuses an index that names a blob it does not include, and extra files that clash", async () => {
    const image = makeImage(6);
    const input = inputOf(image.blobs.slice(0, -1), [image.manifest.descriptor]);
    await expect(writeLayoutTar(join(tmp.path, "x.tar"), input)).rejects.toMatchObject({ code: "INCOMPLETE" });
    const ok = inputOf(image.blobs, [image.manifest.descriptor]);
    for (const name of ["index.json", "blobs/sha256/x", "../up", "/abs"]) {
      expect(() => createLayoutTarStream({ ...ok, files: [{ name, content: "x" }] })).toThrow(/clash|absolute|\.\./);
    }
    expect(() => createLayoutTarStream({ ...ok, files: [{ name: "a", content: "1" }, { name: "a", content: "2" }] })).toThrow(/twice/);
  });

  it("streams: a consumer that stops early does not leave the producer hanging", async () => {
    const image = makeImage(7, { layerSize: 256 * 1024 });
    const stream = createLayoutTarStream(inputOf(image.blobs, [image.manifest.descriptor]));
    for await (const _chunk of stream) break;
    expect(stream.destroyed).toBe(true);
  });
});
