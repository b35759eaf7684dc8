/**
 * Local file-system failures in words against their path: the act that failed
 * (write only when it was one), and the reason the disk gives.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkOutputPath, localFailure, localWriteError } from "../../../src/cli/local-output.js";
import { UsageError } from "../../../src/core/errors.js";
import { tempDir } from "../../helpers/config.js";

/** An error shaped as Node's file-system calls raise them. */
function errno(code: string, syscall: string, path?: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${syscall}`), { code, syscall, ...(path !== undefined ? { path } : {}) });
}

describe("local file-system failures", () => {
  it("name the act and the reason, against the path", async () => {
    const dir = tempDir();
    expect((await localFailure(errno("ENOENT", "open", join(dir, "missing.pem"))))?.message).toBe(`cannot open ${join(dir, "missing.pem")}: no such file`);
    expect((await localFailure(errno("ENOSPC", "write", join(dir, "blob"))))?.message).toBe(`cannot write ${join(dir, "blob")}: the disk is full; free space there or choose another path`);
    expect((await localFailure(errno("ENOENT", "mkdir", join(dir, "a/b/c"))))?.message).toBe(`cannot mkdir ${join(dir, "a/b/c")}: the directory does not exist`);
  });

  it("leave every other error alone", async () => {
    expect(await localFailure(new Error("boom"))).toBeUndefined();
    expect(await localFailure(errno("ECONNREFUSED", "connect"))).toBeUndefined();
    const source = errno("ENOENT", "open", "/elsewhere/source.tar");
    expect(localWriteError(source, "/out/b.tar", "the bundle")).toBe(source);
    expect(localWriteError(errno("EROFS", "open", "/out/.tmp-b.tar"), "/out/b.tar", "the bundle")).toBeInstanceOf(UsageError);
  });

  it("refuse an output path whose directory is missing, before any work", async () => {
    await expect(checkOutputPath("/no/such/dir/x.tar", "-o", "bundle.tar")).rejects.toThrow("-o /no/such/dir/x.tar: directory /no/such/dir does not exist; create it first or choose another path");
    await expect(checkOutputPath(join(tempDir(), "x.tar"), "-o", "bundle.tar")).resolves.toBeUndefined();
  });
});
