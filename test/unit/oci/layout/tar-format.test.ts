import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OciLayoutDirectory, OciLayoutTar } from "../../../../src/oci/layout/index.js";
import { paddedSize, parsePaxRecords, parseTarHeader, readNumber } from "../../../../src/oci/layout/tar-format.js";
import { makeTempDir, type TempDir } from "../../../harness/tmp.js";
import { makeMultiArch, rawTar, streamOf } from "./fixtures.js";

describe("tar-format", () => {
  it("reads octal fields with space and NUL padding, and GNU base-256 sizes beyond 8 GiB", () => {
    expect(readNumber(Buffer.from("0000644 \0"), 0, 8)).toBe(0o644);
    expect(readNumber(Buffer.from("  755\0\0\0\0"), 0, 8)).toBe(0o755);
    expect(readNumber(Buffer.from("\0\0\0\0\0\0\0\0"), 0, 8)).toBe(0);
    expect(readNumber(Buffer.from("12x4\0"), 0, 5)).toBeUndefined();
    const big = Buffer.alloc(12);
    big[0] = 0x80;
    big.writeUIntBE(10 * 1024 ** 3, 6, 6);
    expect(readNumber(big, 0, 12)).toBe(10 * 1024 ** 3);
    big[0] = 0xff;
    expect(readNumber(big, 0, 12)).toBeUndefined();
  });

  it("tells headers, the end marker and garbage apart", () => {
    const tar = rawTar([{ name: "a/b.txt", data: "hello" }]);
    const first = parseTarHeader(tar.subarray(0, 512));
    expect(first).toEqual({ kind: "header", header: { name: "a/b.txt", kind: "file", typeflag: "0", size: 5, linkname: "", mode: 0o644 } });
    expect(parseTarHeader(tar.subarray(1024, 1536))).toEqual({ kind: "end" });
    expect(parseTarHeader(Buffer.alloc(512, 0x41)).kind).toBe("invalid");
    expect(parseTarHeader(Buffer.alloc(100)).kind).toBe("invalid");
    expect(paddedSize(0)).toBe(0);
    expect(paddedSize(1)).toBe(512);
    expect(paddedSize(1024)).toBe(1024);
  });

  it("parses pax records and refuses malformed ones", () => {
    const records = parsePaxRecords(Buffer.from("20 path=a/long/name\n16 size=1234567\n"));
    expect(records.ok && Object.fromEntries(records.records)).toEqual({ path: "a/long/name", size: "1234567" });
    expect(parsePaxRecords(Buffer.from("99 path=x\n")).ok).toBe(false);
    expect(parsePaxRecords(Buffer.from("x path=x\n")).ok).toBe(false);
    expect(parsePaxRecords(Buffer.from("9 =value\n")).ok).toBe(false);
  });
});

describe("reading archives made by GNU tar", () => {
  let tmp: TempDir;
  beforeEach(async () => {
    tmp = await makeTempDir("layouttarfmt");
  });
  afterEach(async () => {
    await tmp.remove();
  });

  for (const format of ["gnu", "pax", "ustar"] as const) {
    it(`reads a layout tarred with tar --format=${format} (./ prefixes, directories)`, async () => {
      const dir = join(tmp.path, "layout");
      const layout = await OciLayoutDirectory.open(dir, { create: true });
      const multi = makeMultiArch(300);
      const repo = layout.repository("registry.example/a/b");
      for (const b of multi.blobs) await repo.push(b.descriptor, streamOf(b.bytes));
      await repo.tag(multi.index.descriptor, "1");
      const path = join(tmp.path, `${format}.tar`);
      await promisify(execFile)("tar", [`--format=${format}`, "-cf", path, "-C", dir, "."]);
      const tar = await OciLayoutTar.open(path);
      expect((await tar.repository("registry.example/a/b").resolve("1"))?.digest).toBe(multi.index.descriptor.digest);
      expect(await tar.verifyAll()).toMatchObject({ ok: true, blobs: multi.blobs.length });
    });
  }
});
