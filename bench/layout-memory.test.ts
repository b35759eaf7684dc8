/**
 * Memory must not grow with blob size (DESIGN §10): a 512 MiB blob goes into a
 * layout directory, out to a tar, and back through the tar reader, while the
 * resident set size is sampled; it must stay within ~100 MB of where it started.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Digest } from "../src/core/digest.js";
import { MediaType } from "../src/core/media-types.js";
import type { Descriptor } from "../src/core/oci-types.js";
import { layoutTarInput, OciLayoutDirectory, OciLayoutTar, writeLayoutTar } from "../src/oci/layout/index.js";
import { largeBlob } from "../test/harness/large-blob.js";
import { makeTempDir, type TempDir } from "../test/harness/tmp.js";
import { blob, streamOf } from "../test/unit/oci/layout/fixtures.js";

const SIZE = 512 * 1024 * 1024;
const BUDGET = 100 * 1024 * 1024;

/** Samples process RSS every few milliseconds until stopped; returns the peak. */
function sampleRss(): { stop(): number } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  return {
    stop(): number {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage().rss);
    },
  };
}

describe("layout memory bound", () => {
  let tmp: TempDir;
  beforeAll(async () => {
    tmp = await makeTempDir("layoutmemory");
  });
  afterAll(async () => {
    await tmp?.remove();
  });

  it("moves a 512 MiB blob directory → tar → reader without RSS growing more than 100 MB", async ({ annotate }) => {
    const baseline = process.memoryUsage().rss;
    const sampler = sampleRss();
    const timings: Record<string, number> = {};
    let t = performance.now();
    const lap = (name: string): void => {
      const now = performance.now();
      timings[name] = Math.round(now - t);
      t = now;
    };

    const big = largeBlob("layout-memory", SIZE);
    const layer: Descriptor = { mediaType: MediaType.OciLayer, digest: (await big.digest()) as Digest, size: SIZE };
    const config = blob(MediaType.OciConfig, Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [layer.digest] } })));
    const manifest = blob(MediaType.OciManifest, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: config.descriptor, layers: [layer] })));
    lap("digest");

    const layout = await OciLayoutDirectory.open(join(tmp.path, "layout"), { create: true });
    const repo = layout.repository("registry.example/big/app");
    await repo.push(layer, big.stream());
    await repo.push(config.descriptor, streamOf(config.bytes));
    await repo.push(manifest.descriptor, streamOf(manifest.bytes));
    await repo.tag(manifest.descriptor, "1.0");
    lap("push");

    const tarPath = join(tmp.path, "big.tar");
    const written = await writeLayoutTar(tarPath, await layoutTarInput(layout));
    expect(written.blobBytes).toBe(SIZE + config.bytes.length + manifest.bytes.length);
    lap("tar");

    const tar = await OciLayoutTar.open(tarPath);
    const resolved = await tar.repository("registry.example/big/app").resolve("1.0");
    expect(resolved?.digest).toBe(manifest.descriptor.digest);
    const hash = createHash("sha256");
    for await (const chunk of await tar.repository("registry.example/big/app").fetch(layer)) hash.update(chunk as Buffer);
    expect(`sha256:${hash.digest("hex")}`).toBe(layer.digest);
    lap("fetch");

    const verified = await tar.verifyAll();
    expect(verified).toMatchObject({ ok: true, blobs: 3 });
    lap("verifyAll");

    const growth = sampler.stop() - baseline;
    await annotate(`RSS growth ${Math.round(growth / 1e6)} MB; ms: ${JSON.stringify(timings)}`);
    expect(growth).toBeLessThan(BUDGET);
  }, 180_000);
});
