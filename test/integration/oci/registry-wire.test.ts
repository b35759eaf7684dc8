/**
 * What the client puts on the wire, counted by the transport (issue 14): connections are reused
 * for every request kind and never exceed a client's concurrency, and many concurrent copies
 * sharing one AbortSignal raise no Node warning (issue 9).
 */
import { getEventListeners } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CopyCoordinator, copyReference } from "../../../src/oci/copy/index.js";
import { RegistryClient, RegistryRepository, Transport, anonymousCredentials, type HostStats } from "../../../src/oci/registry/index.js";
import { generateImages, pushImages, type ImageSpec } from "../../harness/images.js";
import { startRegistry, type RunningRegistry } from "../../harness/registry.js";
import { inspectRaw } from "../../harness/skopeo.js";

let source: RunningRegistry;
let target: RunningRegistry;
const images = generateImages("registry-wire");
const single = images.get("library/single", "1.0");

beforeAll(async () => {
  [source, target] = await Promise.all([startRegistry(), startRegistry()]);
  await pushImages(source, images);
});
afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
});

/** Runs `work` on a fresh transport and returns what it counted for `host`. */
async function counted(host: string, work: (transport: Transport) => Promise<void>): Promise<HostStats> {
  const transport = new Transport();
  try {
    await work(transport);
    const stats = transport.stats();
    return stats.hosts[host] ?? { requests: {}, connections: 0 };
  } finally {
    await transport.close();
  }
}

describe("connection reuse", () => {
  it.each([1, 4])("200 manifest HEADs with concurrency %i use at most that many connections", async (concurrency) => {
    const host = await counted(source.host, async (transport) => {
      const client = new RegistryClient({ url: source.url, credentials: anonymousCredentials, transport, concurrency });
      const heads = await Promise.all(Array.from({ length: 200 }, () => client.headManifest("library/single", "1.0")));
      expect(heads.every((h) => h.found && h.digest === single.root.digest)).toBe(true);
    });
    expect(host.requests).toEqual({ HEAD: 200 });
    expect(host.connections).toBeGreaterThanOrEqual(1);
    expect(host.connections).toBeLessThanOrEqual(concurrency);
  });

  it("every request kind reuses them: HEAD, GET of manifests and blobs, blob HEAD and 404s", async () => {
    const blob = single.root.kind === "manifest" ? single.root.layers[0]! : undefined;
    if (blob === undefined) throw new Error("library/single is not a single manifest");
    const host = await counted(source.host, async (transport) => {
      const client = new RegistryClient({ url: source.url, credentials: anonymousCredentials, transport, concurrency: 3 });
      for (let round = 0; round < 10; round++) {
        await Promise.all([
          client.headManifest("library/single", "1.0"),
          client.getManifest("library/single", "1.0"),
          client.headManifest("library/single", "no-such-tag"),
          client.headBlob("library/single", blob.digest),
          (async () => {
            const opened = await client.openBlob("library/single", blob);
            if (!opened.found) throw new Error("blob not found");
            for await (const chunk of opened.stream) void chunk;
          })(),
        ]);
      }
    });
    expect(host.requests).toEqual({ HEAD: 30, GET: 20 });
    expect(host.connections).toBeLessThanOrEqual(3);
  });
});

describe("many copies in flight on one AbortSignal", () => {
  it("14 images copied concurrently raise no Node warning and leave no listener on the signal", async () => {
    const specs: ImageSpec[] = Array.from({ length: 14 }, (_, i) => ({ repository: `many/app${i}`, tags: ["1"], format: i % 2 === 0 ? "oci" : "docker" }));
    const many = generateImages("registry-wire-many", specs);
    await pushImages(source, many);
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on("warning", onWarning);
    const transport = new Transport();
    const controller = new AbortController();
    try {
      const from = new RegistryClient({ url: source.url, credentials: anonymousCredentials, transport });
      const to = new RegistryClient({ url: target.url, credentials: anonymousCredentials, transport, limits: { inMemoryLimit: 1024 } });
      const coordinator = new CopyCoordinator({ concurrency: 4 });
      await Promise.all(
        many.images.map((image) =>
          copyReference(new RegistryRepository(from, image.repository), new RegistryRepository(to, `mirror/${image.repository}`), "1", "1", { preserveDigests: true, coordinator, signal: controller.signal }),
        ),
      );
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on a later tick
      expect(warnings.map((w) => `${w.name}: ${w.message}`)).toEqual([]);
      expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
      for (const image of many.images.slice(0, 3)) expect((await inspectRaw(`docker://${target.host}/mirror/${image.repository}:1`)).digest).toBe(image.root.digest);
    } finally {
      process.off("warning", onWarning);
      await transport.close();
    }
  });
});
