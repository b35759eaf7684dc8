/**
 * Bad input and hostile answers against the real registry: content that does not match its
 * digest, oversized manifests, upload Locations on another host, a failing token endpoint,
 * wrong credentials, invalid references.
 */
import { Secret } from "../../../src/core/secret.js";
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Digest } from "../../../src/core/digest.js";
import { UsageError } from "../../../src/core/errors.js";
import { silentLogger, type Logger } from "../../../src/core/logger.js";
import { MediaType } from "../../../src/core/media-types.js";
import { RegistryClient, RegistryError, RegistryRepository, Transport, anonymousCredentials } from "../../../src/oci/registry/index.js";
import { createOciToolkit } from "../../../src/providers/toolkit.js";
import { ContentVerificationError, sha256Digest } from "../../../src/oci/verify.js";
import { ManualClock } from "../../harness/clock.js";
import { generateImages, pushImages } from "../../harness/images.js";
import { startRegistry, type RunningRegistry } from "../../harness/registry.js";

const transport = new Transport({ retry: { baseDelayMs: 10, maxDelayMs: 50, maxAttempts: 3 }, clock: new ManualClock() });
const limits = { inMemoryLimit: 1024, chunkSize: 16 * 1024 };
const images = generateImages("registry-bad-input");

let plain: RunningRegistry;
let basicRegistry: RunningRegistry;
let tokenRegistry: RunningRegistry;

beforeAll(async () => {
  [plain, basicRegistry, tokenRegistry] = await Promise.all([startRegistry(), startRegistry({ auth: "basic" }), startRegistry({ auth: "token" })]);
  await pushImages(plain, images);
});
afterAll(async () => {
  await Promise.all([plain?.stop(), basicRegistry?.stop(), tokenRegistry?.stop()]);
  await transport.close();
});

function plainClient(): RegistryClient {
  return new RegistryClient({ url: plain.url, credentials: anonymousCredentials, transport, limits });
}

function patterned(size: number, salt: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + salt) % 256;
  return b;
}

describe("content that does not match its digest", () => {
  it.each([
    { strategy: "in memory", size: 800, mode: "stream" as const },
    { strategy: "streamed", size: 40_000, mode: "stream" as const },
    { strategy: "single-shot", size: 40_000, mode: "single-shot" as const },
    { strategy: "chunked", size: 100_000, mode: "chunked" as const },
  ])("is refused and never committed ($strategy)", async ({ size, mode }) => {
    const client = plainClient();
    const claimed = patterned(size, 1);
    const actual = patterned(size, 2); // same size, other bytes
    const error = await client.pushBlob("bad/blob", { digest: sha256Digest(claimed), size }, Readable.from([actual]), { limits: { mode } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContentVerificationError);
    expect((error as Error).message).toContain(`expected ${sha256Digest(claimed)}`);
    expect(await client.headBlob("bad/blob", sha256Digest(claimed))).toEqual({ found: false });
    expect(await client.headBlob("bad/blob", sha256Digest(actual))).toEqual({ found: false });
    const log = await plain.readLog();
    expect(log).not.toMatch(new RegExp(`"PUT /v2/bad/blob/blobs/uploads/[^"]*digest=${sha256Digest(claimed)}[^"]*" 201`));
  });

  it.each([800, 40_000, 100_000])("passes the source's own error through unchanged (%i bytes)", async (size) => {
    const client = plainClient();
    const data = patterned(size, 9);
    const failing = new Readable({
      read() {
        this.push(data.subarray(0, 500));
        this.destroy(Object.assign(new Error("disk read failed"), { code: "EIO" }));
      },
    });
    const error = await client.pushBlob("bad/source", { digest: sha256Digest(data), size }, failing).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(RegistryError);
    expect((error as Error).message).toBe("disk read failed");
    expect(await client.headBlob("bad/source", sha256Digest(data))).toEqual({ found: false });
  });

  it("refuses more bytes than the descriptor's size", async () => {
    const client = plainClient();
    const data = patterned(2000, 3);
    const error = await client.pushBlob("bad/size", { digest: sha256Digest(data), size: 1000 }, Readable.from([data])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContentVerificationError);
    expect(await client.headBlob("bad/size", sha256Digest(data))).toEqual({ found: false });
  });

  it("refuses a manifest whose bytes do not match, through the repository", async () => {
    const repo = new RegistryRepository(plainClient(), "bad/manifest");
    const single = images.get("library/single", "1.0");
    const tampered = Buffer.from(single.root.bytes.toString("utf8").replace('"schemaVersion":2', '"schemaVersion": 2'));
    const descriptor = { mediaType: single.root.mediaType, digest: single.root.digest as Digest, size: tampered.length };
    await expect(repo.push(descriptor, Readable.from([tampered]))).rejects.toBeInstanceOf(ContentVerificationError);
    expect(await repo.resolve(single.root.digest)).toBeUndefined();
  });
});

describe("manifests over 4 MiB", () => {
  it("are refused before anything is sent", async () => {
    const client = plainClient();
    const huge = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [], annotations: { pad: "x".repeat(4 * 1024 * 1024) } }));
    await expect(client.putManifest("bad/huge", "v1", huge, MediaType.OciIndex)).rejects.toMatchObject({ code: "TOO_LARGE" });
    const repo = new RegistryRepository(client, "bad/huge");
    await expect(repo.push({ mediaType: MediaType.OciIndex, digest: sha256Digest(huge), size: huge.length }, Readable.from([huge]))).rejects.toMatchObject({ code: "TOO_LARGE" });
    expect(await plain.readLog()).not.toContain("/v2/bad/huge/manifests/");
  });

  it("a manifest described with another media type than its own is refused", async () => {
    const single = images.get("library/oci-single", "1.0");
    await expect(plainClient().putManifest("bad/type", single.root.digest, single.root.bytes, MediaType.DockerManifest)).rejects.toThrow(
      /its mediaType is application\/vnd\.oci\.image\.manifest\.v1\+json, but it was described as application\/vnd\.docker/,
    );
  });
});

