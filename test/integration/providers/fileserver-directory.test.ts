/**
 * The fileserver provider on a plain directory: temp file in the same
 * directory, fsync, rename, sidecar; reading never creates anything.
 */
import { Transport } from "../../../src/oci/registry/index.js";
import { existsSync } from "node:fs";
import { readdir, readFile, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FileServerError } from "../../../plugins/fileserver/index.js";
import { createFileserverProvider } from "../../../plugins/fileserver/index.js";
import { silentLogger } from "../../../src/core/logger.js";
import { createProvider } from "../../../src/providers/load.js";
import { createOciToolkit } from "../../../src/providers/toolkit.js";
import type { Provider } from "../../../src/sdk/index.js";
import { makeTempDir, type TempDir } from "../../harness/tmp.js";
import { brokenContent, bytesOf, contentOf, sha256 } from "./fileserver-content.js";

async function tree(root: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(root, prefix), { withFileTypes: true }).catch(() => [])) {
    const rel = prefix === "" ? e.name : `${prefix}/${e.name}`;
    if (e.isDirectory()) out.push(...(await tree(root, rel)));
    else out.push(rel);
  }
  return out.sort();
}

describe("fileserver on a directory", () => {
  let tmp: TempDir;
  let root: string;
  let provider: Provider;

  beforeEach(async () => {
    tmp = await makeTempDir("fileserverdir");
    root = join(tmp.path, "served");
    provider = await createFileserverProvider({ path: root }, { registryName: "disk" });
  });
  afterEach(async () => {
    await provider?.close?.();
    await tmp?.remove();
  });

  it("observes a missing directory as absent files without creating it", async () => {
    const observed = await provider.observeFiles!(["a/b.bin", "c.bin"]);
    expect(Object.fromEntries(observed)).toEqual({ "a/b.bin": { state: "absent" }, "c.bin": { state: "absent" } });
    expect(await provider.listFiles!("")).toEqual([]);
    expect(existsSync(root)).toBe(false);
  });

  it("creates, observes as present, and updates with file and sidecar together", async () => {
    const v1 = bytesOf("dir-v1", 2 * 1024 * 1024 + 3);
    const result = await provider.putFile!("bin/k0s", contentOf(v1), { mode: 0o755 });
    expect(result).toEqual({ status: "written", sha256: sha256(v1), size: v1.length, bytesSent: v1.length });
    expect(await tree(root)).toEqual(["bin/k0s", "bin/k0s.sha256"]);
    expect(sha256(await readFile(join(root, "bin/k0s")))).toBe(sha256(v1));
    expect(await readFile(join(root, "bin/k0s.sha256"), "utf8")).toBe(`${sha256(v1)}  k0s\n`);
    expect((await stat(join(root, "bin/k0s"))).mode & 0o777).toBe(0o755);
    expect((await provider.observeFiles!(["bin/k0s"])).get("bin/k0s")).toEqual({ state: "present", sha256: sha256(v1), size: v1.length });

    const v2 = bytesOf("dir-v2", 1000);
    await provider.putFile!("bin/k0s", contentOf(v2));
    expect(await tree(root)).toEqual(["bin/k0s", "bin/k0s.sha256"]);
    expect((await provider.observeFiles!(["bin/k0s"], { verify: true })).get("bin/k0s")).toEqual({ state: "present", sha256: sha256(v2), size: 1000 });
  });

  it("sees a file changed after its sidecar, or without one, as unverified", async () => {
    await provider.putFile!("f.txt", contentOf(Buffer.from("one\n")));
    await writeFile(join(root, "f.txt"), "two!\n");
    const later = new Date(Date.now() + 10_000);
    await utimes(join(root, "f.txt"), later, later);
    expect((await provider.observeFiles!(["f.txt"])).get("f.txt")).toEqual({ state: "unverified", size: 5 });
    await writeFile(join(root, "bare.txt"), "no sidecar\n");
    expect((await provider.observeFiles!(["bare.txt"])).get("bare.txt")).toEqual({ state: "unverified", size: 11 });
  });

  it("writes nothing when the content does not match its sha256, and keeps the old file on a broken source", async () => {
    const data = bytesOf("dir-bad", 300_000);
    const error = await provider.putFile!("bad/x.bin", contentOf(data, { sha256: sha256("other") })).catch((e: unknown) => e);
    expect((error as FileServerError).code).toBe("FILE_DIGEST");
    expect(existsSync(root)).toBe(false);
    const streamed = bytesOf("dir-bad-streamed", 3 * 1024 * 1024);
    const late = await provider.putFile!("bad/deep/x.bin", contentOf(streamed, { sha256: sha256("other") })).catch((e: unknown) => e);
    expect((late as FileServerError).code).toBe("FILE_DIGEST");
    expect(existsSync(root)).toBe(false);

    const old = Buffer.from("old content\n");
    await provider.putFile!("bad/y.bin", contentOf(old));
    const broken = await provider.putFile!("bad/y.bin", brokenContent(bytesOf("dir-big", 3 * 1024 * 1024), 1024 * 1024)).catch((e: unknown) => e);
    expect((broken as Error).message).toContain("upstream connection reset mid-download");
    expect(await tree(root)).toEqual(["bad/y.bin", "bad/y.bin.sha256"]);
    expect(await readFile(join(root, "bad/y.bin"), "utf8")).toBe("old content\n");
  });

  it("lists published files and deletes only what it is asked to", async () => {
    await provider.putFile!("p/a.txt", contentOf(Buffer.from("a")));
    await provider.putFile!("p/q/b.txt", contentOf(Buffer.from("b")));
    await writeFile(join(root, "p/unmanaged.txt"), "not airgap's");
    expect(await provider.listFiles!("p")).toEqual(["p/a.txt", "p/q/b.txt"]);
    expect(await provider.deleteFile!("p/q/b.txt")).toEqual({ status: "deleted" });
    expect(await provider.deleteFile!("p/q/b.txt")).toEqual({ status: "absent" });
    expect(await tree(root)).toEqual(["p/a.txt", "p/a.txt.sha256", "p/unmanaged.txt"]);
  });

  it("loads as the built-in `fileserver` plugin with every file capability", async () => {
    const loaded = await createProvider("fileserver", { path: root }, { registryName: "disk", baseDir: tmp.path, logger: silentLogger, oci: createOciToolkit({ transport: new Transport(), logger: silentLogger, env: {} }) });
    try {
      expect(loaded.display).toBe(root);
      for (const capability of ["observeFiles", "putFile", "deleteFile", "listFiles", "observeCharts", "publishCharts", "close"] as const) expect(typeof loaded[capability], capability).toBe("function");
      await loaded.putFile!("loaded.txt", contentOf(Buffer.from("via the loader\n")));
      expect(await readFile(join(root, "loaded.txt"), "utf8")).toBe("via the loader\n");
    } finally {
      await loaded.close?.();
    }
  });
});
