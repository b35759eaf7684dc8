/**
 * The copy graph on a misbehaving wire: a fault proxy in front of a real
 * registry records every request, so the tests prove that no manifest PUT
 * starts before the uploads (or mounts) of everything it references have
 * completed, that tags come last, also when uploads are slow or fail
 * transiently, that a failed blob means no manifest and no tag, and that a
 * mirror of 20 images through seeded 5xx and 429 faults on every kind of
 * request arrives with every digest exact (checked by skopeo).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Digest } from "../../../src/core/digest.js";
import { CopyCoordinator, CopyError, copyReference } from "../../../src/oci/copy/index.js";
import { RegistryClient, RegistryRepository, Transport, anonymousCredentials } from "../../../src/oci/registry/index.js";
import { ManualClock } from "../../harness/clock.js";
import { faults, firstMatch, randomFaults, startFaultProxy, when, type FaultAction, type FaultProxy, type FaultRule, type ProxyRecord, type RequestKind } from "../../harness/fault-proxy.js";
import { LINUX_AMD64, LINUX_ARM64, blobsOf, generateImages, manifestsOf, pushImages, type ImageSpec, type TestImage } from "../../harness/images.js";
import { startRegistry, type RunningRegistry } from "../../harness/registry.js";
import { copy, inspectRaw } from "../../harness/skopeo.js";
import { makeTempDir } from "../../harness/tmp.js";

const transport = new Transport({ retry: { baseDelayMs: 10, maxDelayMs: 100 }, clock: new ManualClock() });
const images = generateImages("copy-faults");

function path(record: ProxyRecord): string {
  return decodeURIComponent(record.path);
}

/** The record that committed `digest` into `repository` (upload PUT or successful mount), if any. */
function commitOf(records: readonly ProxyRecord[], repository: string, digest: string): ProxyRecord | undefined {
  return records.find(
    (r) =>
      r.repository === repository &&
      r.kind === "blob-upload" &&
      r.status === 201 &&
      ((r.method === "PUT" && path(r).includes(`digest=${digest}`)) || (r.method === "POST" && path(r).includes(`mount=${digest}`))),
  );
}

function manifestPuts(records: readonly ProxyRecord[], repository: string, reference: string): ProxyRecord[] {
  return records.filter((r) => r.repository === repository && r.kind === "manifest" && r.method === "PUT" && path(r).split("?")[0]!.endsWith(`/manifests/${reference}`));
}

/** Asserts children-before-parents and tag-last for one copied image, from the proxy's records. */
function expectOrdered(records: readonly ProxyRecord[], repository: string, image: TestImage): void {
  for (const m of manifestsOf(image.root)) {
    const [put] = manifestPuts(records, repository, m.digest).filter((r) => r.status === 201);
    expect(put, `PUT ${repository}@${m.digest}`).toBeDefined();
    const children = m.kind === "index" ? m.manifests.map((c) => ({ digest: c.digest, commit: manifestPuts(records, repository, c.digest).find((r) => r.status === 201) })) : [m.config, ...m.layers].map((b) => ({ digest: b.digest, commit: commitOf(records, repository, b.digest) }));
    for (const child of children) {
      expect(child.commit, `${child.digest} committed in ${repository}`).toBeDefined();
      expect(child.commit!.endOrder!, `${child.digest} done before ${m.digest} starts`).toBeLessThan(put!.startOrder);
    }
  }
  const root = manifestPuts(records, repository, image.root.digest).find((r) => r.status === 201)!;
  for (const tag of image.tags) {
    const tagPuts = manifestPuts(records, repository, tag);
    expect(tagPuts.length, `tag ${tag}`).toBeGreaterThan(0);
    for (const t of tagPuts) expect(t.startOrder).toBeGreaterThan(root.endOrder!);
  }
}

