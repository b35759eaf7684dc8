import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { faults, startFaultProxy, when } from "../harness/fault-proxy.js";
import type { FaultProxy } from "../harness/fault-proxy.js";
import { MediaTypes, blobsOf, generateImages, largeBlob, pushImages, writeOciLayout } from "../harness/images.js";
import type { GeneratedImages, TestIndex } from "../harness/images.js";
import { startNginxDav } from "../harness/nginx.js";
import type { RunningNginx } from "../harness/nginx.js";
import { getFreePort } from "../harness/ports.js";
import { startRegistry } from "../harness/registry.js";
import type { RunningRegistry, StartRegistryOptions } from "../harness/registry.js";
import { createRegistryClient } from "../harness/registry-client.js";
import { copy, inspectRaw, skopeoOptionsFor } from "../harness/skopeo.js";
import { makeTempDir } from "../harness/tmp.js";

const images: GeneratedImages = generateImages("harness-test");
const appV1 = images.get("team/sub/app", "v1");
const single = images.get("library/single", "latest");

function sha256(data: Uint8Array): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

function decodeJwt(token: string): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const [h, c] = token.split(".");
  return {
    header: JSON.parse(Buffer.from(h ?? "", "base64url").toString("utf8")) as Record<string, unknown>,
    claims: JSON.parse(Buffer.from(c ?? "", "base64url").toString("utf8")) as Record<string, unknown>,
  };
}

/** Reads a fetch body, returning the error if the transfer is cut. */
async function readBody(res: Response | Awaited<ReturnType<RunningRegistry["fetch"]>>): Promise<{ bytes?: Buffer; error?: unknown }> {
  try {
    return { bytes: Buffer.from(await res.arrayBuffer()) };
  } catch (error) {
    return { error };
  }
}

describe("ports and temp dirs", () => {
  it("hands out distinct usable ports and removable temp dirs", async () => {
    const [a, b] = await Promise.all([getFreePort(), getFreePort()]);
    expect(a).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(0);
    const dir = await makeTempDir();
    expect(existsSync(dir.path)).toBe(true);
    await dir.remove();
    expect(existsSync(dir.path)).toBe(false);
  });
});

describe("image generator", () => {
  it("is deterministic per seed and differs across seeds", () => {
    const again = generateImages("harness-test");
    const other = generateImages("another-seed");
    expect(again.images.map((i) => i.root.digest)).toEqual(images.images.map((i) => i.root.digest));
    expect(other.images.map((i) => i.root.digest)).not.toEqual(images.images.map((i) => i.root.digest));
  });

  it("produces Docker and OCI manifests, indexes, manifest lists, alias tags and nested names", () => {
    expect(single.root.mediaType).toBe(MediaTypes.dockerManifest);
    expect(single.tags).toEqual(["1.0", "latest"]);
    expect(images.get("library/oci-single", "1.0").root.mediaType).toBe(MediaTypes.ociManifest);
    expect(appV1.root.mediaType).toBe(MediaTypes.ociIndex);
    expect(appV1.tags).toContain("stable");
    const legacy = images.get("team/sub/legacy", "v1").root as TestIndex;
    expect(legacy.mediaType).toBe(MediaTypes.dockerManifestList);
    expect(legacy.manifests.every((m) => m.mediaType === MediaTypes.dockerManifest)).toBe(true);
    const index = JSON.parse(appV1.root.bytes.toString("utf8")) as { manifests: Array<{ platform: { architecture: string; variant?: string } }> };
    expect(index.manifests.map((m) => [m.platform.architecture, m.platform.variant ?? ""].join("/"))).toEqual(["amd64/", "arm64/", "arm/v7"]);
    expect(appV1.root.digest).toBe(sha256(appV1.root.bytes));
  });

  it("shares base layers between images and writes valid tar.gz layers with matching diff_ids", () => {
    const amd64 = (appV1.root as TestIndex).manifests[0];
    expect(amd64).toBeDefined();
    if (!amd64) return;
    const base = amd64.layers[0];
    expect(base?.digest).toBe(single.root.kind === "manifest" ? single.root.layers[0]?.digest : undefined);
    const config = JSON.parse(amd64.config.data.toString("utf8")) as { architecture: string; os: string; rootfs: { diff_ids: string[] } };
    expect(config.architecture).toBe("amd64");
    expect(config.os).toBe("linux");
    amd64.layers.forEach((layer, i) => {
      expect(layer.digest).toBe(sha256(layer.data));
      const tar = gunzipSync(layer.data);
      expect(sha256(tar)).toBe(config.rootfs.diff_ids[i]);
      expect(tar.subarray(257, 262).toString("latin1")).toBe("ustar");
      expect(tar.length % 512).toBe(0);
    });
  });

  it("streams a large blob with a stable digest, and any range of it", async () => {
    const blob = largeBlob("harness", 3 * 1024 * 1024 + 7);
    const chunks: Buffer[] = [];
    for await (const c of blob.stream()) chunks.push(c as Buffer);
    const all = Buffer.concat(chunks);
    expect(all.length).toBe(blob.size);
    expect(await blob.digest()).toBe(sha256(all));
    expect(await largeBlob("harness", blob.size).digest()).toBe(await blob.digest());
    const part: Buffer[] = [];
    for await (const c of blob.stream({ start: 1_000_003, end: 2_000_001 })) part.push(c as Buffer);
    expect(Buffer.concat(part).equals(all.subarray(1_000_003, 2_000_001))).toBe(true);
  });

  it("writes an OCI layout that skopeo reads", async () => {
    const dir = await makeTempDir();
    try {
      await writeOciLayout(dir.path, images);
      const raw = await inspectRaw(`oci:${dir.path}:team/sub/app:stable`);
      expect(raw.digest).toBe(appV1.root.digest);
      expect(raw.mediaType).toBe(MediaTypes.ociIndex);
      const files = await readdir(join(dir.path, "blobs", "sha256"));
      expect(files).toContain(appV1.root.digest.slice(7));
    } finally {
      await dir.remove();
    }
  });
});