describe("an upload Location on another host", () => {
  interface Forwarder {
    readonly url: string;
    readonly seen: { method: string; url: string; authorization: string | undefined }[];
    close(): Promise<void>;
  }

  /** A reverse proxy to the registry; `rewrite` may change the response's Location; `auth` replaces the client's. */
  async function forwarder(target: RunningRegistry, options: { rewriteLocation?: (location: string) => string; auth?: string }): Promise<Forwarder> {
    const seen: Forwarder["seen"] = [];
    const upstream = new URL(target.url);
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", authorization: req.headers.authorization });
      const headers = { ...req.headers, host: upstream.host };
      if (options.auth !== undefined) headers.authorization = options.auth;
      const up = httpRequest({ hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (upRes) => {
        const out = { ...upRes.headers };
        if (typeof out.location === "string" && options.rewriteLocation !== undefined) out.location = options.rewriteLocation(out.location);
        res.writeHead(upRes.statusCode ?? 502, out);
        upRes.pipe(res);
      });
      up.on("error", () => res.destroy());
      req.pipe(up);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    return {
      url: `http://127.0.0.1:${port}`,
      seen,
      close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
    };
  }

  it("is followed without the registry's credentials (the other host authorises by URL)", async () => {
    const r = basicRegistry;
    let storageUrl = "";
    const basicAuth = `Basic ${Buffer.from(`${r.username ?? ""}:${r.password ?? ""}`).toString("base64")}`;
    const storage = await forwarder(r, {
      auth: basicAuth,
      // distribution builds absolute Locations from the Host header: keep the upload on the storage host.
      rewriteLocation: (location) => {
        const url = new URL(location, r.url);
        return `${storageUrl}${url.pathname}${url.search}`;
      },
    });
    storageUrl = storage.url;
    const front = await forwarder(r, {
      rewriteLocation: (location) => {
        const url = new URL(location, r.url);
        return url.pathname.includes("/blobs/uploads/") ? `${storage.url}${url.pathname}${url.search}` : location;
      },
    });
    try {
      const client = new RegistryClient({ url: front.url, credentials: { username: r.username ?? "", password: r.password ?? "" }, transport, limits });
      for (const size of [500, 30_000, 100_000]) {
        const data = patterned(size, size);
        const pushed = await client.pushBlob("offload/app", { digest: sha256Digest(data), size }, Readable.from([data]));
        expect(pushed.digest).toBe(sha256Digest(data));
        expect((await client.headBlob("offload/app", sha256Digest(data))).found).toBe(true);
      }
      expect(storage.seen.length).toBeGreaterThanOrEqual(3);
      expect(storage.seen.map((s) => s.authorization)).toEqual(storage.seen.map(() => undefined));
      expect(storage.seen.some((s) => s.method === "PATCH")).toBe(true);
      // The registry itself did get the credentials (after its first challenge).
      expect(front.seen.filter((s) => s.method === "POST").at(-1)?.authorization).toBe(basicAuth);
    } finally {
      await Promise.all([front.close(), storage.close()]);
    }
  });
});

describe("authentication failures", () => {
  it("basic registry, wrong password from airgap.yaml: said once, with the realm and which credentials were tried, never the password", async () => {
    // Through the toolkit, as the CLI builds clients from airgap.yaml's credentials block.
    const own = new Transport({ retry: { baseDelayMs: 10, maxDelayMs: 50, maxAttempts: 3 }, clock: new ManualClock() });
    try {
      const toolkit = createOciToolkit({ transport: own, logger: silentLogger, env: {} });
      const built = toolkit.client({ url: basicRegistry.url, credentials: { username: basicRegistry.username ?? "", password: new Secret("not-the-password") } });
      // Plugins see the sdk's Registry interface; the core's copy graph gets the client behind it.
      expect(built).toBeInstanceOf(RegistryClient);
      const client = built as RegistryClient;
      // By digest, so the first request is a GET whose body can be quoted (a tag is first resolved with a HEAD: next test).
      const error = await client.getManifest("library/single", images.get("library/single", "1.0").root.digest).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryError);
      expect(error).toMatchObject({ code: "REGISTRY_AUTH", status: 401, temporary: false, registryCode: "UNAUTHORIZED", registryMessage: "authentication required" });
      expect((error as Error).message).toBe(`authentication failed for ${basicRegistry.host} (realm "airgap-test"): authentication required; tried username "${basicRegistry.username ?? ""}" from airgap.yaml`);
      expect((error as Error).message).not.toContain("not-the-password");
      // The refusal is final for these credentials: later calls fail with it at once, without a request
      // that could only be refused again (one message, and no lockout from repeated wrong passwords).
      const sent = own.stats().requests.GET ?? 0;
      expect(sent).toBe(2); // the anonymous attempt that learnt the challenge, then the refused credentials
      for (const call of [() => client.headManifest("library/single", "1.0"), () => client.headBlob("library/single", sha256Digest("x")), () => client.ping()]) {
        expect(await call().catch((e: unknown) => e)).toBe(error);
      }
      expect(own.stats().requests).toEqual({ GET: 2 });
    } finally {
      await own.close();
    }
  });

  it("basic registry, HEAD with a wrong password: says the credentials were refused (a HEAD answer has no body to quote)", async () => {
    const client = new RegistryClient({ url: basicRegistry.url, credentials: { username: basicRegistry.username ?? "", password: "not-the-password" }, transport });
    await expect(client.headManifest("library/single", "1.0")).rejects.toThrow(
      `authentication failed for ${basicRegistry.host} (realm "airgap-test"): the registry refused the credentials (HTTP 401); tried username "${basicRegistry.username ?? ""}"`,
    );
  });

  it("basic registry, no credentials: says anonymous access was tried and none are configured", async () => {
    const client = new RegistryClient({ url: basicRegistry.url, credentials: anonymousCredentials, transport });
    await expect(client.ping()).rejects.toThrow(
      `authentication failed for ${basicRegistry.host} (realm "airgap-test"): authentication required; tried anonymous access (no credentials are configured for this registry)`,
    );
  });

  it("token registry, wrong password: the token server's refusal is reported for the registry, with the token realm", async () => {
    const client = new RegistryClient({ url: tokenRegistry.url, credentials: { username: tokenRegistry.username ?? "", password: "not-the-password" }, transport });
    const error = await client.getManifest("library/single", "1.0").catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "REGISTRY_AUTH", temporary: false });
    const realm = tokenRegistry.tokenServer?.realm ?? "?";
    expect((error as Error).message).toContain(`authentication failed for ${tokenRegistry.host} (realm "${realm}"): `);
    expect((error as Error).message).toMatch(new RegExp(`token endpoint http://127\\.0\\.0\\.1:\\d+/token refused the credentials\\); tried username "${tokenRegistry.username ?? ""}"$`));
    expect((error as Error).message).not.toContain("not-the-password");
  });

  it("token endpoint answering 500: a temporary RegistryError naming the token endpoint, after retries", async () => {
    const server = tokenRegistry.tokenServer;
    if (server === undefined) throw new Error("no token server");
    server.setFailure(500);
    server.reset();
    try {
      const client = new RegistryClient({ url: tokenRegistry.url, credentials: { username: tokenRegistry.username ?? "", password: tokenRegistry.password ?? "" }, transport });
      const error = await client.headManifest("library/single", "1.0").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryError);
      expect(error).toMatchObject({ status: 500, temporary: true });
      expect((error as Error).message).toContain(`token endpoint ${server.realm} of ${tokenRegistry.host} answered 500`);
      expect(server.requestCount()).toBe(3);
    } finally {
      server.setFailure(undefined);
    }
  });
});