describe("copy graph: ordering on the wire (fault proxy)", () => {
  let source: RunningRegistry;
  let target: RunningRegistry;
  let proxy: FaultProxy;
  let sourceClient: RegistryClient;
  let proxyClient: RegistryClient;

  beforeAll(async () => {
    [source, target] = await Promise.all([startRegistry(), startRegistry()]);
    await pushImages(source, images);
    proxy = await startFaultProxy({ upstream: target });
    sourceClient = new RegistryClient({ url: source.url, credentials: anonymousCredentials, transport });
    proxyClient = new RegistryClient({ url: proxy.url, credentials: anonymousCredentials, transport });
  });
  afterAll(async () => {
    await proxy?.stop();
    await Promise.all([source?.stop(), target?.stop()]);
    await transport.close();
  });

  it("no manifest PUT starts before all its blob uploads completed, with slow and transiently failing uploads; tags last", async () => {
    proxy.clearRequests();
    proxy.setRule(
      firstMatch(
        when({ kind: "blob-upload", method: "PUT" }, faults.status(503), { skip: 1, times: 2 }),
        when({ kind: "blob-upload", method: ["PUT", "PATCH"] }, faults.throttle(256 * 1024, "request")),
        when({ kind: "manifest", method: "PUT" }, faults.delay(20)),
      ),
    );
    const coordinator = new CopyCoordinator({ concurrency: 4 });
    await Promise.all(
      images.images.map((image) =>
        copyReference(new RegistryRepository(sourceClient, image.repository), new RegistryRepository(proxyClient, `mirror/${image.repository}`), image.tags[0]!, image.tags, { preserveDigests: true, coordinator }),
      ),
    );
    await proxy.settled();
    const records = [...proxy.requests];
    expect(records.filter((r) => r.status === 503).length).toBe(2);
    for (const image of images.images) expectOrdered(records, `mirror/${image.repository}`, image);
    for (const image of images.images) expect((await inspectRaw(`docker://${target.host}/mirror/${image.repository}:${image.tags[0]!}`)).digest).toBe(image.root.digest);
  });

  it("a blob the target refuses fails the copy on the target side: no manifest referencing it and no tag is written", async () => {
    proxy.clearRequests();
    const app = images.get("team/sub/app", "v2");
    const refused = app.root.kind === "index" ? app.root.manifests[1]!.layers.at(-1)! : app.root.layers.at(-1)!;
    proxy.setRule(
      firstMatch(
        when({ kind: "blob-upload", method: "PUT", path: refused.digest.slice(7) }, faults.status(403, { body: JSON.stringify({ errors: [{ code: "DENIED", message: "policy says no" }] }) })),
        when({ kind: "blob-upload", method: ["PUT", "PATCH"] }, faults.throttle(512 * 1024, "request")),
      ),
    );
    const error = await copyReference(new RegistryRepository(sourceClient, app.repository), new RegistryRepository(proxyClient, "refused/app"), "v2", "v2", { preserveDigests: true }).catch((e: unknown) => e);
    await proxy.settled();
    expect(error).toBeInstanceOf(CopyError);
    expect(error).toMatchObject({ side: "target", operation: "push" });
    expect((error as CopyError).descriptor?.digest).toBe(refused.digest as Digest);
    const records = [...proxy.requests];
    const failedManifest = app.root.kind === "index" ? app.root.manifests[1]! : app.root;
    expect(manifestPuts(records, "refused/app", failedManifest.digest)).toEqual([]);
    expect(manifestPuts(records, "refused/app", app.root.digest)).toEqual([]);
    expect(manifestPuts(records, "refused/app", "v2")).toEqual([]);
    expect(blobsOf(app.root).length).toBeGreaterThan(1);
  });

  it("aborting stops in-flight uploads promptly, and neither the root manifest nor a tag is written", async () => {
    proxy.clearRequests();
    // ~16 KiB/s per upload: the whole image would take minutes
    proxy.setRule(when({ kind: "blob-upload", method: ["PUT", "PATCH"] }, faults.throttle(16 * 1024, "request")));
    const app = images.get("team/sub/app", "v1");
    const controller = new AbortController();
    const copying = copyReference(new RegistryRepository(sourceClient, app.repository), new RegistryRepository(proxyClient, "aborted/app"), "v1", "v1", {
      preserveDigests: true,
      signal: controller.signal,
    });
    // Abort once an upload is under way (bytes are flowing through the throttled proxy).
    await vi.waitFor(() => expect(proxy.requests.some((r) => r.kind === "blob-upload" && r.outcome === "pending" && r.requestBytes > 0)).toBe(true), { timeout: 20_000, interval: 20 });
    controller.abort(new Error("operator pressed ctrl-c"));
    // Promptly: the throttled uploads would take minutes; the test's own timeout bounds the wait.
    await expect(copying).rejects.toThrow("operator pressed ctrl-c");
    await proxy.settled();
    const records = [...proxy.requests];
    expect(records.some((r) => r.kind === "blob-upload" && r.outcome === "client-aborted")).toBe(true);
    expect(manifestPuts(records, "aborted/app", app.root.digest)).toEqual([]);
    expect(manifestPuts(records, "aborted/app", "v1")).toEqual([]);
    proxy.setRule(undefined);
  });
});

/** 20 images: Docker and OCI, single and multi-arch, nested names, shared base layers, 1–2 own layers of 2–6 KiB. */
const MIRROR_SPECS: readonly ImageSpec[] = Array.from({ length: 20 }, (_, i): ImageSpec => ({
  repository: i % 3 === 0 ? `team/sub/app${i}` : i % 3 === 1 ? `library/img${i}` : `nested/deep/tree/img${i}`,
  tags: i % 4 === 0 ? ["1.0", "latest"] : ["1.0"],
  format: i % 2 === 0 ? "oci" : "docker",
  ...(i % 5 === 0 ? { platforms: [LINUX_AMD64, LINUX_ARM64] } : {}),
  layers: 1 + (i % 2),
}));

