import { describe, expect, it } from "vitest";
import { formatSidecar, isBookkeepingName, parseSidecar, pathSegments, tempPath } from "../../../../plugins/fileserver/paths.js";

const HEX = "a".repeat(64);

describe("fileserver paths", () => {
  it("accepts relative paths and refuses ones that leave the target or name a directory", () => {
    expect(pathSegments("k0s/v1/k0s-amd64")).toEqual(["k0s", "v1", "k0s-amd64"]);
    for (const bad of ["", "/etc/passwd", "../x", "a/../b", "a//b", "./a", "a/", "a\\b", "a\nb"]) expect(() => pathSegments(bad), JSON.stringify(bad)).toThrow(/not a file path/);
  });

  it("puts temp names beside the file, hidden, and never the same twice", () => {
    const a = tempPath("dir/sub/file.bin");
    expect(a).toMatch(/^dir\/sub\/\.file\.bin\.airgap-tmp-[0-9a-f]{12}$/);
    expect(tempPath("dir/sub/file.bin")).not.toBe(a);
    expect(isBookkeepingName(a.split("/").pop()!)).toBe(true);
    expect(isBookkeepingName("file.bin.sha256")).toBe(true);
    expect(isBookkeepingName("file.bin")).toBe(false);
  });

  it("writes sha256sum lines and reads them back for the same file only", () => {
    expect(formatSidecar("dir/k0s", HEX)).toBe(`${HEX}  k0s\n`);
    expect(parseSidecar(formatSidecar("dir/k0s", HEX), "dir/k0s")).toBe(HEX);
    expect(parseSidecar(`${HEX.toUpperCase()} *k0s\n`, "x/k0s")).toBe(HEX);
    expect(parseSidecar(`${HEX}\n`, "k0s")).toBe(HEX);
    expect(parseSidecar(`${HEX}  other-file\n`, "k0s")).toBeUndefined();
    expect(parseSidecar("not a checksum", "k0s")).toBeUndefined();
    expect(parseSidecar(`${HEX.slice(0, 40)}  k0s`, "k0s")).toBeUndefined();
    expect(parseSidecar("", "k0s")).toBeUndefined();
  });
});
