/**
 * Memory must not grow with blob size (DESIGN §10): a 1 GiB layer, produced
 * by a seeded generator and never materialised, is copied into a real
 * registry through copyReference, and the process's peak RSS during the copy
 * must stay within ~100 MB of where it started.
 *
 * Peak RSS is the kernel's high-water mark (VmHWM in /proc/self/status),
 * reset just before the copy by writing "5" to /proc/self/clear_refs, so
 * nothing that ran earlier in this worker (vitest, the harness) hides or
 * inflates it; an RSS sampler runs alongside as a cross-check. Vitest runs
 * each test file in its own forked worker, so the measurement is this copy's.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { Readable, pipeline } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Digest } from "../src/core/digest.js";
import { MediaType } from "../src/core/media-types.js";
import type { Descriptor } from "../src/core/oci-types.js";
import type { ContentReader } from "../src/oci/content.js";
import { copyReference, type CopyEvent } from "../src/oci/copy/index.js";
import { RegistryClient, RegistryRepository, Transport, anonymousCredentials } from "../src/oci/registry/index.js";
import { VerifyingStream, sha256Digest } from "../src/oci/verify.js";
import { largeBlob } from "../test/harness/images.js";
import { startRegistry, type RunningRegistry } from "../test/harness/registry.js";
import { inspectRaw } from "../test/harness/skopeo.js";

const SIZE = 1024 * 1024 * 1024; // 1 GiB
const BUDGET = 100 * 1024 * 1024;

function statusKb(field: "VmHWM" | "VmRSS"): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync("/proc/self/status", "utf8"));
  if (match === null) throw new Error(`${field} not in /proc/self/status`);
  return Number(match[1]) * 1024;
}

/** A source holding one image whose single layer is the generated blob, streamed (and verified) on every fetch. */
function generatedImage(blob: ReturnType<typeof largeBlob>, layerDigest: Digest): { reader: ContentReader; root: Descriptor } {
  const layer: Descriptor = { mediaType: MediaType.OciLayer, digest: layerDigest, size: blob.size };
  const configBytes = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [layerDigest] } }));
  const config: Descriptor = { mediaType: MediaType.OciConfig, digest: sha256Digest(configBytes), size: configBytes.length };
  const manifestBytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config, layers: [layer] }));
  const root: Descriptor = { mediaType: MediaType.OciManifest, digest: sha256Digest(manifestBytes), size: manifestBytes.length };
  const small = new Map<string, Buffer>([
    [config.digest, configBytes],
    [root.digest, manifestBytes],
  ]);
  const reader: ContentReader = {
    name: "generator",
    resolve: async (reference) => (reference === "v1" ? root : undefined),
    exists: async (d) => small.has(d.digest) || d.digest === layerDigest,
    fetch: async (d) => {
      if (d.digest === layerDigest) return pipeline(blob.stream(), new VerifyingStream({ digest: layerDigest, size: blob.size }), () => undefined);
      const bytes = small.get(d.digest);
      if (bytes === undefined) throw new Error(`no ${d.digest}`);
      return Readable.from([bytes], { objectMode: false });
    },
  };
  return { reader, root };
}

const mb = (n: number): string => (n / 1024 / 1024).toFixed(1);

/** Runs `copy` with the RSS high-water mark reset first; returns how far above the starting RSS the peak went. */
async function measured<T>(label: string, copy: () => Promise<T>): Promise<{ result: T; growth: number; sampledGrowth: number }> {
  writeFileSync("/proc/self/clear_refs", "5"); // reset VmHWM to the current RSS
  const baseline = statusKb("VmRSS");
  let sampledPeak = baseline;
  const sampler = setInterval(() => {
    sampledPeak = Math.max(sampledPeak, process.memoryUsage().rss);
  }, 25);
  const started = Date.now();
  let result: T;
  try {
    result = await copy();
  } finally {
    clearInterval(sampler);
  }
  const seconds = (Date.now() - started) / 1000;
  const peak = Math.max(statusKb("VmHWM"), sampledPeak);
  console.info(`${label}: ${mb(SIZE)} MiB in ${seconds.toFixed(1)} s (${(SIZE / 1e6 / seconds).toFixed(0)} MB/s); RSS at start ${mb(baseline)} MB, peak ${mb(peak)} MB (+${mb(peak - baseline)}; sampler +${mb(sampledPeak - baseline)})`);
  return { result, growth: peak - baseline, sampledGrowth: sampledPeak - baseline };
}

describe("copy graph memory bound", () => {
  let first: RunningRegistry;
  let second: RunningRegistry;
  const blob = largeBlob("copy-memory", SIZE);
  let layerDigest: Digest;
  let root: Descriptor;
  const transport = new Transport({ retry: { baseDelayMs: 20, maxDelayMs: 200 } });

  beforeAll(async () => {
    [first, second] = await Promise.all([startRegistry(), startRegistry()]);
    layerDigest = (await blob.digest()) as Digest;
  });
  afterAll(async () => {
    await Promise.all([first?.stop(), second?.stop()]);
    await transport.close();
  });

  it(`generator → registry: a ${SIZE / 1024 / 1024} MiB layer with peak RSS within ${BUDGET / 1024 / 1024} MB of the start`, async () => {
    const image = generatedImage(blob, layerDigest);
    root = image.root;
    const client = new RegistryClient({ url: first.url, credentials: anonymousCredentials, transport });
    const events: CopyEvent[] = [];
    const { result, growth, sampledGrowth } = await measured("generator → registry", () =>
      copyReference(image.reader, new RegistryRepository(client, "big/app"), "v1", "v1", { preserveDigests: true, onEvent: (e) => events.push(e), progressIntervalMs: 1000 }),
    );
    expect(result.stats).toMatchObject({ blobsUploaded: 2, manifestsPushed: 1 });
    expect(result.stats.bytesUploaded).toBeGreaterThan(SIZE);
    expect(events.filter((e) => e.type === "blob-progress" && e.descriptor.digest === layerDigest).length).toBeGreaterThan(1);
    expect(growth).toBeLessThan(BUDGET);
    expect(sampledGrowth).toBeLessThan(BUDGET);
    expect(await client.headBlob("big/app", layerDigest)).toMatchObject({ found: true });
    expect((await inspectRaw(`docker://${first.host}/big/app:v1`)).digest).toBe(root.digest);
  });

  it(`registry → registry: the same layer streamed from one registry into another within the same bound`, async () => {
    const source = new RegistryRepository(new RegistryClient({ url: first.url, credentials: anonymousCredentials, transport }), "big/app");
    const target = new RegistryRepository(new RegistryClient({ url: second.url, credentials: anonymousCredentials, transport }), "mirror/big/app");
    const { result, growth } = await measured("registry → registry", () => copyReference(source, target, "v1", "v1", { preserveDigests: true }));
    expect(result.root.digest).toBe(root.digest);
    expect(result.stats.bytesUploaded).toBeGreaterThan(SIZE);
    expect(growth).toBeLessThan(BUDGET);
    expect((await inspectRaw(`docker://${second.host}/mirror/big/app:v1`)).digest).toBe(root.digest);
  });
});