describe("mirroring 20 images through seeded faults on every request (8 % 5xx, 5 % 429 with Retry-After)", () => {
  let source: RunningRegistry;
  let target: RunningRegistry;
  const mirror = generateImages("copy-faults-mirror", MIRROR_SPECS);

  beforeAll(async () => {
    [source, target] = await Promise.all([startRegistry(), startRegistry()]);
    await pushImages(source, mirror);
  });
  afterAll(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
  });

  it("every image arrives with every digest exact, and every 429 was waited out as long as it asked", async () => {
    const rates = { serverErrors: 0.08, tooManyRequests: 0.05, retryAfterSeconds: [0, 1] };
    // Seeded random faults on everything, plus one sure fault on each kind of request so that every one is covered whatever the seed.
    const once = (method: string, kind: RequestKind, action: FaultAction): FaultRule => when({ method, kind }, action, { times: 1 });
    const [fromProxy, toProxy] = await Promise.all([
      startFaultProxy({
        upstream: source,
        rule: firstMatch(once("GET", "manifest", faults.status(502)), once("GET", "blob", faults.tooManyRequests(1)), randomFaults({ seed: "source", ...rates })),
      }),
      startFaultProxy({
        upstream: target,
        rule: firstMatch(
          once("HEAD", "manifest", faults.tooManyRequests(1)),
          once("HEAD", "blob", faults.status(503)),
          once("POST", "blob-upload", faults.status(500)),
          once("PATCH", "blob-upload", faults.status(503)),
          once("PUT", "blob-upload", faults.tooManyRequests(1)),
          once("PUT", "manifest", faults.status(504, { forward: true })),
          randomFaults({ seed: "target", ...rates }),
        ),
      }),
    ]);
    // Waits are recorded, not spent; jitter fixed at the middle, so no backoff step is exactly 1000 ms.
    const clock = new ManualClock();
    const faulty = new Transport({ clock, random: () => 0.5 });
    try {
      const from = new RegistryClient({ url: fromProxy.url, credentials: anonymousCredentials, transport: faulty });
      // Blobs above 4 KiB go as streamed PATCH uploads, the rest as one PUT.
      const to = new RegistryClient({ url: toProxy.url, credentials: anonymousCredentials, transport: faulty, limits: { inMemoryLimit: 4 * 1024 } });
      const coordinator = new CopyCoordinator({ concurrency: 4 });
      const results = await Promise.all(
        mirror.images.map((image) => copyReference(new RegistryRepository(from, image.repository), new RegistryRepository(to, `mirror/${image.repository}`), image.tags[0]!, image.tags, { preserveDigests: true, coordinator })),
      );
      expect(results.map((r) => r.root.digest)).toEqual(mirror.images.map((i) => i.root.digest));
      await Promise.all([fromProxy.settled(), toProxy.settled()]);

      // The faults did hit every kind of request, on both sides.
      const records = [...fromProxy.requests, ...toProxy.requests];
      const failed = (r: ProxyRecord): boolean => r.status === 429 || (r.status !== undefined && r.status >= 500);
      const hit = new Set(records.filter(failed).map((r) => `${r.method} ${r.kind}`));
      for (const kind of ["POST blob-upload", "PATCH blob-upload", "PUT blob-upload", "PUT manifest", "HEAD manifest", "GET manifest", "GET blob", "HEAD blob"]) expect(hit, kind).toContain(kind);
      const tooMany = records.filter((r) => r.status === 429);
      expect(records.filter(failed).length).toBeGreaterThan(20);
      expect(tooMany.length).toBeGreaterThan(5);
      // Retry-After honoured: one 1000 ms wait per "Retry-After: 1" answer, and backoff never waits exactly that long.
      const askedOneSecond = tooMany.filter((r) => retryAfterOf(r) === "1").length;
      expect(askedOneSecond).toBeGreaterThan(0);
      expect(clock.sleeps.filter((ms) => ms === 1000)).toHaveLength(askedOneSecond);

      // Independently: skopeo reads every tag at its digest, and copies every image out with all its blobs.
      const dir = await makeTempDir("faultmirror");
      try {
        for (const [i, image] of mirror.images.entries()) {
          for (const tag of image.tags) expect((await inspectRaw(`docker://${target.host}/mirror/${image.repository}:${tag}`)).digest, `${image.repository}:${tag}`).toBe(image.root.digest);
          // skopeo verifies every blob it reads against its digest (Docker lists are converted for the OCI layout, which reads every byte too).
          await copy(`docker://${target.host}/mirror/${image.repository}@${image.root.digest}`, `oci:${dir.path}/${i}:x`, { all: true });
        }
      } finally {
        await dir.remove();
      }
    } finally {
      await Promise.all([fromProxy.stop(), toProxy.stop()]);
      await faulty.close();
    }
  });
});

/** The Retry-After a request was answered with by the proxy. */
function retryAfterOf(record: ProxyRecord): string | undefined {
  return record.fault.kind === "status" ? record.fault.headers?.["Retry-After"] : undefined;
}
