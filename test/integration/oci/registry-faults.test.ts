import { Readable } from "node:stream";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Digest } from "../../../src/core/digest.js";
import { RegistryClient, RegistryError, Transport, anonymousCredentials } from "../../../src/oci/registry/index.js";
import { sha256Digest } from "../../../src/oci/verify.js";
import { ManualClock } from "../../harness/clock.js";
import { faults, startFaultProxy, when, type FaultProxy } from "../../harness/fault-proxy.js";
import { generateImages, largeBlob, pushImages } from "../../harness/images.js";
import { startRegistry, type RunningRegistry } from "../../harness/registry.js";

const clock = new ManualClock();
const transport = new Transport({ retry: { baseDelayMs: 20, maxDelayMs: 100, maxAttempts: 4 }, clock });

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

let registry: RunningRegistry;
let proxy: FaultProxy;
let client: RegistryClient;
const images = generateImages("registry-faults");
const single = images.get("library/single", "1.0");
const blobData = Buffer.alloc(400_000);
for (let i = 0; i < blobData.length; i++) blobData[i] = (i * 7919) % 251;
const blobDigest = sha256Digest(blobData);

beforeAll(async () => {
  registry = await startRegistry();
  await pushImages(registry, images);
  proxy = await startFaultProxy({ upstream: registry });
  client = new RegistryClient({
    url: proxy.url,
    credentials: anonymousCredentials,
    transport,
    limits: { inMemoryLimit: 64 * 1024, chunkedThreshold: 256 * 1024, chunkSize: 128 * 1024 },
  });
  await client.pushBlob("blobs/big", { digest: blobDigest, size: blobData.length }, Readable.from([blobData]));
});

afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
  await transport.close();
});

beforeEach(() => {
  proxy.setRule(undefined);
  proxy.clearRequests();
  clock.sleeps.length = 0;
});

describe("resumed blob downloads", () => {
  it("continues with Range: bytes=N- after the connection is cut mid-body (FIN)", async () => {
    proxy.setRule(when({ kind: "blob", method: "GET" }, faults.resetAfter(150_000, { graceful: true }), { times: 1 }));
    const opened = await client.openBlob("blobs/big", { digest: blobDigest, size: blobData.length });
    if (!opened.found) throw new Error("blob not found");
    expect((await readAll(opened.stream)).equals(blobData)).toBe(true);
    const gets = proxy.requests.filter((q) => q.kind === "blob" && q.method === "GET");
    expect(gets.map((q) => q.headers.range)).toEqual([undefined, "bytes=150000-"]);
    expect(gets[1]?.status).toBe(206);
  });

  it("continues after a TCP reset mid-body, and the content is still verified", async () => {
    proxy.setRule(when({ kind: "blob", method: "GET" }, faults.resetAfter(200_000), { times: 2 }));
    const opened = await client.openBlob("blobs/big", { digest: blobDigest, size: blobData.length });
    if (!opened.found) throw new Error("blob not found");
    expect(sha256Digest(await readAll(opened.stream))).toBe(blobDigest);
    const ranges = proxy.requests.filter((q) => q.kind === "blob" && q.method === "GET").map((q) => q.headers.range);
    expect(ranges.length).toBe(3);
    expect(ranges[0]).toBeUndefined();
    expect(ranges.slice(1).every((r) => typeof r === "string" && /^bytes=\d+-$/.test(r))).toBe(true);
  });

  it("gives up after maxResumes with a temporary RegistryError", async () => {
    proxy.setRule(when({ kind: "blob", method: "GET" }, faults.resetAfter(10_000, { graceful: true })));
    const opened = await client.openBlob("blobs/big", { digest: blobDigest, size: blobData.length }, { maxResumes: 2 });
    if (!opened.found) throw new Error("blob not found");
    const error = await readAll(opened.stream).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect(error).toMatchObject({ code: "REGISTRY_NETWORK", temporary: true });
    expect((error as Error).message).toMatch(/broke 3 times/);
  });
});

