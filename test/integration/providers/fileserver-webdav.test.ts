/**
 * The fileserver provider against real nginx (dav module): files land by
 * temp name + MOVE with a sha256 sidecar, a no-op costs one small GET per
 * file, bad content never reaches the target, and the server's own error
 * text reaches the user.
 */
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { Secret } from "../../../src/sdk/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFileserverProvider, FileServerError } from "../../../plugins/fileserver/index.js";
import type { Provider } from "../../../src/sdk/index.js";
import { startNginxDav, type RunningNginx } from "../../harness/nginx.js";
import { brokenContent, bytesOf, contentOf, sha256 } from "./fileserver-content.js";

/** Every file below a directory, relative, sorted (hidden temp names included). */
async function tree(root: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(root, prefix), { withFileTypes: true }).catch(() => [])) {
    const rel = prefix === "" ? e.name : `${prefix}/${e.name}`;
    if (e.isDirectory()) out.push(...(await tree(root, rel)));
    else out.push(rel);
  }
  return out.sort();
}

const noWait = async (): Promise<void> => {};

describe("fileserver on nginx WebDAV", () => {
  let nginx: RunningNginx;
  let provider: Provider;

  beforeAll(async () => {
    nginx = await startNginxDav({ basicAuth: { username: "publisher", password: "pa55-word-secret" }, autoindexFormat: "json" });
    provider = await createFileserverProvider({ url: `${nginx.url}/files`, credentials: { username: "publisher", password: new Secret("pa55-word-secret") }, concurrency: 4 }, { registryName: "files" }, { sleep: noWait });
  });
  afterAll(async () => {
    await provider?.close?.();
    await nginx?.stop();
  });

  it("creates a file by temp name and MOVE, with a sha256sum sidecar, and nothing else left behind", async () => {
    const data = bytesOf("create", 3 * 1024 * 1024 + 17);
    const before = (await nginx.requests()).length;
    const result = await provider.putFile!("k0s/v1.30/k0s-amd64", contentOf(data));
    expect(result).toEqual({ status: "written", sha256: sha256(data), size: data.length, bytesSent: data.length });

    const file = join(nginx.root, "files/k0s/v1.30/k0s-amd64");
    expect(sha256(await readFile(file))).toBe(sha256(data));
    expect(await readFile(`${file}.sha256`, "utf8")).toBe(`${sha256(data)}  k0s-amd64\n`);
    expect(await tree(join(nginx.root, "files"))).toEqual(["k0s/v1.30/k0s-amd64", "k0s/v1.30/k0s-amd64.sha256"]);

    const requests = (await nginx.requests()).slice(before);
    const temp = requests[0]!.uri;
    expect(temp).toMatch(/^\/files\/k0s\/v1\.30\/\.k0s-amd64\.airgap-tmp-[0-9a-f]+$/);
    // Temp PUT, read back, old sidecar removed, moved into place, sidecar written.
    expect(requests.map((r) => `${r.method} ${r.uri} ${r.status}`)).toEqual([
      `PUT ${temp} 201`,
      `GET ${temp} 200`,
      "DELETE /files/k0s/v1.30/k0s-amd64.sha256 404",
      `MOVE ${temp} 204`,
      "PUT /files/k0s/v1.30/k0s-amd64.sha256 201",
    ]);
    expect(requests[0]!.requestLength).toBeGreaterThan(data.length);
  });

  it("observes with one small GET per file and no read of the file itself (no-op)", async () => {
    const files = Array.from({ length: 12 }, (_, i) => `noop/${i % 3 === 0 ? "deeper/" : ""}file-${i}.bin`);
    const contents = files.map((f) => bytesOf(f, 200_000));
    for (const [i, f] of files.entries()) await provider.putFile!(f, contentOf(contents[i]!));

    const before = (await nginx.requests()).length;
    const observed = await provider.observeFiles!(files);
    expect(Object.fromEntries(observed)).toEqual(Object.fromEntries(files.map((f, i) => [f, { state: "present", sha256: sha256(contents[i]!) }])));
    const requests = (await nginx.requests()).slice(before);
    expect(requests.map((r) => `${r.method} ${r.uri} ${r.status}`).sort()).toEqual(files.map((f) => `GET /files/${f}.sha256 200`).sort());
    // Each answer is the sidecar's one line, not the file.
    for (const r of requests) expect(r.bytesSent).toBeLessThan(1024);
    // Twelve requests over at most `concurrency` (4) keep-alive connections.
    expect(new Set(requests.map((r) => r.connection)).size).toBeLessThanOrEqual(4);
  });

  it("tells absent, present and changed apart", async () => {
    const v1 = bytesOf("update-v1", 5000);
    const v2 = bytesOf("update-v2", 7000);
    const progress: number[] = [];
    expect(await provider.putFile!("update/tool", contentOf(v1), { onProgress: (n) => progress.push(n) })).toEqual({ status: "written", sha256: sha256(v1), size: 5000, bytesSent: 5000 });
    expect(progress).toEqual([5000]);
    const observed = await provider.observeFiles!(["update/tool", "update/missing"]);
    expect(observed.get("update/tool")).toEqual({ state: "present", sha256: sha256(v1) });
    expect(observed.get("update/missing")).toEqual({ state: "absent" });

    // What the planner sees: present with another sha256 ⇒ update; the update replaces file and sidecar.
    expect(sha256(v2)).not.toBe(sha256(v1));
    expect((await provider.putFile!("update/tool", contentOf(v2))).bytesSent).toBe(7000);
    expect(sha256(await readFile(join(nginx.root, "files/update/tool")))).toBe(sha256(v2));
    expect((await provider.observeFiles!(["update/tool"])).get("update/tool")).toEqual({ state: "present", sha256: sha256(v2) });
  });

  it("reports a file without a sidecar as unverified, and verify hashes the content", async () => {
    const data = Buffer.from("placed by hand\n");
    const res = await nginx.fetch("/files/hand/placed.txt", { method: "PUT", body: data, headers: { authorization: `Basic ${Buffer.from("publisher:pa55-word-secret").toString("base64")}` } });
    expect(res.status).toBe(201);
    expect((await provider.observeFiles!(["hand/placed.txt"])).get("hand/placed.txt")).toEqual({ state: "unverified", size: data.length });

    await provider.putFile!("hand/tampered.txt", contentOf(Buffer.from("original\n")));
    const put = await nginx.fetch("/files/hand/tampered.txt", { method: "PUT", body: "changed behind airgap's back\n", headers: { authorization: `Basic ${Buffer.from("publisher:pa55-word-secret").toString("base64")}` } });
    expect(put.status).toBe(204);
    // The sidecar alone still says the old content; verify reads the file and finds it changed.
    expect((await provider.observeFiles!(["hand/tampered.txt"])).get("hand/tampered.txt")).toEqual({ state: "present", sha256: sha256("original\n") });
    expect((await provider.observeFiles!(["hand/tampered.txt"], { verify: true })).get("hand/tampered.txt")).toEqual({ state: "unverified", size: "changed behind airgap's back\n".length });
  });

  it("writes nothing when the source does not match its sha256 (small and streamed content)", async () => {
    for (const size of [1000, 3 * 1024 * 1024]) {
      const data = bytesOf(`mismatch-${size}`, size);
      const before = (await nginx.requests()).length;
      const lying = contentOf(data, { sha256: sha256(Buffer.from("something else")) });
      const error = await provider.putFile!(`mismatch/${size}.bin`, lying).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FileServerError);
      expect((error as FileServerError).code).toBe("FILE_DIGEST");
      expect((error as Error).message).toContain(`sha256 ${sha256(data)}, expected ${sha256("something else")}`);
      expect(existsSync(join(nginx.root, "files/mismatch"))).toBe(false);
      const requests = (await nginx.requests()).slice(before);
      // Small content is refused before any request; streamed content never completes its body.
      expect(requests.filter((r) => r.status >= 200 && r.status < 300 && r.method !== "DELETE")).toEqual([]);
      if (size === 1000) expect(requests).toEqual([]);
    }
  });

  it("refuses content of the wrong size before sending it all", async () => {
    const data = bytesOf("short", 2 * 1024 * 1024);
    const error = await provider.putFile!("size/short.bin", contentOf(data, { size: data.length + 10 })).catch((e: unknown) => e);
    expect((error as FileServerError).code).toBe("FILE_DIGEST");
    expect((error as Error).message).toContain(`${data.length} bytes, expected ${data.length + 10}`);
    expect(await tree(join(nginx.root, "files/size"))).toEqual([]);
  });

  it("leaves the old file intact and no partial file when an upload breaks off", async () => {
    const old = bytesOf("interrupt-old", 4000);
    await provider.putFile!("interrupt/agent", contentOf(old));
    const fresh = bytesOf("interrupt-new", 4 * 1024 * 1024);
    const error = await provider.putFile!("interrupt/agent", brokenContent(fresh, 2 * 1024 * 1024)).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/upstream connection reset mid-download/);
    expect(await tree(join(nginx.root, "files/interrupt"))).toEqual(["agent", "agent.sha256"]);
    expect(sha256(await readFile(join(nginx.root, "files/interrupt/agent")))).toBe(sha256(old));
    expect((await provider.observeFiles!(["interrupt/agent"])).get("interrupt/agent")).toEqual({ state: "present", sha256: sha256(old) });
  });

  it("stops on abort mid-upload and leaves nothing at the final name", async () => {
    const data = bytesOf("abort", 8 * 1024 * 1024);
    const controller = new AbortController();
    const content = {
      sha256: sha256(data),
      size: data.length,
      async open() {
        const { Readable } = await import("node:stream");
        return Readable.from(
          (async function* () {
            for (let i = 0; i < data.length; i += 256 * 1024) {
              if (i === 1024 * 1024) controller.abort(new Error("interrupted by the user"));
              yield data.subarray(i, i + 256 * 1024);
            }
          })(),
        );
      },
    };
    await expect(provider.putFile!("abort/big.bin", content, { signal: controller.signal })).rejects.toThrow();
    expect(await tree(join(nginx.root, "files/abort"))).toEqual([]);
  });

  it("deletes a file and its sidecar only when asked, and lists what it published", async () => {
    await provider.putFile!("prune/keep.txt", contentOf(Buffer.from("keep\n")));
    await provider.putFile!("prune/old/drop.txt", contentOf(Buffer.from("drop\n")));
    // Publishing other files never removes these.
    await provider.putFile!("prune/other.txt", contentOf(Buffer.from("other\n")));
    expect(await provider.listFiles!("prune")).toEqual(["prune/keep.txt", "prune/old/drop.txt", "prune/other.txt"]);

    expect(await provider.deleteFile!("prune/old/drop.txt")).toEqual({ status: "deleted" });
    expect(await provider.deleteFile!("prune/old/drop.txt")).toEqual({ status: "absent" });
    expect(await tree(join(nginx.root, "files/prune"))).toEqual(["keep.txt", "keep.txt.sha256", "other.txt", "other.txt.sha256"]);
    expect(await provider.listFiles!("prune")).toEqual(["prune/keep.txt", "prune/other.txt"]);
    expect(await provider.listFiles!("never-written")).toEqual([]);
  });

  it("refuses paths that would leave the target", async () => {
    for (const bad of ["../etc/passwd", "/abs", "a//b", "a/./b", "dir/"]) {
      const error = await provider.putFile!(bad, contentOf(Buffer.from("x"))).catch((e: unknown) => e);
      expect((error as FileServerError).code, bad).toBe("FILE_PATH");
    }
    expect((await provider.observeFiles!(["../up"])).get("../up")).toMatchObject({ state: "unknown" });
  });

  it("shows a 401 with the server's text and never the password", async () => {
    const wrong = await createFileserverProvider({ url: `${nginx.url}/files`, credentials: { username: "publisher", password: new Secret("not-the-password") } }, { registryName: "files" }, { sleep: noWait });
    try {
      const error = await wrong.putFile!("auth/x.txt", contentOf(Buffer.from("x\n"))).catch((e: unknown) => e);
      expect((error as FileServerError).status).toBe(401);
      expect((error as Error).message).toContain("401 Unauthorized");
      expect((error as Error).message).toContain("401 Authorization Required — nginx/");
      expect((error as Error).message).not.toContain("not-the-password");
      expect((error as Error).message).not.toContain(Buffer.from("publisher:not-the-password").toString("base64"));
      const observed = (await wrong.observeFiles!(["auth/x.txt"])).get("auth/x.txt");
      expect(observed).toMatchObject({ state: "unknown" });
    } finally {
      await wrong.close?.();
    }
  });
});

