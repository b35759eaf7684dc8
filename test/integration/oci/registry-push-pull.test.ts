import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Digest } from "../../../src/core/digest.js";
import { MediaType } from "../../../src/core/media-types.js";
import type { Descriptor } from "../../../src/core/oci-types.js";
import { sha256Digest } from "../../../src/oci/verify.js";
import {
  RegistryClient,
  RegistryRepository,
  Transport,
  anonymousCredentials,
  referrersTag,
  type RegistryClientOptions,
} from "../../../src/oci/registry/index.js";
import { blobsOf, generateImages, largeBlob, manifestsOf, pushImages, writeOciLayout, type TestImage } from "../../harness/images.js";
import { startRegistry, type RunningRegistry } from "../../harness/registry.js";
import { copy, inspectRaw, skopeoOptionsFor } from "../../harness/skopeo.js";
import { ManualClock } from "../../harness/clock.js";
import { makeTempDir } from "../../harness/tmp.js";

const transport = new Transport({ retry: { baseDelayMs: 20, maxDelayMs: 200 }, clock: new ManualClock() });

function clientFor(r: RunningRegistry, extra: Partial<RegistryClientOptions> = {}): RegistryClient {
  return new RegistryClient({
    url: r.url,
    ...(r.caFile !== undefined ? { tls: { caFile: r.caFile } } : {}),
    credentials: r.username !== undefined ? { username: r.username, password: r.password ?? "" } : anonymousCredentials,
    transport,
    ...extra,
  });
}

