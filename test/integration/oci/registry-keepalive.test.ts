/**
 * Connections are reused for every request kind, seen from the server side
 * (issue 14): a TCP proxy that cannot touch keep-alive counts the
 * connections the client opens to a real registry. An earlier look at the
 * wire blamed HEAD responses for one connection per request; that pattern
 * came from an HTTP test proxy, and this test keeps it from coming back.
 * Also: a manifest is fetched once per digest per run, however many tags
 * point at it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RegistryClient, RegistryRepository, Transport, anonymousCredentials } from "../../../src/oci/registry/index.js";
import { copyReference, CopyCoordinator } from "../../../src/oci/copy/index.js";
import { startCountingProxy, type CountingProxy } from "../../harness/counting-proxy.js";
import { generateImages, pushImages, type ImageSpec } from "../../harness/images.js";
import { startRegistry, type RunningRegistry } from "../../harness/registry.js";

const TAGS = Array.from({ length: 30 }, (_, i) => `t${i}`);
const specs: ImageSpec[] = [
  { repository: "keep/shared", tags: TAGS, format: "oci" },
  ...Array.from({ length: 6 }, (_, i): ImageSpec => ({ repository: `keep/app${i}`, tags: ["1"], format: i % 2 === 0 ? "oci" : "docker" })),
];
const images = generateImages("registry-keepalive", specs);

let source: RunningRegistry;
let target: RunningRegistry;
let sourceProxy: CountingProxy;
let targetProxy: CountingProxy;
let transport: Transport;

beforeAll(async () => {
  [source, target] = await Promise.all([startRegistry(), startRegistry()]);
  await pushImages(source, images);
  [sourceProxy, targetProxy] = await Promise.all([startCountingProxy(source), startCountingProxy(target)]);
});
afterAll(async () => {
  await Promise.all([sourceProxy?.stop(), targetProxy?.stop()]);
  await Promise.all([source?.stop(), target?.stop()]);
});

async function withTransport(work: (t: Transport) => Promise<void>): Promise<void> {
  sourceProxy.reset();
  targetProxy.reset();
  transport = new Transport();
  try {
    await work(transport);
  } finally {
    await transport.close();
  }
}

describe("keep-alive, counted by the server side", () => {
  it.each([1, 3])("100 manifest HEADs with concurrency %i open at most that many connections", async (concurrency) => {
    await withTransport(async (t) => {
      const client = new RegistryClient({ url: sourceProxy.url, credentials: anonymousCredentials, transport: t, concurrency });
      const heads = await Promise.all(Array.from({ length: 100 }, (_, i) => client.headManifest("keep/shared", TAGS[i % TAGS.length]!)));
      expect(heads.every((h) => h.found)).toBe(true);
    });
    expect(sourceProxy.counts()).toEqual({ "HEAD manifests": 100 });
    expect(sourceProxy.connections).toBeGreaterThanOrEqual(1);
    expect(sourceProxy.connections).toBeLessThanOrEqual(concurrency);
  });

  it("GETs of manifests and blobs, and the HEADs, POSTs, PUTs and PATCHes of a copy, share the client's connections", async () => {
    await withTransport(async (t) => {
      const from = new RegistryClient({ url: sourceProxy.url, credentials: anonymousCredentials, transport: t, concurrency: 2 });
      const to = new RegistryClient({ url: targetProxy.url, credentials: anonymousCredentials, transport: t, concurrency: 2 });
      const coordinator = new CopyCoordinator({ concurrency: 4 });
      for (const image of images.images.slice(1)) {
        await copyReference(new RegistryRepository(from, image.repository), new RegistryRepository(to, `mirror/${image.repository}`), "1", "1", { preserveDigests: true, coordinator });
      }
    });
    const sourceCounts = sourceProxy.counts();
    const targetCounts = targetProxy.counts();
    expect(sourceCounts["GET manifests"]).toBe(6);
    expect(sourceCounts["GET blobs"]).toBeGreaterThanOrEqual(12);
    // Each manifest goes up by digest, then under its tag.
    expect(targetCounts["PUT manifests"]).toBe(12);
    expect(targetCounts["PUT uploads"]).toBeGreaterThanOrEqual(12);
    expect(targetCounts["HEAD blobs"]).toBeGreaterThanOrEqual(12);
    expect(sourceProxy.requests.length).toBeGreaterThan(20);
    expect(targetProxy.requests.length).toBeGreaterThan(40);
    // Many requests, at most `concurrency` connections each way.
    expect(sourceProxy.connections).toBeLessThanOrEqual(2);
    expect(targetProxy.connections).toBeLessThanOrEqual(2);
  });
});

describe("manifests once per digest per run", () => {
  it("30 tags of one image: 30 HEADs to learn the digest, then ONE GET; asking by digest again costs nothing", async () => {
    const digest = images.get("keep/shared", "t0").root.digest;
    await withTransport(async (t) => {
      const client = new RegistryClient({ url: sourceProxy.url, credentials: anonymousCredentials, transport: t, concurrency: 4 });
      const got = await Promise.all(TAGS.map((tag) => client.getManifest("keep/shared", tag)));
      expect(got.map((g) => (g.found ? g.manifest.descriptor.digest : "absent"))).toEqual(TAGS.map(() => digest));
      const again = await client.getManifest("keep/shared", digest);
      expect(again.found && again.manifest.descriptor.digest).toBe(digest);
      // An absent tag is not remembered as anything.
      expect((await client.getManifest("keep/shared", "absent")).found).toBe(false);
    });
    expect(sourceProxy.counts()).toEqual({ "HEAD manifests": 31, "GET manifests": 1 });
    expect(sourceProxy.connections).toBeLessThanOrEqual(4);
  });

  it("a new run (a new client) asks again", async () => {
    const digest = images.get("keep/shared", "t0").root.digest;
    for (let run = 0; run < 2; run++) {
      await withTransport(async (t) => {
        const client = new RegistryClient({ url: sourceProxy.url, credentials: anonymousCredentials, transport: t });
        expect((await client.getManifest("keep/shared", digest)).found).toBe(true);
      });
      expect(sourceProxy.counts()).toEqual({ "GET manifests": 1 });
    }
  });
});
