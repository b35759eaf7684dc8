/**
 * Temporary failures on every request of the protocol, injected by the fault proxy in front of
 * the real registry: downloads resume, every request retries 429/5xx/resets honouring
 * Retry-After, and uploads resume from the registry's offset or start over on a new session,
 * reopening their content instead of resending a half-read stream. Time is a ManualClock: the
 * waits are recorded, not spent.
 */
import { Readable } from "node:stream";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Digest } from "../../../src/core/digest.js";
import { MediaType } from "../../../src/core/media-types.js";
import { RegistryClient, RegistryError, RegistryRepository, Transport, anonymousCredentials } from "../../../src/oci/registry/index.js";
import { sha256Digest } from "../../../src/oci/verify.js";
import { ManualClock } from "../../harness/clock.js";
import { faults, firstMatch, startFaultProxy, when, type FaultProxy, type ProxyRecord } from "../../harness/fault-proxy.js";
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
  client = new RegistryClient({ url: proxy.url, credentials: anonymousCredentials, transport, limits: { inMemoryLimit: 64 * 1024, chunkSize: 128 * 1024 } });
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

/** `METHOD status` of the upload requests, in order. */
function uploads(): string[] {
  return proxy.requests.filter((q) => q.kind === "blob-upload").map((q) => `${q.method} ${q.status ?? q.outcome}`);
}

function isUpload(q: ProxyRecord, method: string): boolean {
  return q.kind === "blob-upload" && q.method === method;
}

async function stored(repository: string, digest: string): Promise<Buffer> {
  const opened = await client.openBlob(repository, { digest });
  if (!opened.found) throw new Error(`${repository}@${digest} not found`);
  return readAll(opened.stream);
}

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

describe("every request retries temporary failures", () => {
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
    // The HEAD that learns the tag's digest comes first (one GET per digest per run), then the GET is retried.
    expect(proxy.requests.filter((q) => q.kind === "manifest").map((q) => `${q.method} ${q.status ?? ""}`)).toEqual(["HEAD 200", "GET 500", "GET 502", "GET 503", "GET 200"]);
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

  it("retries the start of an upload (POST) and a manifest PUT, honouring Retry-After", async () => {
    const data = Buffer.from("a config blob");
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: { mediaType: MediaType.OciConfig, digest: sha256Digest(data), size: data.length }, layers: [] }));
    proxy.setRule(
      firstMatch(
        when({ kind: "blob-upload", method: "POST" }, faults.tooManyRequests(1), { times: 1 }),
        when({ kind: "blob-upload", method: "POST" }, faults.status(502), { times: 1 }),
        when({ kind: "manifest", method: "PUT" }, faults.status(503), { times: 1 }),
        when({ kind: "manifest", method: "PUT" }, faults.tooManyRequests(1), { times: 1 }),
      ),
    );
    const repo = new RegistryRepository(client, "retry/put");
    await repo.push({ mediaType: MediaType.OciConfig, digest: sha256Digest(data), size: data.length }, Readable.from([data]));
    await repo.push({ mediaType: MediaType.OciManifest, digest: sha256Digest(manifest), size: manifest.length }, Readable.from([manifest]));
    expect(uploads()).toEqual(["POST 429", "POST 502", "POST 202", "PUT 201"]);
    expect(proxy.requests.filter((q) => q.kind === "manifest" && q.method === "PUT").map((q) => q.status)).toEqual([503, 429, 201]);
    expect(clock.sleeps.filter((ms) => ms === 1000)).toHaveLength(2);
    expect((await client.headManifest("retry/put", sha256Digest(manifest))).found).toBe(true);
  });

  it("retries a small blob upload whose PUT got a 502 (the body is replayable)", async () => {
    const data = Buffer.from("small blob for 502");
    proxy.setRule(when({ kind: "blob-upload", method: "PUT" }, faults.status(502), { times: 1 }));
    await client.pushBlob("retry/small", { digest: sha256Digest(data), size: data.length }, Readable.from([data]));
    expect(proxy.requests.filter((q) => q.method === "PUT").map((q) => q.status)).toEqual([502, 201]);
    expect((await client.headBlob("retry/small", sha256Digest(data))).found).toBe(true);
  });
});

