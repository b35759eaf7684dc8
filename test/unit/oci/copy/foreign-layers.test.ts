import { describe, expect, it } from "vitest";
import { MediaType } from "../../../../src/core/media-types.js";
import { CopyError, copyGraph, isNonDistributable, type CopyEvent, type ForeignLayerPolicy } from "../../../../src/oci/copy/index.js";
import { blob, manifest, seed, type Built } from "./fixtures.js";
import { MemoryRegistry } from "./memory-store.js";

function windowsLike(): { image: Built; foreign: Built; normal: Built } {
  const foreign = blob("windows-base", { size: 3000, mediaType: MediaType.DockerForeignLayerGzip, urls: ["https://mcr.example/blobs/base"] });
  const normal = blob("app-layer", { size: 1000, mediaType: MediaType.DockerLayerGzip });
  return { image: manifest({ format: "docker", layers: [foreign, normal] }), foreign, normal };
}

async function copyWith(policy: ForeignLayerPolicy | undefined, sourceHasForeign: boolean): Promise<{ dst: MemoryRegistry; events: CopyEvent[]; result: Awaited<ReturnType<typeof copyGraph>> }> {
  const { image, foreign } = windowsLike();
  const src = new MemoryRegistry("src");
  seed(src, "win", image);
  if (!sourceHasForeign) src.state("win").blobs.delete(foreign.descriptor.digest);
  const dst = new MemoryRegistry("dst");
  const events: CopyEvent[] = [];
  const result = await copyGraph(src.repository("win"), dst.repository("win"), image.descriptor, { preserveDigests: true, onEvent: (e) => events.push(e), ...(policy !== undefined ? { foreignLayers: policy } : {}) });
  return { dst, events, result };
}

describe("non-distributable (foreign) layers", () => {
  it("are recognised by media type or urls", () => {
    expect(isNonDistributable(windowsLike().foreign.descriptor)).toBe(true);
    expect(isNonDistributable(blob("x", { urls: ["https://example.com/x"] }).descriptor)).toBe(true);
    expect(isNonDistributable(blob("x", { mediaType: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip" }).descriptor)).toBe(true);
    expect(isNonDistributable(blob("x").descriptor)).toBe(false);
  });

  it("by default, are skipped (descriptor kept, manifest byte-identical) when the source cannot provide them", async () => {
    const { foreign } = windowsLike();
    const { dst, events, result } = await copyWith(undefined, false);
    expect(result.stats).toMatchObject({ manifestsPushed: 1, blobsUploaded: 2, blobsSkipped: 1 });
    expect(events.find((e) => e.type === "blob-done" && e.descriptor.digest === foreign.descriptor.digest)).toMatchObject({ how: "skipped", reason: "foreign" });
    expect(dst.state("win").blobs.has(foreign.descriptor.digest)).toBe(false);
  });

  it("by default, are copied when the source has them", async () => {
    const { foreign } = windowsLike();
    const { dst } = await copyWith(undefined, true);
    expect(dst.state("win").blobs.has(foreign.descriptor.digest)).toBe(true);
  });

  it("skip never copies them; require copies them and fails when the source lacks them", async () => {
    const { foreign } = windowsLike();
    expect((await copyWith("skip", true)).dst.state("win").blobs.has(foreign.descriptor.digest)).toBe(false);
    expect((await copyWith("require", true)).dst.state("win").blobs.has(foreign.descriptor.digest)).toBe(true);
    const error = await copyWith("require", false).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CopyError);
    expect(error).toMatchObject({ side: "source", operation: "fetch" });
  });
});