describe("retries", () => {
  it("waits exactly the registry's Retry-After on 429, on the injected clock", async () => {
    proxy.setRule(when({ kind: "manifest", method: "HEAD" }, faults.tooManyRequests(7), { times: 1 }));
    const head = await client.headManifest("library/single", "1.0");
    expect(head).toMatchObject({ found: true, digest: single.root.digest });
    expect(clock.sleeps).toEqual([7000]);
    expect(proxy.requests.filter((q) => q.kind === "manifest").map((q) => q.status)).toEqual([429, 200]);
  });

  it("retries 500, 502, 503 and 504 on a manifest GET", async () => {
    let n = 0;
    const statuses = [500, 502, 503];
    proxy.setRule(when({ kind: "manifest", method: "GET" }, () => faults.status(statuses[n++] ?? 504), { times: 3 }));
    const got = await client.getManifest("library/single", "1.0");
    expect(got.found && got.manifest.descriptor.digest).toBe(single.root.digest);
    expect(proxy.requests.filter((q) => q.kind === "manifest").map((q) => q.status)).toEqual([500, 502, 503, 200]);
  });

  it("retries a connection reset before the response", async () => {
    proxy.setRule(when({ kind: "manifest", method: "HEAD" }, faults.reset(), { times: 2 }));
    expect(await client.headManifest("library/single", "1.0")).toMatchObject({ found: true });
    expect(proxy.requests.filter((q) => q.kind === "manifest").map((q) => q.outcome)).toEqual(["reset", "reset", "completed"]);
  });

  it("reports a persistent 503 as a temporary RegistryError with the registry's code and message as fields", async () => {
    proxy.setRule(when({ kind: "manifest" }, faults.status(503, { body: JSON.stringify({ errors: [{ code: "UNAVAILABLE", message: "maintenance" }] }) })));
    const error = await client.headManifest("library/single", "1.0").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect(error).toMatchObject({ status: 503, temporary: true, method: "HEAD", url: `${proxy.url}/v2/library/single/manifests/1.0` });
    expect((error as Error).message).toMatch(/answered 503.*after 4 attempts/);
    const get = (await client.getManifest("library/single", "1.0").catch((e: unknown) => e)) as RegistryError;
    expect(get.errors).toEqual([{ code: "UNAVAILABLE", message: "maintenance" }]);
    expect([get.registryCode, get.registryMessage, get.status, get.method, get.temporary]).toEqual(["UNAVAILABLE", "maintenance", 503, "GET", true]);
  });

  it("retries a small blob upload whose PUT got a 502 (the body is replayable)", async () => {
    const data = Buffer.from("small blob for 502");
    proxy.setRule(when({ kind: "blob-upload", method: "PUT" }, faults.status(502), { times: 1 }));
    await client.pushBlob("retry/small", { digest: sha256Digest(data), size: data.length }, Readable.from([data]));
    expect(proxy.requests.filter((q) => q.method === "PUT").map((q) => q.status)).toEqual([502, 201]);
    expect((await client.headBlob("retry/small", sha256Digest(data))).found).toBe(true);
  });

  it("does not resend a consumed stream; a body factory restarts the upload on a new session", async () => {
    const big = largeBlob("restart", 200_000);
    const digest = (await big.digest()) as Digest;
    proxy.setRule(when({ kind: "blob-upload", method: "PUT" }, faults.resetAfter(50_000, { direction: "request" }), { times: 1 }));
    const error = await client.pushBlob("retry/stream", { digest, size: big.size }, big.stream()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).temporary).toBe(true);
    expect(proxy.requests.filter((q) => q.method === "PUT").length).toBe(1);

    proxy.clearRequests();
    proxy.setRule(when({ kind: "blob-upload", method: "PUT" }, faults.resetAfter(50_000, { direction: "request" }), { times: 1 }));
    let opened = 0;
    const result = await client.pushBlob("retry/stream", { digest, size: big.size }, () => (opened++, big.stream()));
    expect(result.method).toBe("monolithic");
    expect(opened).toBe(2);
    expect(proxy.requests.filter((q) => q.method === "POST").length).toBe(2);
  });

  it("resumes a chunked upload from the registry's upload status after a failed PATCH", async () => {
    const big = largeBlob("chunks", 600_000);
    const digest = (await big.digest()) as Digest;
    proxy.setRule(when({ kind: "blob-upload", method: "PATCH" }, faults.status(503), { skip: 1, times: 1 }));
    const result = await client.pushBlob("retry/chunked", { digest, size: big.size }, big.stream());
    expect(result.method).toBe("chunked");
    const uploads = proxy.requests.filter((q) => q.kind === "blob-upload");
    expect(uploads.map((q) => `${q.method} ${q.status ?? ""}`)).toEqual(["POST 202", "PATCH 202", "PATCH 503", "GET 204", "PATCH 202", "PATCH 202", "PATCH 202", "PUT 201"]);
    expect(uploads.filter((q) => q.method === "PATCH").map((q) => q.headers["content-range"])).toEqual(["0-131071", "131072-262143", "131072-262143", "262144-393215", "393216-524287"]);
    const opened = await client.openBlob("retry/chunked", { digest, size: big.size });
    if (!opened.found) throw new Error("not found");
    expect(sha256Digest(await readAll(opened.stream))).toBe(digest);
  });

  it("falls back to one streamed request when the registry refuses chunked PATCH (405 on the first chunk)", async () => {
    const big = largeBlob("no-chunks", 400_000);
    const digest = (await big.digest()) as Digest;
    proxy.setRule(when({ kind: "blob-upload", method: "PATCH" }, faults.status(405), { times: 1 }));
    const result = await client.pushBlob("retry/no-chunks", { digest, size: big.size }, big.stream());
    expect(result.method).toBe("monolithic");
    const uploads = proxy.requests.filter((q) => q.kind === "blob-upload");
    expect(uploads.map((q) => `${q.method} ${q.status ?? ""}`)).toEqual(["POST 202", "PATCH 405", "DELETE 204", "POST 202", "PUT 201"]);
    expect((await client.headBlob("retry/no-chunks", digest)).found).toBe(true);
  });

  it("starts over from a body factory when a PATCH cut mid-body made the registry drop the session", async () => {
    const big = largeBlob("chunks-cut", 600_000);
    const digest = (await big.digest()) as Digest;
    proxy.setRule(when({ kind: "blob-upload", method: "PATCH" }, faults.resetAfter(40_000, { direction: "request" }), { skip: 1, times: 1 }));
    let opened = 0;
    const result = await client.pushBlob("retry/chunked-cut", { digest, size: big.size }, () => (opened++, big.stream()));
    expect(result.method).toBe("chunked");
    expect(opened).toBe(2);
    expect((await client.headBlob("retry/chunked-cut", digest)).found).toBe(true);
  });
});