describe("fileserver on nginx with a small client_max_body_size", () => {
  let nginx: RunningNginx;
  let provider: Provider;
  beforeAll(async () => {
    nginx = await startNginxDav({ clientMaxBodySize: "64k" });
    provider = await createFileserverProvider({ url: nginx.url }, { registryName: "small" }, { sleep: noWait });
  });
  afterAll(async () => {
    await provider?.close?.();
    await nginx?.stop();
  });

  it("shows nginx's 413 message and leaves nothing behind", async () => {
    for (const size of [200 * 1024, 3 * 1024 * 1024]) {
      const error = await provider.putFile!(`big/${size}.bin`, contentOf(bytesOf("too-big", size))).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FileServerError);
      expect((error as FileServerError).status).toBe(413);
      expect((error as Error).message).toMatch(/^PUT http:\/\/127\.0\.0\.1:\d+\/big\/\.\d+\.bin\.airgap-tmp-[0-9a-f]+ answered 413 Payload Too Large: "413 Request Entity Too Large — nginx\/[\d.]+"/);
      expect((error as Error).message).toContain("client_max_body_size");
    }
    expect(await tree(nginx.root)).toEqual([]);
    // Small files still go through.
    await provider.putFile!("big/small.txt", contentOf(Buffer.from("fits\n")));
    expect(await tree(nginx.root)).toEqual(["big/small.txt", "big/small.txt.sha256"]);
  });
});