describe("debug logging", () => {
  it("logs every request at debug level without credentials or tokens", async () => {
    const lines: string[] = [];
    const logger: Logger = { enabled: () => true, log: (level, message, fields) => lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`) };
    const logTransport = new Transport({ logger, retry: { baseDelayMs: 5 }, clock: new ManualClock() });
    for (const r of [basicRegistry, tokenRegistry]) {
      const client = new RegistryClient({ url: r.url, credentials: { username: r.username ?? "", password: r.password ?? "" }, transport: logTransport, logger });
      await client.ping();
      expect(await client.headManifest("library/single", "1.0")).toEqual({ found: false });
    }
    const tokenLog = tokenRegistry.tokenServer?.requests ?? [];
    expect(tokenLog.length).toBeGreaterThan(0);
    const text = lines.join("\n");
    expect(lines.filter((l) => l.startsWith("debug registry request ")).length).toBeGreaterThanOrEqual(6);
    expect(text).toContain("/v2/library/single/manifests/1.0");
    for (const secret of [basicRegistry.password ?? "?", tokenRegistry.password ?? "?"]) expect(text).not.toContain(secret);
    // Registry tokens are JWTs (eyJ…); neither they nor Basic credentials may appear.
    expect(text).not.toMatch(/Basic [A-Za-z0-9+/=]{8,}|Bearer [A-Za-z0-9._-]{8,}|eyJ[A-Za-z0-9_-]{10,}/);
  });
});

describe("invalid references", () => {
  it("are refused before any request", async () => {
    const client = plainClient();
    const before = (await plain.readLog()).length;
    await expect(client.getManifest("library/single", "sha256:abc")).rejects.toBeInstanceOf(UsageError);
    await expect(client.headManifest("library/single", "sha256:" + "z".repeat(64))).rejects.toThrow(/invalid digest reference/);
    await expect(client.headManifest("library/single", "md5:" + "a".repeat(32))).rejects.toThrow(/unsupported digest algorithm/);
    await expect(client.headManifest("library/single", "bad tag!")).rejects.toThrow(/invalid tag/);
    await expect(client.headBlob("library/single", "sha256:1234")).rejects.toBeInstanceOf(UsageError);
    await expect(client.headManifest("Library/Single", "1.0")).rejects.toThrow(/must be lowercase/);
    const repo = new RegistryRepository(client, "library/single");
    await expect(repo.resolve("sha256:nothex")).rejects.toBeInstanceOf(UsageError);
    await expect(repo.tag({ mediaType: MediaType.DockerManifest, digest: images.get("library/single", "1.0").root.digest as Digest, size: 1 }, "sha256:" + "a".repeat(64))).rejects.toThrow(/is a digest, not a tag/);
    expect(() => new RegistryRepository(client, "UPPER")).toThrow(UsageError);
    expect((await plain.readLog()).length).toBe(before);
  });
});
