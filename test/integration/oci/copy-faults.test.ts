/**
 * The copy graph's ordering guarantee, observed on the wire: a fault proxy in
 * front of a real registry records every request, so the test proves that no
 * manifest PUT starts before the uploads (or mounts) of everything it
 * references have completed, and that tags come last, also when uploads are
 * slow or fail transiently, and that a failed blob means no manifest and no tag.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Digest } from "../../../src/core/digest.js";
import { CopyCoordinator, CopyError, copyReference } from "../../../src/oci/copy/index.js";
import { RegistryClient, RegistryRepository, Transport, anonymousCredentials } from "../../../src/oci/registry/index.js";
import { faults, firstMatch, startFaultProxy, when, type FaultProxy, type ProxyRecord } from "../../harness/fault-proxy.js";
import { blobsOf, generateImages, manifestsOf, pushImages, type TestImage } from "../../harness/images.js";
import { startRegistry, type RunningRegistry } from "../../harness/registry.js";
import { inspectRaw } from "../../harness/skopeo.js";

const transport = new Transport({ retry: { baseDelayMs: 10, maxDelayMs: 100 } });
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
    const started = Date.now();
    const copying = copyReference(new RegistryRepository(sourceClient, app.repository), new RegistryRepository(proxyClient, "aborted/app"), "v1", "v1", {
      preserveDigests: true,
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === "blob-start") setTimeout(() => controller.abort(new Error("operator pressed ctrl-c")), 200);
      },
    });
    await expect(copying).rejects.toThrow("operator pressed ctrl-c");
    expect(Date.now() - started).toBeLessThan(5000);
    await proxy.settled();
    const records = [...proxy.requests];
    expect(records.some((r) => r.kind === "blob-upload" && r.outcome === "client-aborted")).toBe(true);
    expect(manifestPuts(records, "aborted/app", app.root.digest)).toEqual([]);
    expect(manifestPuts(records, "aborted/app", "v1")).toEqual([]);
    proxy.setRule(undefined);
  });
});