describe("streamed uploads (one PATCH, then the completing PUT)", () => {
  it("retries the completing PUT after 429 (Retry-After) and 5xx: one PATCH, no new session", async () => {
    const big = largeBlob("complete-429", 300_000);
    const digest = (await big.digest()) as Digest;
    proxy.setRule(firstMatch(when({ kind: "blob-upload", method: "PUT" }, faults.tooManyRequests(1), { times: 1 }), when({ kind: "blob-upload", method: "PUT" }, faults.status(500), { times: 1 })));
    const result = await client.pushBlob("stream/complete", { digest, size: big.size }, big.stream());
    expect(result.method).toBe("streamed");
    expect(uploads()).toEqual(["POST 202", "PATCH 202", "PUT 429", "PUT 500", "PUT 201"]);
    expect(clock.sleeps[0]).toBe(1000);
    expect(proxy.requests.find((q) => isUpload(q, "PATCH"))?.headers["content-range"]).toBeUndefined();
    expect(sha256Digest(await stored("stream/complete", digest))).toBe(digest);
  });

  it("a completing PUT whose answer was lost after the registry committed: the retry's 404 is confirmed with a HEAD", async () => {
    const big = largeBlob("complete-lost", 300_000);
    const digest = (await big.digest()) as Digest;
    proxy.setRule(when({ kind: "blob-upload", method: "PUT" }, faults.status(503, { forward: true }), { times: 1 }));
    const result = await client.pushBlob("stream/lost-answer", { digest, size: big.size }, big.stream());
    expect(result.method).toBe("streamed");
    expect(uploads()).toEqual(["POST 202", "PATCH 202", "PUT 503", "PUT 404"]);
    expect(proxy.requests.filter((q) => q.kind === "blob" && q.method === "HEAD").map((q) => q.status)).toEqual([200]);
    expect(sha256Digest(await stored("stream/lost-answer", digest))).toBe(digest);
  });

  it("a PATCH answered 503 after the registry took the bytes: its old Location is stale (distribution: 404), so a new session from zero", async () => {
    const big = largeBlob("patch-forwarded", 300_000);
    const digest = (await big.digest()) as Digest;
    proxy.setRule(when({ kind: "blob-upload", method: "PATCH" }, faults.status(503, { forward: true }), { times: 1 }));
    let opened = 0;
    const result = await client.pushBlob("stream/patch-forwarded", { digest, size: big.size }, () => (opened++, big.stream()));
    expect(result.method).toBe("streamed");
    expect(uploads()).toEqual(["POST 202", "PATCH 503", "GET 404", "POST 202", "PATCH 202", "PUT 201"]);
    expect(opened).toBe(2);
    expect(sha256Digest(await stored("stream/patch-forwarded", digest))).toBe(digest);
  });

  it("a PATCH answered 503 before the registry saw it: resumes on the same session from the reported offset, reading the source again", async () => {
    const big = largeBlob("patch-503", 300_000);
    const digest = (await big.digest()) as Digest;
    proxy.setRule(when({ kind: "blob-upload", method: "PATCH" }, faults.status(503), { times: 1 }));
    let opened = 0;
    const result = await client.pushBlob("stream/patch-503", { digest, size: big.size }, () => (opened++, big.stream()));
    expect(result.method).toBe("streamed");
    expect(uploads()).toEqual(["POST 202", "PATCH 503", "GET 204", "PATCH 202", "PUT 201"]);
    expect(opened).toBe(2);
    expect(sha256Digest(await stored("stream/patch-503", digest))).toBe(digest);
  });

  it("a PATCH cut mid-body: continues from the offset the registry reports (or from zero on a new session), never resending a half-read stream", async () => {
    const big = largeBlob("patch-cut", 600_000);
    const digest = (await big.digest()) as Digest;
    proxy.setRule(when({ kind: "blob-upload", method: "PATCH" }, faults.resetAfter(200_000, { direction: "request" }), { times: 1 }));
    const reads: number[] = [];
    const result = await client.pushBlob("stream/patch-cut", { digest, size: big.size }, big.stream(), {
      reopen: async () => (reads.push(1), big.stream()),
    });
    expect(result.method).toBe("streamed");
    expect(reads).toHaveLength(1);
    const patches = proxy.requests.filter((q) => isUpload(q, "PATCH"));
    expect(patches).toHaveLength(2);
    const statusGet = proxy.requests.find((q) => isUpload(q, "GET"));
    const resumedRange = patches[1]?.headers["content-range"];
    if (statusGet?.status === 204 && resumedRange !== undefined) {
      // Resumed on the same session: from exactly the next byte the registry expects, to the end.
      expect(resumedRange).toMatch(new RegExp(`^\\d+-${big.size - 1}$`));
      expect(Number(String(resumedRange).split("-")[0])).toBe(patches[0]!.requestBytes);
    } else {
      // The registry dropped the cut session: a new one, from zero.
      expect(proxy.requests.filter((q) => isUpload(q, "POST"))).toHaveLength(2);
      expect(resumedRange).toBeUndefined();
    }
    expect(sha256Digest(await stored("stream/patch-cut", digest))).toBe(digest);
  });

  it("a lost session (404 BLOB_UPLOAD_UNKNOWN on the PATCH) starts again on a new one from zero", async () => {
    const big = largeBlob("patch-404", 300_000);
    const digest = (await big.digest()) as Digest;
    proxy.setRule(
      when({ kind: "blob-upload", method: "PATCH" }, faults.status(404, { body: JSON.stringify({ errors: [{ code: "BLOB_UPLOAD_UNKNOWN", message: "blob upload unknown to registry" }] }) }), { times: 1 }),
    );
    let opened = 0;
    const result = await client.pushBlob("stream/lost", { digest, size: big.size }, () => (opened++, big.stream()));
    expect(result.method).toBe("streamed");
    expect(uploads()).toEqual(["POST 202", "PATCH 404", "POST 202", "PATCH 202", "PUT 201"]);
    expect(opened).toBe(2);
  });

  it("a consumed stream without a way to reopen it is never resent: the upload fails with the registry's temporary error", async () => {
    const big = largeBlob("no-reopen", 300_000);
    const digest = (await big.digest()) as Digest;
    proxy.setRule(when({ kind: "blob-upload", method: "PATCH" }, faults.status(503), { times: 1 }));
    const error = await client.pushBlob("stream/no-reopen", { digest, size: big.size }, big.stream()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect(error).toMatchObject({ status: 503, temporary: true, method: "PATCH" });
    expect(proxy.requests.filter((q) => isUpload(q, "PATCH"))).toHaveLength(1);
    expect(uploads()).toEqual(["POST 202", "PATCH 503", "GET 204", "DELETE 204"]);
    expect((await client.headBlob("stream/no-reopen", digest)).found).toBe(false);
  });
});

describe("single-shot uploads (ECR: POST, then one PUT with the whole blob)", () => {
  it("sends the blob in one PUT, and after a 503 on it starts a new session with the content read again", async () => {
    const big = largeBlob("single-shot", 300_000);
    const digest = (await big.digest()) as Digest;
    proxy.setRule(when({ kind: "blob-upload", method: "PUT" }, faults.status(503), { times: 1 }));
    let opened = 0;
    const result = await client.pushBlob("single/shot", { digest, size: big.size }, () => (opened++, big.stream()), { limits: { mode: "single-shot" } });
    expect(result.method).toBe("monolithic");
    expect(uploads()).toEqual(["POST 202", "PUT 503", "POST 202", "PUT 201"]);
    expect(opened).toBe(2);
    expect(proxy.requests.filter((q) => isUpload(q, "PUT")).at(-1)?.requestBytes).toBe(big.size);
  });
});

describe("chunked uploads (for registries that require chunks)", () => {
  const chunked = { limits: { mode: "chunked" as const } };

  it("resumes from the registry's upload status after a failed PATCH", async () => {
    const big = largeBlob("chunks", 600_000);
    const digest = (await big.digest()) as Digest;
    proxy.setRule(when({ kind: "blob-upload", method: "PATCH" }, faults.status(503), { skip: 1, times: 1 }));
    const result = await client.pushBlob("retry/chunked", { digest, size: big.size }, big.stream(), chunked);
    expect(result.method).toBe("chunked");
    expect(uploads()).toEqual(["POST 202", "PATCH 202", "PATCH 503", "GET 204", "PATCH 202", "PATCH 202", "PATCH 202", "PUT 201"]);
    expect(proxy.requests.filter((q) => isUpload(q, "PATCH")).map((q) => q.headers["content-range"])).toEqual(["0-131071", "131072-262143", "131072-262143", "262144-393215", "393216-524287"]);
    expect(sha256Digest(await stored("retry/chunked", digest))).toBe(digest);
  });

  it("falls back to one PUT with the whole blob when the registry refuses chunked PATCH (405 on the first chunk)", async () => {
    const big = largeBlob("no-chunks", 400_000);
    const digest = (await big.digest()) as Digest;
    proxy.setRule(when({ kind: "blob-upload", method: "PATCH" }, faults.status(405), { times: 1 }));
    const result = await client.pushBlob("retry/no-chunks", { digest, size: big.size }, big.stream(), chunked);
    expect(result.method).toBe("monolithic");
    expect(uploads()).toEqual(["POST 202", "PATCH 405", "DELETE 204", "POST 202", "PUT 201"]);
    expect((await client.headBlob("retry/no-chunks", digest)).found).toBe(true);
  });

  it("starts over from a body factory when a PATCH cut mid-body made the registry drop the session", async () => {
    const big = largeBlob("chunks-cut", 600_000);
    const digest = (await big.digest()) as Digest;
    proxy.setRule(when({ kind: "blob-upload", method: "PATCH" }, faults.resetAfter(40_000, { direction: "request" }), { skip: 1, times: 1 }));
    let opened = 0;
    const result = await client.pushBlob("retry/chunked-cut", { digest, size: big.size }, () => (opened++, big.stream()), chunked);
    expect(result.method).toBe("chunked");
    expect(opened).toBeGreaterThanOrEqual(1);
    expect(sha256Digest(await stored("retry/chunked-cut", digest))).toBe(digest);
  });
});