describe("fileserver on nginx without MOVE and without create_full_put_path", () => {
  let nginx: RunningNginx;
  let provider: Provider;
  beforeAll(async () => {
    nginx = await startNginxDav({ davMethods: ["PUT", "DELETE", "MKCOL"], createFullPutPath: false });
    provider = await createFileserverProvider({ url: `${nginx.url}/` }, { registryName: "plain" }, { sleep: noWait });
  });
  afterAll(async () => {
    await provider?.close?.();
    await nginx?.stop();
  });

  it("makes parent collections with MKCOL, falls back to PUT in place, and remembers both", async () => {
    const first = bytesOf("nomove-1", 3000);
    const second = bytesOf("nomove-2", 2 * 1024 * 1024);
    await provider.putFile!("a/b/first.bin", contentOf(first));
    const log = (await nginx.requests()).map((r) => `${r.method} ${r.uri} ${r.status}`);
    expect(log.filter((l) => l.startsWith("MKCOL"))).toEqual(["MKCOL /a/ 201", "MKCOL /a/b/ 201"]);
    expect(log.filter((l) => l.startsWith("MOVE"))).toEqual([expect.stringMatching(/^MOVE \/a\/b\/\.first\.bin\.airgap-tmp-[0-9a-f]+ 405$/)]);
    expect(log).toContain("PUT /a/b/first.bin 201");

    const before = log.length;
    await provider.putFile!("a/b/second.bin", contentOf(second));
    const next = (await nginx.requests()).slice(before).map((r) => `${r.method} ${r.uri} ${r.status}`);
    expect(next).toEqual(["DELETE /a/b/second.bin.sha256 404", "PUT /a/b/second.bin 201", "GET /a/b/second.bin 200", "PUT /a/b/second.bin.sha256 201"]);

    expect(await tree(nginx.root)).toEqual(["a/b/first.bin", "a/b/first.bin.sha256", "a/b/second.bin", "a/b/second.bin.sha256"]);
    const observed = await provider.observeFiles!(["a/b/first.bin", "a/b/second.bin"]);
    expect(observed.get("a/b/second.bin")).toEqual({ state: "present", sha256: sha256(second) });
  });

  it("says a directory listing is needed for prune when the server has none", async () => {
    const error = await provider.listFiles!("a").catch((e: unknown) => e);
    expect((error as FileServerError).code).toBe("FILE_UNSUPPORTED");
    expect((error as Error).message).toContain("autoindex_format json");
  });
});
