/**
 * Protocol edge cases against tiny node:http servers written for each test (a real registry
 * cannot be made to redirect, ignore Range, paginate tags or revoke tokens on demand).
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { Readable } from "node:stream";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { MediaType } from "../../../src/core/media-types.js";
import { RegistryClient, RegistryError, RegistryRepository, Transport, anonymousCredentials } from "../../../src/oci/registry/index.js";
import { ManualClock } from "../../harness/clock.js";

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage["headers"];
}

interface TinyServer {
  readonly url: string;
  readonly host: string;
  readonly seen: Seen[];
  /** Highest number of requests in flight at once. */
  maxInFlight(): number;
  close(): Promise<void>;
}

const servers: TinyServer[] = [];

/** A throw-away HTTP server on 127.0.0.1 whose handler is the test's fake registry. */
async function tinyServer(handler: (req: IncomingMessage, res: ServerResponse, server: TinyServer) => void | Promise<void>): Promise<TinyServer> {
  const seen: Seen[] = [];
  let inFlight = 0;
  let max = 0;
  const http = createServer((req, res) => {
    seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    inFlight++;
    max = Math.max(max, inFlight);
    res.on("close", () => inFlight--);
    Promise.resolve(handler(req, res, server)).catch((error: unknown) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const port = (http.address() as AddressInfo).port;
  const server: TinyServer = {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    seen,
    maxInFlight: () => max,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
  servers.push(server);
  return server;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await transport.close();
});

const clock = new ManualClock();
const transport = new Transport({ retry: { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 3 }, clock });
const sha = (data: Buffer | string): string => `sha256:${createHash("sha256").update(data).digest("hex")}`;
const basic = (user: string, pass: string): string => `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

describe("redirects", () => {
  it("never sends the registry's Authorization to another host (S3 presigned URLs)", async () => {
    const blob = Buffer.from("blob behind a redirect");
    const storage = await tinyServer((_req, res) => {
      res.writeHead(200, { "content-length": blob.length });
      res.end(blob);
    });
    const registry = await tinyServer((req, res) => {
      if (req.headers.authorization !== basic("u", "p")) {
        json(res, 401, { errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }, { "www-authenticate": 'Basic realm="r"' });
        return;
      }
      if (req.url?.includes("/blobs/")) {
        res.writeHead(307, { location: `${storage.url}/bucket/blob?X-Amz-Signature=abc` });
        res.end();
        return;
      }
      json(res, 200, {});
    });
    const client = new RegistryClient({ url: registry.url, credentials: { username: "u", password: "p" }, transport });
    const opened = await client.openBlob("team/app", { digest: sha(blob), size: blob.length });
    if (!opened.found) throw new Error("not found");
    const chunks: Buffer[] = [];
    for await (const c of opened.stream) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(blob)).toBe(true);
    expect(storage.seen).toHaveLength(1);
    expect(storage.seen[0]?.headers.authorization).toBeUndefined();
    // The registry challenged the first, anonymous, attempt; the second carried the credentials and was redirected.
    expect(registry.seen.filter((s) => s.url.includes("/blobs/")).map((s) => s.headers.authorization)).toEqual([undefined, basic("u", "p")]);
  });

  it("keeps Authorization on a same-origin redirect and gives up after 5 hops", async () => {
    let hops = 0;
    const registry = await tinyServer((req, res) => {
      if (req.url?.startsWith("/loop/")) {
        hops++;
        res.writeHead(302, { location: `/loop/${hops}` });
        res.end();
        return;
      }
      if (req.url === "/v2/team/app/manifests/redirected") {
        res.writeHead(308, { location: "/v2/team/app/manifests/final" });
        res.end();
        return;
      }
      if (req.url === "/v2/team/app/manifests/final") {
        const body = JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] });
        res.writeHead(200, { "content-type": MediaType.OciIndex, "content-length": Buffer.byteLength(body) });
        res.end(body);
        return;
      }
      if (req.url === "/v2/team/app/manifests/looping") {
        res.writeHead(302, { location: "/loop/0" });
        res.end();
        return;
      }
      json(res, 404, {});
    });
    const client = new RegistryClient({ url: registry.url, credentials: anonymousCredentials, transport });
    const got = await client.getManifest("team/app", "redirected");
    expect(got.found && got.manifest.descriptor.mediaType).toBe(MediaType.OciIndex);
    const error = await client.getManifest("team/app", "looping").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).code).toBe("REGISTRY_PROTOCOL");
    expect((error as Error).message).toMatch(/more than 5 redirects/);
    expect(hops).toBe(5);
  });
});

describe("blob resume against a server without Range support", () => {
  it("restarts cleanly: a 200 answer to the Range request is skipped up to the bytes already delivered", async () => {
    const blob = Buffer.alloc(300_000, 7);
    blob.write("start", 0);
    blob.write("end", blob.length - 3);
    let gets = 0;
    const registry = await tinyServer((req, res) => {
      if (!req.url?.includes("/blobs/")) return json(res, 200, {});
      gets++;
      res.writeHead(200, { "content-length": blob.length, "content-type": "application/octet-stream" });
      if (gets === 1) {
        res.write(blob.subarray(0, 100_000), () => res.socket?.destroy());
        return;
      }
      res.end(blob); // ignores Range
    });
    const client = new RegistryClient({ url: registry.url, credentials: anonymousCredentials, transport });
    const opened = await client.openBlob("a/b", { digest: sha(blob), size: blob.length });
    if (!opened.found) throw new Error("not found");
    const chunks: Buffer[] = [];
    for await (const c of opened.stream) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(blob)).toBe(true);
    const blobRequests = registry.seen.filter((s) => s.url.includes("/blobs/"));
    expect(blobRequests[1]?.headers.range).toMatch(/^bytes=\d+-$/);
  });

  it("fails the stream when the content does not match the digest", async () => {
    const registry = await tinyServer((req, res) => {
      if (!req.url?.includes("/blobs/")) return json(res, 200, {});
      res.writeHead(200, { "content-length": 5 });
      res.end("wrong");
    });
    const client = new RegistryClient({ url: registry.url, credentials: anonymousCredentials, transport });
    const opened = await client.openBlob("a/b", { digest: sha("right"), size: 5 });
    if (!opened.found) throw new Error("not found");
    await expect(
      (async () => {
        for await (const _ of opened.stream) void _;
      })(),
    ).rejects.toMatchObject({ code: "CONTENT_MISMATCH" });
  });
});

describe("tag pagination", () => {
  const all = Array.from({ length: 10 }, (_, i) => `v${i}`);

  function paginatingRegistry(withLink: boolean): Promise<TinyServer> {
    return tinyServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      if (url.pathname !== "/v2/team/app/tags/list") return json(res, 200, {});
      const n = Number(url.searchParams.get("n") ?? all.length);
      const last = url.searchParams.get("last");
      const start = last === null ? 0 : all.indexOf(last) + 1;
      const page = all.slice(start, start + n);
      const more = start + n < all.length;
      const headers: Record<string, string> = more && withLink ? { link: `</v2/team/app/tags/list?n=${n}&last=${page[page.length - 1] ?? ""}>; rel="next"` } : {};
      json(res, 200, { name: "team/app", tags: page }, headers);
    });
  }

  it("follows Link: rel=next (n=3 → 4 pages)", async () => {
    const registry = await paginatingRegistry(true);
    const client = new RegistryClient({ url: registry.url, credentials: anonymousCredentials, transport });
    const pages: (readonly string[])[] = [];
    for await (const page of client.tagPages("team/app", { pageSize: 3 })) pages.push(page);
    expect(pages).toEqual([["v0", "v1", "v2"], ["v3", "v4", "v5"], ["v6", "v7", "v8"], ["v9"]]);
    expect(registry.seen.map((s) => s.url)).toEqual([
      "/v2/team/app/tags/list?n=3",
      "/v2/team/app/tags/list?n=3&last=v2",
      "/v2/team/app/tags/list?n=3&last=v5",
      "/v2/team/app/tags/list?n=3&last=v8",
    ]);
  });

  it("falls back to last=<final tag> when full pages come without a Link", async () => {
    const registry = await paginatingRegistry(false);
    const client = new RegistryClient({ url: registry.url, credentials: anonymousCredentials, transport });
    expect(await client.listTags("team/app", { pageSize: 4 })).toEqual(all);
    expect(registry.seen.map((s) => s.url)).toEqual(["/v2/team/app/tags/list?n=4", "/v2/team/app/tags/list?n=4&last=v3", "/v2/team/app/tags/list?n=4&last=v7"]);
  });
});

describe("per-client concurrency limit", () => {
  it("never has more requests in flight than the client's own limit, and one client's limit never changes another's", async () => {
    let holding = true;
    const held: ServerResponse[] = [];
    const answer = (res: ServerResponse): void => {
      res.writeHead(404, { "content-length": 0 });
      res.end();
    };
    const registry = await tinyServer((_req, res) => (holding ? void held.push(res) : answer(res)));
    const limited = new Transport({ perHostConcurrency: 3, clock });
    try {
      const narrow = new RegistryClient({ url: registry.url, credentials: anonymousCredentials, transport: limited });
      const wide = new RegistryClient({ url: registry.url, credentials: anonymousCredentials, transport: limited, concurrency: 5 });
      const narrowCalls = Promise.all(Array.from({ length: 12 }, (_, i) => narrow.headManifest("a/b", `t${i}`)));
      // The server holds every answer: 3 requests reach it, 9 wait in the client.
      await vi.waitFor(() => expect([registry.seen.length, narrow.connection.limiter.waiting(registry.host)]).toEqual([3, 9]));
      // A second client of the same registry on the same transport keeps its own limit of 5, whatever the first one does.
      const wideCalls = Promise.all(Array.from({ length: 12 }, (_, i) => wide.headManifest("a/b", `u${i}`)));
      await vi.waitFor(() => expect([registry.seen.length, wide.connection.limiter.waiting(registry.host)]).toEqual([8, 7]));
      expect(narrow.connection.limiter.waiting(registry.host)).toBe(9);
      holding = false;
      held.splice(0).forEach(answer);
      const results = [...(await narrowCalls), ...(await wideCalls)];
      expect(results.every((r) => !r.found)).toBe(true);
      expect(registry.maxInFlight()).toBe(8);
      expect(limited.stats().connections).toBeLessThanOrEqual(8);
    } finally {
      await limited.close();
    }
  });

  it("aborts a call with its AbortSignal", async () => {
    const registry = await tinyServer(() => undefined); // never answers
    const client = new RegistryClient({ url: registry.url, credentials: anonymousCredentials, transport });
    const controller = new AbortController();
    const pending = client.headManifest("a/b", "t", { signal: controller.signal });
    await vi.waitFor(() => expect(registry.seen).toHaveLength(1));
    controller.abort(new Error("user cancelled"));
    await expect(pending).rejects.toThrow("user cancelled");
  });
});

describe("bearer token flow", () => {
  /** A registry with its own token endpoint that accepts only the newest token it issued. */
  async function tokenRegistry(options: { expiresIn?: number; tokenStatus?: number; tokenBody?: string } = {}): Promise<{ server: TinyServer; issued: string[]; revokeAll(): void }> {
    const issued: string[] = [];
    let valid = new Set<string>();
    const server = await tinyServer((req, res, self) => {
      const url = new URL(req.url ?? "/", "http://x");
      if (url.pathname === "/token") {
        if (options.tokenStatus !== undefined) {
          res.writeHead(options.tokenStatus, { "content-type": "text/html" });
          res.end(options.tokenBody ?? "<html><body><h1>Internal Server Error</h1></body></html>");
          return;
        }
        if (req.headers.authorization !== basic("u", "p")) return json(res, 401, { details: "incorrect username or password" });
        const token = `tok-${issued.length + 1}`;
        issued.push(token);
        valid.add(token);
        return json(res, 200, { access_token: token, ...(options.expiresIn !== undefined ? { expires_in: options.expiresIn } : {}), scope: url.searchParams.getAll("scope").join(" ") });
      }
      const auth = req.headers.authorization;
      if (auth === undefined || !auth.startsWith("Bearer ") || !valid.has(auth.slice(7))) {
        return json(res, 401, { errors: [{ code: "UNAUTHORIZED", message: "token invalid" }] }, {
          "www-authenticate": `Bearer realm="${self.url}/token",service="tiny",scope="repository:team/app:pull"`,
        });
      }
      res.writeHead(404, { "content-length": 0 });
      res.end();
    });
    return { server, issued, revokeAll: () => (valid = new Set()) };
  }

  it("fetches one token for many concurrent requests (single-flight) and refreshes it after a 401", async () => {
    const { server, issued, revokeAll } = await tokenRegistry({ expiresIn: 300 });
    const client = new RegistryClient({ url: server.url, credentials: { username: "u", password: "p" }, transport });
    await Promise.all(Array.from({ length: 8 }, (_, i) => client.headManifest("team/app", `t${i}`)));
    expect(issued).toEqual(["tok-1"]);
    const tokenRequest = server.seen.find((s) => s.url.startsWith("/token"));
    expect(tokenRequest?.url).toBe("/token?service=tiny&scope=repository:team/app:pull&client_id=airgap");
    revokeAll();
    expect(await client.headManifest("team/app", "again")).toEqual({ found: false });
    expect(issued).toEqual(["tok-1", "tok-2"]);
  });

  it("refreshes a token shortly before it expires, on the transport's clock (expires_in 6 s, refreshed 5 s early)", async () => {
    const { server, issued } = await tokenRegistry({ expiresIn: 6 });
    const client = new RegistryClient({ url: server.url, credentials: { username: "u", password: "p" }, transport });
    await client.headManifest("team/app", "a");
    await client.headManifest("team/app", "b");
    expect(issued).toHaveLength(1);
    clock.advance(900);
    await client.headManifest("team/app", "c");
    expect(issued).toHaveLength(1);
    clock.advance(200);
    await client.headManifest("team/app", "d");
    expect(issued).toHaveLength(2);
  });

  it("names the token endpoint when it answers 500 (with HTML)", async () => {
    const { server } = await tokenRegistry({ tokenStatus: 500 });
    const client = new RegistryClient({ url: server.url, credentials: { username: "u", password: "p" }, transport });
    const error = await client.headManifest("team/app", "a").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect(error).toMatchObject({ status: 500, temporary: true, code: "REGISTRY_HTTP" });
    expect((error as Error).message).toContain(`token endpoint ${server.url}/token of ${server.host} answered 500`);
    expect((error as Error).message).toContain("HTML instead of a JSON error");
    expect(server.seen.filter((s) => s.url.startsWith("/token"))).toHaveLength(3); // retried
  });

  it("wrong credentials: authentication failed for <registry>: <token server's message>", async () => {
    const { server } = await tokenRegistry();
    const client = new RegistryClient({ url: server.url, credentials: { username: "u", password: "wrong-password" }, transport });
    const error = await client.ping().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "REGISTRY_AUTH", temporary: false });
    expect((error as Error).message).toMatch(new RegExp(`^authentication failed for ${server.host} \\(realm "${server.url}/token"\\): incorrect username or password`));
    expect((error as Error).message).not.toContain("wrong-password");
  });
});

describe("registries that answer HTML", () => {
  it("says so and quotes the page, for a 4xx and for a 5xx after retries", async () => {
    const registry = await tinyServer((req, res) => {
      const page = `<!DOCTYPE html><html><head><title>Access denied by corporate proxy</title></head><body><h1>Blocked</h1><p>Policy 42 forbids ${req.url ?? ""}</p></body></html>`;
      res.writeHead(req.url?.includes("/blobs/") ? 502 : 403, { "content-type": "text/html; charset=utf-8", "content-length": Buffer.byteLength(page) });
      res.end(page);
    });
    const client = new RegistryClient({ url: registry.url, credentials: anonymousCredentials, transport });
    const error = await client.headManifest("team/app", "v1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    const e = error as RegistryError;
    expect([e.status, e.temporary, e.method, e.errors]).toEqual([403, false, "HEAD", []]);
    const getError = (await client.getManifest("team/app", "v1").catch((x: unknown) => x)) as RegistryError;
    expect(getError.message).toContain("answered 403: the registry answered HTML instead of a JSON error");
    expect(getError.message).toContain('"Access denied by corporate proxy Blocked Policy 42 forbids /v2/team/app/manifests/v1"');
    expect(getError.bodyExcerpt).toContain("Policy 42");
    const blobError = (await client.openBlob("team/app", { digest: sha("x") }).catch((x: unknown) => x)) as RegistryError;
    expect([blobError.status, blobError.temporary]).toEqual([502, true]);
    expect(blobError.message).toMatch(/HTML instead of a JSON error.*after 3 attempts/);
  });

  it("refuses a catch-all web server on ping", async () => {
    const site = await tinyServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html><body>Welcome to nginx!</body></html>");
    });
    const client = new RegistryClient({ url: site.url, credentials: anonymousCredentials, transport });
    await expect(client.ping()).rejects.toThrow(/HTML page, not the registry API/);
  });
});

describe("a streamed upload cut mid-body, on a registry that keeps what it received", () => {
  it("resumes from the offset the upload status reports: the content is read again up to it, and only the rest is sent", async () => {
    const blob = Buffer.alloc(300_000);
    for (let i = 0; i < blob.length; i++) blob[i] = (i * 131) % 253;
    const received = new Map<string, Buffer>();
    let cut = false;
    const registry = await tinyServer(async (req, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      const id = url.pathname.split("/").at(-1) ?? "";
      const range = (): string => `0-${Math.max(0, (received.get(id)?.length ?? 0) - 1)}`;
      if (req.method === "POST") {
        received.set("u1", Buffer.alloc(0));
        res.writeHead(202, { location: "/v2/a/b/blobs/uploads/u1", "content-length": 0 });
        return void res.end();
      }
      if (req.method === "PATCH") {
        const start = Number((req.headers["content-range"] ?? "0-").split("-")[0]);
        if (start !== received.get(id)?.length) return json(res, 416, { errors: [{ code: "BLOB_UPLOAD_INVALID", message: "range mismatch" }] });
        for await (const chunk of req) {
          received.set(id, Buffer.concat([received.get(id) ?? Buffer.alloc(0), chunk as Buffer]));
          if (!cut && (received.get(id)?.length ?? 0) >= 100_000) {
            // The connection breaks; the registry keeps the first 100,000 bytes.
            cut = true;
            received.set(id, received.get(id)!.subarray(0, 100_000));
            return void req.socket.destroy();
          }
        }
        res.writeHead(202, { location: `/v2/a/b/blobs/uploads/${id}`, range: range(), "content-length": 0 });
        return void res.end();
      }
      if (req.method === "GET" && url.pathname.includes("/uploads/")) {
        res.writeHead(204, { location: `/v2/a/b/blobs/uploads/${id}`, range: range() });
        return void res.end();
      }
      if (req.method === "PUT") {
        const ok = sha(received.get(id) ?? "") === url.searchParams.get("digest");
        return ok ? json(res, 201, {}) : json(res, 400, { errors: [{ code: "DIGEST_INVALID", message: "digest mismatch" }] });
      }
      json(res, 200, {});
    });
    const client = new RegistryClient({ url: registry.url, credentials: anonymousCredentials, transport, limits: { inMemoryLimit: 1024 } });
    let reopened = 0;
    const result = await client.pushBlob("a/b", { digest: sha(blob), size: blob.length }, Readable.from([blob.subarray(0, 150_000), blob.subarray(150_000)]), {
      reopen: async () => (reopened++, Readable.from([blob])),
    });
    expect(result).toMatchObject({ method: "streamed", digest: sha(blob) });
    expect(reopened).toBe(1);
    expect(received.get("u1")?.equals(blob)).toBe(true);
    const uploads = registry.seen.filter((s) => s.url.includes("/uploads/"));
    expect(uploads.map((s) => s.method)).toEqual(["POST", "PATCH", "GET", "PATCH", "PUT"]);
    expect(uploads.filter((s) => s.method === "PATCH").map((s) => s.headers["content-range"])).toEqual([undefined, `100000-${blob.length - 1}`]);
    expect(uploads[3]?.headers["content-length"]).toBe(String(blob.length - 100_000));
  });
});

describe("manifests over 4 MiB", () => {
  it("are refused on GET, with or without Content-Length", async () => {
    const huge = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [], annotations: { pad: "x".repeat(4 * 1024 * 1024) } }));
    const registry = await tinyServer((req, res) => {
      const chunked = req.url?.endsWith("/chunked") ?? false;
      res.writeHead(200, { "content-type": MediaType.OciIndex, ...(chunked ? {} : { "content-length": huge.length }) });
      res.end(huge);
    });
    const client = new RegistryClient({ url: registry.url, credentials: anonymousCredentials, transport });
    await expect(client.getManifest("team/app", "sized")).rejects.toMatchObject({ code: "TOO_LARGE", message: expect.stringMatching(/4194304-byte \(4 MiB\) manifest limit/) });
    await expect(client.getManifest("team/app", "chunked")).rejects.toMatchObject({ code: "TOO_LARGE" });
  });
});

describe("manifest digests", () => {
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: { mediaType: MediaType.OciEmpty, digest: sha("{}"), size: 2 }, layers: [] }));
  const other = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] }));

  /** Serves `manifest` for every reference; `lie` makes it send other bytes or a wrong header. */
  function manifestServer(mode: { header?: "none" | "wrong"; body?: "other"; contentType?: string }): Promise<TinyServer> {
    return tinyServer((req, res) => {
      if (req.url === "/v2/") return json(res, 200, {});
      const body = mode.body === "other" ? other : manifest;
      const headers: Record<string, string | number> = { "content-type": mode.contentType ?? MediaType.OciManifest, "content-length": body.length };
      if (mode.header === undefined) headers["docker-content-digest"] = sha(body);
      if (mode.header === "wrong") headers["docker-content-digest"] = sha("something else");
      res.writeHead(200, headers);
      res.end(req.method === "HEAD" ? undefined : body);
    });
  }

  it("computes the digest locally when Docker-Content-Digest is missing; resolve falls back from HEAD to GET", async () => {
    const server = await manifestServer({ header: "none" });
    const client = new RegistryClient({ url: server.url, credentials: anonymousCredentials, transport });
    expect(await client.headManifest("a/b", "v1")).toEqual({ found: true, mediaType: MediaType.OciManifest, digest: undefined, size: manifest.length });
    const got = await client.getManifest("a/b", "v1");
    expect(got.found && got.manifest.descriptor).toEqual({ mediaType: MediaType.OciManifest, digest: sha(manifest), size: manifest.length });
    const repo = new RegistryRepository(client, "a/b");
    server.seen.length = 0;
    expect(await repo.resolve("v1")).toEqual({ mediaType: MediaType.OciManifest, digest: sha(manifest), size: manifest.length });
    expect(server.seen.map((s) => s.method)).toEqual(["HEAD", "GET"]);
    expect(server.seen.every((s) => s.headers.accept === [MediaType.OciIndex, MediaType.OciManifest, MediaType.DockerManifestList, MediaType.DockerManifest].join(", "))).toBe(true);
    // fetch() and tag() reuse the bytes resolve() downloaded: no second GET.
    server.seen.length = 0;
    await repo.fetch({ mediaType: MediaType.OciManifest, digest: sha(manifest) as never, size: manifest.length });
    expect(server.seen).toEqual([]);
  });

  it("refuses bytes that do not match the digest asked for, or the registry's own header", async () => {
    const lying = await manifestServer({ body: "other" });
    const client = new RegistryClient({ url: lying.url, credentials: anonymousCredentials, transport });
    await expect(client.getManifest("a/b", sha(manifest))).rejects.toMatchObject({ code: "CONTENT_MISMATCH" });
    const wrongHeader = await manifestServer({ header: "wrong" });
    const client2 = new RegistryClient({ url: wrongHeader.url, credentials: anonymousCredentials, transport });
    await expect(client2.getManifest("a/b", "v1")).rejects.toThrow(/Docker-Content-Digest .* does not match the content/);
  });

  it("a by-digest read after the HEAD that the network cuts off fails as such, and is not repeated as a read by tag", async () => {
    const server = await tinyServer((req, res) => {
      if (req.url === "/v2/") return json(res, 200, {});
      res.writeHead(200, { "content-type": MediaType.OciManifest, "content-length": manifest.length, "docker-content-digest": sha(manifest) });
      if (req.method === "HEAD") {
        res.end();
        return;
      }
      res.write(manifest.subarray(0, 10));
      res.socket?.destroy();
    });
    const client = new RegistryClient({ url: server.url, credentials: anonymousCredentials, transport });
    const error = await client.getManifest("a/b", "v1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toMatchObject({ code: "CONTENT_MISMATCH" });
    const gets = server.seen.filter((s) => s.method === "GET" && s.url !== "/v2/");
    // The retries of the by-digest read, and no GET of the tag after them.
    expect(gets.length).toBeGreaterThan(0);
    expect(gets.every((s) => s.url === `/v2/a/b/manifests/${sha(manifest)}`)).toBe(true);
  });

  it("refuses a Content-Type that contradicts the manifest's mediaType", async () => {
    const server = await manifestServer({ contentType: MediaType.DockerManifest });
    const client = new RegistryClient({ url: server.url, credentials: anonymousCredentials, transport });
    await expect(client.getManifest("a/b", "v1")).rejects.toThrow(/Content-Type application\/vnd\.docker\.distribution\.manifest\.v2\+json does not match/);
  });
});