const variants: ReadonlyArray<{ name: string; options: StartRegistryOptions; ping: number; challenge?: RegExp }> = [
  { name: "plain", options: {}, ping: 200 },
  { name: "basic", options: { auth: "basic" }, ping: 401, challenge: /^Basic realm=/ },
  { name: "token", options: { auth: "token" }, ping: 401, challenge: /^Bearer realm="http:\/\/127\.0\.0\.1:\d+\/token",service="airgap-test-registry"/ },
  { name: "tls", options: { tls: true }, ping: 200 },
];

const registries = new Map<string, Promise<RunningRegistry>>();

// All variants start (and get the generated images) in parallel; a variant that fails only
// fails the tests that use it.
beforeAll(() => {
  for (const v of variants) {
    const p = startRegistry(v.options).then(async (r) => {
      try {
        await pushImages(r, images);
        return r;
      } catch (err) {
        await r.stop();
        throw err;
      }
    });
    p.catch(() => undefined);
    registries.set(v.name, p);
  }
});

afterAll(async () => {
  const all = await Promise.allSettled(registries.values());
  await Promise.all(all.map((s) => (s.status === "fulfilled" ? s.value.stop() : undefined)));
});

async function registry(name: string): Promise<RunningRegistry> {
  const r = registries.get(name);
  if (!r) throw new Error(`registry ${name} not started`);
  return r;
}

describe.each(variants)("registry variant $name", ({ name, ping, challenge }) => {
  it("answers /v2/", async () => {
    const r = await registry(name);
    expect(r.url).toBe(`${name === "tls" ? "https" : "http"}://${r.host}`);
    const res = await r.fetch("/v2/");
    await res.body?.cancel();
    expect(res.status).toBe(ping);
    if (challenge) expect(res.headers.get("www-authenticate")).toMatch(challenge);
  });

  it("serves every pushed manifest byte-for-byte to skopeo", async () => {
    const r = await registry(name);
    const opts = skopeoOptionsFor(r);
    for (const image of [single, appV1, images.get("team/sub/legacy", "v1"), images.get("library/oci-single", "1.0")]) {
      for (const tag of image.tags) {
        const raw = await inspectRaw(`docker://${r.host}/${image.repository}:${tag}`, opts);
        expect(raw.digest, `${image.repository}:${tag}`).toBe(image.root.digest);
        expect(raw.bytes.equals(image.root.bytes)).toBe(true);
      }
    }
    const child = (appV1.root as TestIndex).manifests[2];
    const rawChild = await inspectRaw(`docker://${r.host}/${appV1.repository}@${child?.digest ?? ""}`, opts);
    expect(rawChild.digest).toBe(child?.digest);
  });

  it("lets skopeo copy --all a multi-arch index into an oci: dir", async () => {
    const r = await registry(name);
    const dir = await makeTempDir();
    try {
      await copy(`docker://${r.host}/${appV1.repository}:v1`, `oci:${dir.path}:v1`, { all: true, src: skopeoOptionsFor(r) });
      const raw = await inspectRaw(`oci:${dir.path}:v1`);
      expect(raw.digest).toBe(appV1.root.digest);
      for (const blob of blobsOf(appV1.root)) {
        expect(existsSync(join(dir.path, "blobs", "sha256", blob.digest.slice(7))), blob.digest).toBe(true);
      }
    } finally {
      await dir.remove();
    }
  });
});