function desc(x: { mediaType: string; digest: string; size: number }): Descriptor {
  return { mediaType: x.mediaType, digest: x.digest as Digest, size: x.size };
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

/** Copies one generated image into a repository with the product's ContentWriter: blobs, children, root, tags. */
async function pushImage(repo: RegistryRepository, image: TestImage): Promise<void> {
  for (const blob of blobsOf(image.root)) {
    if (!(await repo.exists(desc(blob)))) await repo.push(desc(blob), Readable.from([blob.data]));
  }
  for (const m of manifestsOf(image.root)) await repo.push(desc(m), Readable.from([m.bytes]));
  for (const tag of image.tags) await repo.tag(desc(image.root), tag);
}

afterAll(async () => {
  await transport.close();
});

const images = generateImages("registry-push-pull");

describe.each([
  { name: "plain", auth: "none" as const, tls: false },
  { name: "basic", auth: "basic" as const, tls: false },
  { name: "token", auth: "token" as const, tls: false },
  { name: "tls+basic", auth: "basic" as const, tls: true },
])("$name registry", ({ auth, tls }) => {
  let r: RunningRegistry;
  let client: RegistryClient;

  beforeAll(async () => {
    r = await startRegistry({ auth, tls });
    client = clientFor(r);
  });
  afterAll(async () => {
    await r?.stop();
  });

  it("pings and reports the auth scheme", async () => {
    const ping = await client.ping();
    expect(ping.auth).toBe(auth === "none" ? "anonymous" : auth === "basic" ? "basic" : "bearer");
    expect(ping.apiVersion).toBe("registry/2.0");
  });

  it("pushes all four manifest media types byte-for-byte, and skopeo reads the same digests", async () => {
    const seen = new Set<string>();
    for (const image of images.images) {
      const repo = new RegistryRepository(client, `pushed/${image.repository}`);
      await pushImage(repo, image);
      seen.add(image.root.mediaType);
      for (const tag of image.tags) {
        const raw = await inspectRaw(`docker://${r.host}/pushed/${image.repository}:${tag}`, skopeoOptionsFor(r));
        expect(raw.digest).toBe(image.root.digest);
        expect(raw.bytes.equals(image.root.bytes)).toBe(true);
        expect(await repo.resolve(tag)).toEqual(desc(image.root));
      }
    }
    expect([...seen].sort()).toEqual([MediaType.OciIndex, MediaType.OciManifest, MediaType.DockerManifestList, MediaType.DockerManifest].sort());
  });

  it("reads what skopeo pushed: manifests by tag and digest, and every blob verified", async () => {
    for (const image of images.images) {
      const dir = await makeTempDir("skopeosrc");
      try {
        const tag = image.tags[0] ?? "";
        const dest = `docker://${r.host}/skopeo/${image.repository}:${tag}`;
        if (image.format === "oci") {
          await writeOciLayout(dir.path, [image], { refName: (_, t) => t });
          await copy(`oci:${dir.path}:${tag}`, dest, { all: true, preserveDigests: true, dest: skopeoOptionsFor(r) });
        } else {
          // skopeo 1.9 finds only OCI media types in an OCI layout: seed Docker images with the
          // harness's own client, then let skopeo copy them registry to registry.
          await pushImages(r, [{ ...image, repository: `seed/${image.repository}` }]);
          await copy(`docker://${r.host}/seed/${image.repository}:${tag}`, dest, { all: true, preserveDigests: true, src: skopeoOptionsFor(r), dest: skopeoOptionsFor(r) });
        }
        const repo = new RegistryRepository(client, `skopeo/${image.repository}`);
        const resolved = await repo.resolve(tag);
        expect(resolved).toEqual(desc(image.root));
        const got = await client.getManifest(`skopeo/${image.repository}`, tag);
        expect(got.found && got.manifest.bytes.equals(image.root.bytes)).toBe(true);
        for (const m of manifestsOf(image.root)) {
          expect((await readAll(await repo.fetch(desc(m)))).equals(m.bytes)).toBe(true);
        }
        for (const blob of blobsOf(image.root)) {
          expect((await readAll(await repo.fetch(desc(blob)))).equals(blob.data)).toBe(true);
        }
      } finally {
        await dir.remove();
      }
    }
  });

  it("treats absent manifests, blobs and repositories as results, not errors", async () => {
    const missing = sha256Digest("nothing here");
    expect(await client.headManifest("pushed/library/single", "no-such-tag")).toEqual({ found: false });
    expect(await client.getManifest("no/such/repo", missing)).toEqual({ found: false });
    expect(await client.headBlob("pushed/library/single", missing)).toEqual({ found: false });
    expect(await client.openBlob("pushed/library/single", { digest: missing })).toEqual({ found: false });
    const repo = new RegistryRepository(client, "pushed/library/single");
    expect(await repo.resolve("no-such-tag")).toBeUndefined();
    expect(await repo.exists({ mediaType: MediaType.OciLayerGzip, digest: missing, size: 1 })).toBe(false);
    expect(await client.listTags("no/such/repo")).toEqual([]);
  });
});

describe("token registry: mount, pagination, chunked upload, referrers, delete", () => {
  let r: RunningRegistry;
  let client: RegistryClient;
  const single = images.get("library/single", "1.0");

  beforeAll(async () => {
    r = await startRegistry({ auth: "token" });
    client = clientFor(r, { limits: { inMemoryLimit: 64 * 1024, chunkSize: 200 * 1024 } });
    await pushImage(new RegistryRepository(client, "src/app"), single);
  });
  afterAll(async () => {
    await r?.stop();
  });

  it("mounts blobs across repositories with a token covering both", async () => {
    const target = new RegistryRepository(client, "dst/app");
    for (const blob of blobsOf(single.root)) {
      expect(await target.exists(desc(blob))).toBe(false);
      expect(await target.mount(desc(blob), "src/app")).toBe(true);
      expect(await target.exists(desc(blob))).toBe(true);
    }
    const mountTokenRequests = r.tokenServer?.requests.filter((q) => q.requested.some((a) => a.name === "src/app") && q.requested.some((a) => a.name === "dst/app")) ?? [];
    expect(mountTokenRequests.length).toBeGreaterThan(0);
    expect(mountTokenRequests[0]?.granted.map((a) => `${a.name}:${[...a.actions].sort().join(",")}`).sort()).toEqual(["dst/app:pull,push", "src/app:pull"].sort());
    // The manifest can be pushed onto mounted blobs.
    const root = single.root;
    await target.push(desc(root), Readable.from([root.bytes]));
    await target.tag(desc(root), "mounted");
    expect((await inspectRaw(`docker://${r.host}/dst/app:mounted`, skopeoOptionsFor(r))).digest).toBe(root.digest);
  });

  it("falls back to an upload when the registry declines the mount (202)", async () => {
    const blob = blobsOf(single.root)[0];
    if (blob === undefined) throw new Error("no blob");
    const declined = await client.mountBlob("other/app", blob.digest, "does/not-exist");
    expect(declined.mounted).toBe(false);
    if (!declined.mounted && declined.session !== undefined) await client.cancelUpload(declined.session);
    const pushed = await client.pushBlob("other/app", desc(blob), Readable.from([blob.data]), { mountFrom: "does/not-exist" });
    expect(pushed.method).toBe("monolithic");
    expect((await client.headBlob("other/app", blob.digest)).found).toBe(true);
  });

  it("lists more tags than n without duplicates or loops (distribution 2.8 ignores n for tags)", async () => {
    const repo = new RegistryRepository(client, "src/app");
    const tags = Array.from({ length: 11 }, (_, i) => `t${String(i).padStart(2, "0")}`);
    for (const tag of tags) await repo.tag(desc(single.root), tag);
    const listed = await client.listTags("src/app", { pageSize: 3 });
    expect(listed.sort()).toEqual(["1.0", "latest", ...tags].sort());
    expect((await client.listTags("src/app")).sort()).toEqual(listed);
  });

  it("follows the registry's Link header through a paginated catalog (n=2)", async () => {
    for (let i = 0; i < 5; i++) await client.pushBlob(`cat/r${i}`, { digest: sha256Digest(`x${i}`), size: 2 }, Readable.from([Buffer.from(`x${i}`)]));
    const repositories = await client.listCatalog({ pageSize: 2 });
    expect(repositories).toEqual(expect.arrayContaining(["src/app", "cat/r0", "cat/r1", "cat/r2", "cat/r3", "cat/r4"]));
    expect(new Set(repositories).size).toBe(repositories.length);
    const log = await r.readLog();
    expect(log.match(/GET \/v2\/_catalog\?last=[^ ]*n=2/g)?.length ?? 0).toBeGreaterThanOrEqual(3);
  });

  it("uploads a large blob in chunks with Content-Range when asked to (chunked mode), and reads it back verified", async () => {
    const big = largeBlob("chunked", 1_300_000);
    const digest = await big.digest();
    const result = await client.pushBlob("big/blob", { digest, size: big.size }, big.stream(), { limits: { mode: "chunked" } });
    expect(result.method).toBe("chunked");
    const log = await r.readLog();
    expect(log.match(/"PATCH \/v2\/big\/blob\/blobs\/uploads\//g)?.length ?? 0).toBeGreaterThanOrEqual(6);
    const opened = await client.openBlob("big/blob", { digest, size: big.size });
    if (!opened.found) throw new Error("uploaded blob not found");
    expect(sha256Digest(await readAll(opened.stream))).toBe(digest);
  });

  it("streams a large blob in one PATCH by default, opening a body factory once when nothing fails", async () => {
    const big = largeBlob("factory", 1_300_000);
    const digest = await big.digest();
    let opened = 0;
    const result = await client.pushBlob("big/factory", { digest, size: big.size }, () => {
      opened++;
      return big.stream();
    });
    expect(result.method).toBe("streamed");
    expect(opened).toBe(1);
    const log = await r.readLog();
    expect(log.match(/"PATCH \/v2\/big\/factory\/blobs\/uploads\//g)?.length).toBe(1);
    expect((await client.headBlob("big/factory", digest)).found).toBe(true);
  });

  it("finds referrers through the sha256-<hex> tag when the referrers API answers 404", async () => {
    const subject = single.root;
    const sigConfig = Buffer.from("{}");
    const sigLayer = Buffer.from("signature payload");
    const repo = new RegistryRepository(client, "src/app");
    for (const blob of [sigConfig, sigLayer]) await repo.push({ mediaType: "application/octet-stream", digest: sha256Digest(blob), size: blob.length }, Readable.from([blob]));
    const sig = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        artifactType: "application/vnd.example.sig",
        config: { mediaType: "application/vnd.oci.empty.v1+json", digest: sha256Digest(sigConfig), size: sigConfig.length },
        layers: [{ mediaType: "application/vnd.example.sig.layer", digest: sha256Digest(sigLayer), size: sigLayer.length }],
        subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
      }),
    );
    const pushed = await client.putManifest("src/app", sha256Digest(sig), sig, MediaType.OciManifest);
    expect(pushed.subject).toBeUndefined(); // distribution 2.8 has no referrers API
    expect(await client.listReferrers("src/app", subject.digest)).toEqual({ descriptors: [], source: "tag-schema", filtered: false });
    const sigDescriptor = { mediaType: MediaType.OciManifest, digest: sha256Digest(sig), size: sig.length, artifactType: "application/vnd.example.sig" };
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [sigDescriptor] }));
    await client.putManifest("src/app", referrersTag(subject.digest as Digest), index, MediaType.OciIndex);
    const found = await client.listReferrers("src/app", subject.digest);
    expect(found).toEqual({ descriptors: [sigDescriptor], source: "tag-schema", filtered: false });
    expect((await client.listReferrers("src/app", subject.digest, { artifactType: "application/vnd.other" })).descriptors).toEqual([]);
  });

  it("deletes a manifest by digest; deleting again reports it absent", async () => {
    const extra = images.get("library/oci-single", "1.0");
    const repo = new RegistryRepository(client, "del/app");
    await pushImage(repo, extra);
    expect(await client.deleteManifest("del/app", extra.root.digest)).toEqual({ deleted: true });
    expect(await repo.resolve("1.0")).toBeUndefined();
    expect(await client.deleteManifest("del/app", extra.root.digest)).toEqual({ deleted: false, reason: "absent" });
  });

  it("re-uses cached tokens: one token per scope set, not per request", async () => {
    const before = r.tokenServer?.issuedCount() ?? 0;
    for (let i = 0; i < 5; i++) await client.headManifest("src/app", "1.0");
    expect((r.tokenServer?.issuedCount() ?? 0) - before).toBeLessThanOrEqual(1);
  });
});