describe("registry details", () => {
  it("keeps an access log that tests can read", async () => {
    const log = await (await registry("plain")).readLog();
    expect(log).toMatch(/"PUT \/v2\/team\/sub\/app\/manifests\/v1 HTTP\/1\.1" 201/);
    expect(log).toMatch(/"GET \/v2\/ HTTP\/1\.1" 200/);
  });

  it("rejects wrong basic credentials", async () => {
    const r = await registry("basic");
    await expect(inspectRaw(`docker://${r.host}/${single.repository}:latest`, { username: r.username ?? "", password: "wrong" })).rejects.toThrow(
      /unauthorized|401|authentication required/i,
    );
  });

  it("keeps storage across restart", async () => {
    const r = await startRegistry();
    try {
      await pushImages(r, [single]);
      await r.restart();
      const raw = await inspectRaw(`docker://${r.host}/${single.repository}:1.0`);
      expect(raw.digest).toBe(single.root.digest);
      expect(existsSync(join(r.dataDir, "docker", "registry", "v2", "repositories", "library", "single"))).toBe(true);
    } finally {
      await r.stop();
    }
    expect(existsSync(r.dir)).toBe(false);
    const after = await fetch(`${r.url}/v2/`).then(
      () => "answered",
      () => "refused",
    );
    expect(after).toBe("refused");
  });
});

describe("token server", () => {
  it("issues RS256 JWTs with x5c, intersecting requested and granted scopes", async () => {
    const r = await registry("token");
    const ts = r.tokenServer;
    if (!ts) throw new Error("no token server");
    const scope = "repository:team/sub/app:pull,push";
    const anon = await fetch(`${ts.realm}?service=${ts.service}&scope=${scope}`);
    expect(anon.status).toBe(200);
    const anonBody = (await anon.json()) as { token: string };
    expect(decodeJwt(anonBody.token).claims["access"]).toEqual([]);

    const auth = `Basic ${Buffer.from(`${r.username ?? ""}:${r.password ?? ""}`).toString("base64")}`;
    const res = await fetch(`${ts.realm}?service=${ts.service}&scope=${scope}`, { headers: { authorization: auth } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { token: string; access_token: string; expires_in: number; issued_at: string };
    expect(body.access_token).toBe(body.token);
    expect(body.expires_in).toBe(300);
    const { header, claims } = decodeJwt(body.token);
    expect(header["alg"]).toBe("RS256");
    expect(Array.isArray(header["x5c"])).toBe(true);
    expect(claims["aud"]).toBe(ts.service);
    expect(claims["iss"]).toBe(ts.issuer);
    expect(claims["sub"]).toBe(r.username);
    expect(claims["access"]).toEqual([{ type: "repository", name: "team/sub/app", actions: ["pull", "push"] }]);

    const bad = await fetch(`${ts.realm}?service=${ts.service}&scope=${scope}`, {
      headers: { authorization: `Basic ${Buffer.from("tester:nope").toString("base64")}` },
    });
    expect(bad.status).toBe(401);
    await bad.body?.cancel();
  });

  it("counts requests, honours expires_in and can be made to fail with 500", async () => {
    const r = await registry("token");
    const ts = r.tokenServer;
    if (!ts) throw new Error("no token server");
    const ref = `docker://${r.host}/${single.repository}:latest`;
    const before = ts.issuedCount();
    await inspectRaw(ref, skopeoOptionsFor(r));
    expect(ts.issuedCount()).toBeGreaterThan(before);
    expect(ts.requests.at(-1)?.user).toBe(r.username);

    ts.setExpiresIn(61);
    const res = await fetch(`${ts.realm}?service=${ts.service}`, {
      headers: { authorization: `Basic ${Buffer.from(`${r.username ?? ""}:${r.password ?? ""}`).toString("base64")}` },
    });
    const body = (await res.json()) as { token: string; expires_in: number };
    expect(body.expires_in).toBe(61);
    const { claims } = decodeJwt(body.token);
    expect(Number(claims["exp"]) - Number(claims["iat"])).toBe(61);
    ts.setExpiresIn(300);

    ts.setFailure(500);
    try {
      const failing = await fetch(`${ts.realm}?service=${ts.service}`);
      expect(failing.status).toBe(500);
      await failing.body?.cancel();
      const count = ts.requestCount();
      await expect(inspectRaw(ref, skopeoOptionsFor(r))).rejects.toThrow(/500|Internal Server Error/i);
      expect(ts.requestCount()).toBeGreaterThan(count);
      expect(ts.requests.at(-1)?.status).toBe(500);
    } finally {
      ts.setFailure(undefined);
    }
    const ok = await inspectRaw(ref, skopeoOptionsFor(r));
    expect(ok.digest).toBe(single.root.digest);
  });

  it("denies pulls without credentials when anonymous gets no access", async () => {
    const r = await registry("token");
    await expect(inspectRaw(`docker://${r.host}/${single.repository}:latest`)).rejects.toThrow(/unauthorized|denied|401/i);
  });
});

describe("fault proxy", () => {
  let proxy: FaultProxy;
  let layer: { digest: string; data: Buffer };

  beforeAll(async () => {
    proxy = await startFaultProxy({ upstream: await registry("plain") });
    const first = single.root.kind === "manifest" ? single.root.layers[0] : undefined;
    if (!first) throw new Error("no layer");
    layer = first;
  });

  afterAll(async () => {
    await proxy.stop();
  });

  const blobPath = (): string => `/v2/${single.repository}/blobs/${layer.digest}`;

  it("passes requests through and records them", async () => {
    proxy.clearRequests();
    proxy.setRule(undefined);
    const res = await fetch(`${proxy.url}${blobPath()}`);
    expect(res.status).toBe(200);
    const body = Buffer.from(await res.arrayBuffer());
    expect(sha256(body)).toBe(layer.digest);
    await proxy.settled();
    expect(proxy.requests).toHaveLength(1);
    expect(proxy.requests[0]).toMatchObject({ method: "GET", kind: "blob", repository: "library/single", status: 200, outcome: "completed", action: "pass" });
    expect(proxy.requests[0]?.responseBytes).toBe(layer.data.length);
  });

  it.each([500, 502, 503])("answers injected %i once, then passes", async (status) => {
    proxy.clearRequests();
    proxy.setRule(when({ kind: "manifest", method: "GET" }, faults.status(status), { times: 1 }));
    const url = `${proxy.url}/v2/${single.repository}/manifests/latest`;
    const headers = { accept: MediaTypes.dockerManifest };
    const first = await fetch(url, { headers });
    await first.body?.cancel();
    expect(first.status).toBe(status);
    const second = await fetch(url, { headers });
    expect(second.status).toBe(200);
    expect(sha256(Buffer.from(await second.arrayBuffer()))).toBe(single.root.digest);
    await proxy.settled();
    expect(proxy.requests.map((r) => r.status)).toEqual([status, 200]);
  });

  it("answers 429 with Retry-After", async () => {
    proxy.setRule(when({ kind: "blob" }, faults.tooManyRequests(2)));
    const res = await fetch(`${proxy.url}${blobPath()}`);
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("2");
    expect(((await res.json()) as { errors: Array<{ code: string }> }).errors[0]?.code).toBe("TOOMANYREQUESTS");
  });

  it("resets the connection before answering", async () => {
    proxy.setRule(when({ kind: "blob" }, faults.reset()));
    await expect(fetch(`${proxy.url}${blobPath()}`)).rejects.toThrow();
  });

  it("cuts a blob GET after N bytes", async () => {
    proxy.clearRequests();
    proxy.setRule(when({ kind: "blob", method: "GET" }, faults.resetAfter(1000)));
    const res = await fetch(`${proxy.url}${blobPath()}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBe(String(layer.data.length));
    const { bytes, error } = await readBody(res);
    expect(bytes).toBeUndefined();
    expect(error).toBeDefined();
    await proxy.settled();
    expect(proxy.requests[0]).toMatchObject({ outcome: "reset", responseBytes: 1000 });
  });

  it("truncates gracefully and resumes with Range", async () => {
    proxy.setRule(when({ kind: "blob", method: "GET" }, faults.resetAfter(3000, { graceful: true }), { times: 1 }));
    const res = await fetch(`${proxy.url}${blobPath()}`);
    const { error } = await readBody(res);
    expect(error).toBeDefined();
    const rest = await fetch(`${proxy.url}${blobPath()}`, { headers: { range: "bytes=3000-" } });
    expect(rest.status).toBe(206);
    expect(Buffer.from(await rest.arrayBuffer()).equals(layer.data.subarray(3000))).toBe(true);
  });

  it("throttles response bodies", async () => {
    proxy.setRule(when({ kind: "blob", method: "GET" }, faults.throttle(20_000)));
    const started = Date.now();
    const res = await fetch(`${proxy.url}${blobPath()}`);
    const body = Buffer.from(await res.arrayBuffer());
    const elapsed = Date.now() - started;
    expect(sha256(body)).toBe(layer.digest);
    expect(elapsed).toBeGreaterThanOrEqual(((layer.data.length / 20_000) * 1000) * 0.8);
  });

  it("throttles uploads and delays requests", async () => {
    const repo = "proxy/slow";
    const data = Buffer.alloc(4000, 7);
    proxy.setRule(when({ kind: "blob-upload", method: "POST" }, faults.delay(250)));
    let started = Date.now();
    const post = await fetch(`${proxy.url}/v2/${repo}/blobs/uploads/`, { method: "POST" });
    expect(post.status).toBe(202);
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    proxy.setRule(when({ kind: "blob-upload", method: "PUT" }, faults.throttle(10_000, "request")));
    started = Date.now();
    const put = await fetch(`${post.headers.get("location") ?? ""}&digest=${sha256(data)}`, { method: "PUT", body: data });
    expect(put.status).toBe(201);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it("rewrites upload Locations to itself, cuts uploads, and forwards before failing", async () => {
    proxy.setRule(undefined);
    const repo = "proxy/upload";
    const data = Buffer.from("hello through the proxy");
    const digest = sha256(data);
    const post = await fetch(`${proxy.url}/v2/${repo}/blobs/uploads/`, { method: "POST" });
    expect(post.status).toBe(202);
    const location = post.headers.get("location") ?? "";
    expect(location.startsWith(`${proxy.url}/v2/${repo}/blobs/uploads/`)).toBe(true);

    proxy.setRule(when({ kind: "blob-upload", method: "PUT" }, faults.resetAfter(5, { direction: "request" }), { times: 1 }));
    await expect(fetch(`${location}&digest=${digest}`, { method: "PUT", body: data })).rejects.toThrow();

    proxy.setRule(when({ kind: "manifest", method: "PUT" }, faults.status(502, { forward: true })));
    const post2 = await fetch(`${proxy.url}/v2/${repo}/blobs/uploads/`, { method: "POST" });
    const put = await fetch(`${post2.headers.get("location") ?? ""}&digest=${digest}`, { method: "PUT", body: data });
    expect(put.status).toBe(201);
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociManifest, config: { mediaType: "application/vnd.oci.empty.v1+json", digest, size: data.length }, layers: [] }));
    const mput = await fetch(`${proxy.url}/v2/${repo}/manifests/t1`, { method: "PUT", headers: { "content-type": MediaTypes.ociManifest }, body: manifest });
    expect(mput.status).toBe(502);
    const direct = await (await registry("plain")).fetch(`/v2/${repo}/manifests/t1`, { method: "HEAD", headers: { accept: MediaTypes.ociManifest } });
    expect(direct.status).toBe(200);
    expect(direct.headers.get("docker-content-digest")).toBe(sha256(manifest));
  });

  it("records ordering: every manifest PUT starts after its blob PUTs ended", async () => {
    proxy.setRule(undefined);
    proxy.clearRequests();
    const fresh = generateImages("ordering", [{ repository: "order/app", tags: ["v1"], format: "oci", platforms: [{ os: "linux", architecture: "amd64" }, { os: "linux", architecture: "arm64" }] }]);
    await pushImages({ url: proxy.url }, fresh);
    await proxy.settled();
    const blobPuts = proxy.requests.filter((r) => r.kind === "blob-upload" && r.method === "PUT");
    const manifestPuts = proxy.requests.filter((r) => r.kind === "manifest" && r.method === "PUT");
    expect(blobPuts.length).toBe(fresh.blobs().length);
    expect(manifestPuts.length).toBe(3);
    const lastBlobEnd = Math.max(...blobPuts.map((r) => r.endOrder ?? Number.POSITIVE_INFINITY));
    for (const m of manifestPuts) expect(m.startOrder).toBeGreaterThan(lastBlobEnd);
    expect(manifestPuts.at(-1)?.path).toBe("/v2/order/app/manifests/v1");
  });

  it("fronts a TLS registry", async () => {
    const tlsProxy = await startFaultProxy({ upstream: await registry("tls") });
    try {
      const raw = await inspectRaw(`docker://${tlsProxy.host}/${appV1.repository}:stable`);
      expect(raw.digest).toBe(appV1.root.digest);
    } finally {
      await tlsProxy.stop();
    }
    await expect(startFaultProxy({ upstream: { url: "http://example.com" } })).rejects.toThrow(/only fronts local/);
  });
});

describe("nginx WebDAV", () => {
  let nginx: RunningNginx;
  let authed: RunningNginx;
  beforeAll(async () => {
    [nginx, authed] = await Promise.all([startNginxDav(), startNginxDav({ basicAuth: { username: "files", password: "s3cret" } })]);
  });
  afterAll(async () => {
    await Promise.all([nginx.stop(), authed.stop()]);
  });

  it("accepts PUT with full paths and serves the file back", async () => {
    const data = Buffer.from("a file for the air gap\n".repeat(100));
    const put = await nginx.fetch("/deep/er/path/file.txt", { method: "PUT", body: data });
    expect(put.status).toBe(201);
    const get = await nginx.fetch("/deep/er/path/file.txt");
    expect(get.status).toBe(200);
    expect(Buffer.from(await get.arrayBuffer()).equals(data)).toBe(true);
    expect((await readFile(join(nginx.root, "deep", "er", "path", "file.txt"))).equals(data)).toBe(true);
    const del = await nginx.fetch("/deep/er/path/file.txt", { method: "DELETE" });
    expect(del.status).toBe(204);
    const gone = await nginx.fetch("/deep/er/path/file.txt");
    await gone.body?.cancel();
    expect(gone.status).toBe(404);
    expect(await nginx.readAccessLog()).toMatch(/"PUT \/deep\/er\/path\/file.txt HTTP\/1.1" 201/);
    expect(existsSync(join(nginx.dir, "error.log"))).toBe(true);
  });

  it("enforces basic auth when configured", async () => {
    const denied = await authed.fetch("/x.bin", { method: "PUT", body: Buffer.from("x") });
    await denied.body?.cancel();
    expect(denied.status).toBe(401);
    const ok = await authed.fetch("/x.bin", {
      method: "PUT",
      body: Buffer.from("x"),
      headers: { authorization: `Basic ${Buffer.from("files:s3cret").toString("base64")}` },
    });
    await ok.body?.cancel();
    expect(ok.status).toBe(201);
  });
});

describe("registry client", () => {
  it("follows the token flow for reads and writes", async () => {
    const r = await registry("token");
    const client = createRegistryClient(r);
    try {
      const res = await client.request(`/v2/${appV1.repository}/manifests/stable`, { method: "GET", headers: { accept: MediaTypes.ociIndex } });
      expect(res.status).toBe(200);
      expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(appV1.root.digest);
      const tags = await client.request(`/v2/${appV1.repository}/tags/list`);
      expect(((await tags.json()) as { tags: string[] }).tags.sort()).toEqual(["stable", "v1", "v2"]);
    } finally {
      await client.close();
    }
  });
});
