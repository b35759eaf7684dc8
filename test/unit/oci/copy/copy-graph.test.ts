import { describe, expect, it } from "vitest";
import { MediaType } from "../../../../src/core/media-types.js";
import { CopyError, copyGraph, copyReference, type CopyEvent } from "../../../../src/oci/copy/index.js";
import { ContentVerificationError } from "../../../../src/oci/verify.js";
import { AMD64, ARM64, blob, bytesFor, flatten, manifest, multiArch, seed } from "./fixtures.js";
import { MemoryRegistry, type WriteRecord } from "./memory-store.js";

/** Asserts that every manifest write came after the writes of everything it references. */
function expectChildrenFirst(log: readonly WriteRecord[], manifests: ReadonlyArray<{ digest: string; children: readonly string[] }>): void {
  const committedAt = new Map<string, number>();
  for (const r of log) if (r.op !== "tag" && !committedAt.has(`${r.repository}:${r.digest}`)) committedAt.set(`${r.repository}:${r.digest}`, r.seq);
  for (const r of log.filter((x) => x.op === "push-manifest")) {
    const m = manifests.find((x) => x.digest === r.digest);
    if (m === undefined) continue;
    for (const child of m.children) {
      const at = committedAt.get(`${r.repository}:${child}`);
      expect(at, `${child} before ${r.digest}`).toBeDefined();
      expect(at!).toBeLessThan(r.seq);
    }
  }
}

describe("copyGraph between in-memory stores", () => {
  it("copies children before parents and tags last", async () => {
    const src = new MemoryRegistry("src.example");
    const dst = new MemoryRegistry("dst.example");
    const { index, manifests } = multiArch("app", [AMD64, ARM64]);
    seed(src, "team/app", index, "v1");
    const events: CopyEvent[] = [];
    const result = await copyReference(src.repository("team/app"), dst.repository("mirror/app"), "v1", "v1", { preserveDigests: true, onEvent: (e) => events.push(e) });

    expect(result.root).toEqual(index.descriptor);
    expect(result.rewritten).toBe(false);
    expect(result.tags).toEqual([{ tag: "v1", changed: true }]);
    const log = dst.writes();
    expect(log.at(-1)).toMatchObject({ op: "tag", tag: "v1", digest: index.descriptor.digest });
    expect(log.filter((r) => r.op === "tag")).toHaveLength(1);
    expect(log.at(-2)).toMatchObject({ op: "push-manifest", digest: index.descriptor.digest });
    expectChildrenFirst(log, [
      { digest: index.descriptor.digest, children: manifests.map((m) => m.descriptor.digest) },
      ...manifests.map((m) => ({ digest: m.descriptor.digest, children: m.parts.map((p) => p.descriptor.digest) })),
    ]);
    // everything arrived, byte for byte
    for (const piece of flatten(index)) expect(dst.content.get(piece.descriptor.digest)?.equals(piece.bytes)).toBe(true);
    expect(result.stats).toMatchObject({ manifestsPushed: 3, blobsUploaded: 6, blobsSkipped: 0, blobsMounted: 0 });
    expect(result.stats.bytesUploaded).toBe(flatten(index).filter((p) => p.kind === "blob").reduce((n, p) => n + p.bytes.length, 0));
    // events: every blob started and finished, tag last
    const started = events.filter((e) => e.type === "blob-start").length;
    expect(started).toBe(6);
    expect(events.filter((e) => e.type === "blob-done")).toHaveLength(6);
    expect(events.at(-1)).toMatchObject({ type: "tagged", tag: "v1", changed: true });
    expect(events.filter((e) => e.type === "manifest-done").map((e) => e.descriptor.digest).at(-1)).toBe(index.descriptor.digest);
  });

  it("a second copy pushes nothing: existing manifests are skipped with their whole sub-graph", async () => {
    const src = new MemoryRegistry("src.example");
    const dst = new MemoryRegistry("dst.example");
    const { index } = multiArch("app", [AMD64, ARM64]);
    seed(src, "app", index, "v1");
    await copyReference(src.repository("app"), dst.repository("app"), "v1", "v1", { preserveDigests: true });
    const writesBefore = dst.writes().length;

    const target = dst.repository("app");
    const again = await copyReference(src.repository("app"), target, "v1", "v1", { preserveDigests: true });
    expect(dst.writes().length).toBe(writesBefore);
    expect(target.counts).toMatchObject({ push: 0, tag: 0, mount: 0 });
    // one exists() for the root (it exists, so nothing below it is even checked) and one resolve for the tag
    expect(target.counts.exists).toBe(1);
    expect(again.tags).toEqual([{ tag: "v1", changed: false }]);
    expect(again.stats).toMatchObject({ manifestsSkipped: 1, manifestsPushed: 0, blobsUploaded: 0 });
  });

  it("checks blobs before pushing them and skips those the target has", async () => {
    const src = new MemoryRegistry();
    const dst = new MemoryRegistry();
    const base = blob("base", { size: 5000 });
    const own = blob("own", { size: 3000 });
    const image = manifest({ layers: [base, own] });
    seed(src, "app", image);
    seed(dst, "app", base); // the target already has the base layer
    const events: CopyEvent[] = [];
    const result = await copyGraph(src.repository("app"), dst.repository("app"), image.descriptor, { preserveDigests: true, onEvent: (e) => events.push(e) });
    expect(dst.writes("push-blob").map((r) => r.digest).sort()).toEqual([own.descriptor.digest, image.parts[0]!.descriptor.digest].sort());
    expect(events.find((e) => e.type === "blob-done" && e.descriptor.digest === base.descriptor.digest)).toMatchObject({ how: "skipped", reason: "exists", bytes: 0 });
    expect(result.stats).toMatchObject({ blobsSkipped: 1, blobsUploaded: 2, manifestsPushed: 1 });
  });

  it("reports progress per blob, throttled, with bytes so far", async () => {
    const src = new MemoryRegistry("src", { chunkSize: 1000 });
    const dst = new MemoryRegistry();
    const big = blob("big", { size: 50_000 });
    const image = manifest({ layers: [big] });
    seed(src, "app", image);
    const events: CopyEvent[] = [];
    await copyGraph(src.repository("app"), dst.repository("app"), image.descriptor, { preserveDigests: true, progressIntervalMs: 0, onEvent: (e) => events.push(e) });
    const progress = events.filter((e): e is Extract<CopyEvent, { type: "blob-progress" }> => e.type === "blob-progress" && e.descriptor.digest === big.descriptor.digest);
    expect(progress.length).toBeGreaterThan(10);
    expect(progress.map((p) => p.bytes)).toEqual([...progress.map((p) => p.bytes)].sort((a, b) => a - b));
    expect(progress.at(-1)).toMatchObject({ bytes: 50_000, total: 50_000 });
    expect(events.find((e) => e.type === "blob-done" && e.descriptor.digest === big.descriptor.digest)).toMatchObject({ how: "uploaded", bytes: 50_000 });

    const throttled: CopyEvent[] = [];
    const dst2 = new MemoryRegistry();
    await copyGraph(src.repository("app"), dst2.repository("app"), image.descriptor, { preserveDigests: true, progressIntervalMs: 60_000, onEvent: (e) => throttled.push(e) });
    // the first chunk and the last byte only
    expect(throttled.filter((e) => e.type === "blob-progress" && e.descriptor.digest === big.descriptor.digest).length).toBeLessThanOrEqual(2);
  });

  it("a corrupt source blob fails the copy on the source side and its manifest is never pushed", async () => {
    const src = new MemoryRegistry();
    const dst = new MemoryRegistry();
    const good = blob("good", { size: 4000 });
    const bad = blob("bad", { size: 4000 });
    const image = manifest({ layers: [good, bad] });
    seed(src, "app", image, "v1");
    src.tamper(bad.descriptor.digest, bytesFor("not-bad", 4000));

    const error = await copyReference(src.repository("app"), dst.repository("app"), "v1", "v1", { preserveDigests: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CopyError);
    const copyError = error as CopyError;
    expect(copyError.side).toBe("source");
    expect(copyError.descriptor?.digest).toBe(bad.descriptor.digest);
    expect(copyError.cause).toBeInstanceOf(ContentVerificationError);
    expect(dst.writes("push-manifest")).toEqual([]);
    expect(dst.writes("tag")).toEqual([]);
    expect(dst.state("app").blobs.has(bad.descriptor.digest)).toBe(false);
  });

  it("a corrupt source manifest fails before anything under it is written", async () => {
    const src = new MemoryRegistry();
    const dst = new MemoryRegistry();
    const image = manifest({ layers: [blob("l")] });
    seed(src, "app", image, "v1");
    src.tamper(image.descriptor.digest, Buffer.from(image.bytes.toString().replace("schemaVersion", "schemaVersiom")));
    const error = (await copyReference(src.repository("app"), dst.repository("app"), "v1", "v1", { preserveDigests: true }).catch((e: unknown) => e)) as CopyError;
    expect(error).toBeInstanceOf(CopyError);
    expect(error).toMatchObject({ side: "source", operation: "fetch" });
    expect(dst.writes()).toEqual([]);
  });

  it("a target failure is reported as the target's, naming the descriptor", async () => {
    const src = new MemoryRegistry();
    const layer = blob("l");
    const image = manifest({ layers: [layer] });
    seed(src, "app", image);
    const dst = new MemoryRegistry("dst", {
      onPushStart: (_repo, d) => {
        if (d.digest === layer.descriptor.digest) throw new Error("DENIED: quota exceeded");
      },
    });
    const error = (await copyGraph(src.repository("app"), dst.repository("app"), image.descriptor, { preserveDigests: true }).catch((e: unknown) => e)) as CopyError;
    expect(error).toBeInstanceOf(CopyError);
    expect(error).toMatchObject({ side: "target", operation: "push", location: "dst/app", code: "COPY_FAILED" });
    expect(error.descriptor?.digest).toBe(layer.descriptor.digest);
    expect(error.message).toContain("quota exceeded");
    expect(dst.writes("push-manifest")).toEqual([]);
  });

  it("aborting stops in-flight transfers and nothing is tagged", async () => {
    const src = new MemoryRegistry();
    const { index } = multiArch("app", [AMD64, ARM64]);
    seed(src, "app", index, "v1");
    const controller = new AbortController();
    let started = 0;
    const dst = new MemoryRegistry("dst", {
      onPushStart: async () => {
        if (++started === 2) controller.abort(new Error("user cancelled"));
        // Still in flight when the abort comes: the push waits for it, not for a time.
        if (!controller.signal.aborted) await new Promise((resolve) => controller.signal.addEventListener("abort", resolve, { once: true }));
      },
    });
    const error = await copyReference(src.repository("app"), dst.repository("app"), "v1", "v1", { preserveDigests: true, signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe("user cancelled");
    expect(dst.writes("tag")).toEqual([]);
    expect(dst.writes("push-manifest").map((r) => r.digest)).not.toContain(index.descriptor.digest);
    expect(dst.activeBlobPushes).toBe(0);
  });

  it("an aborted signal before the start does nothing", async () => {
    const src = new MemoryRegistry();
    const dst = new MemoryRegistry();
    const image = manifest({ layers: [blob("l")] });
    seed(src, "app", image, "v1");
    const controller = new AbortController();
    controller.abort(new Error("too late"));
    await expect(copyReference(src.repository("app"), dst.repository("app"), "v1", "v1", { preserveDigests: true, signal: controller.signal })).rejects.toThrow("too late");
    expect(dst.writes()).toEqual([]);
  });

  it("an unknown reference is COPY_NOT_FOUND on the source", async () => {
    const src = new MemoryRegistry();
    const dst = new MemoryRegistry();
    const error = await copyReference(src.repository("app"), dst.repository("app"), "nope", "nope", { preserveDigests: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CopyError);
    expect(error).toMatchObject({ code: "COPY_NOT_FOUND", side: "source", reference: "nope" });
  });

  it("copies image manifests of both flavours with several tags, and artifacts with a subject (not as a child)", async () => {
    const src = new MemoryRegistry();
    const dst = new MemoryRegistry();
    const docker = manifest({ format: "docker", layers: [blob("d1", { mediaType: MediaType.DockerLayerGzip })] });
    seed(src, "app", docker, "d");
    const result = await copyReference(src.repository("app"), dst.repository("app"), "d", ["d", "latest"], { preserveDigests: true });
    expect(result.tags.map((t) => t.tag)).toEqual(["d", "latest"]);
    expect(dst.state("app").tags.get("latest")?.mediaType).toBe(MediaType.DockerManifest);

    // an artifact (signature-like) whose subject is the image: subject must not be fetched as a child
    const sigLayer = blob("sig", { size: 100, mediaType: "application/vnd.dev.cosign.simplesigning.v1+json" });
    const config = blob("empty", { size: 2, mediaType: MediaType.OciEmpty });
    const artifactDoc = { schemaVersion: 2, mediaType: MediaType.OciManifest, artifactType: "application/vnd.dev.cosign.artifact.sig.v1+json", config: config.descriptor, layers: [sigLayer.descriptor], subject: { ...docker.descriptor, digest: "sha256:" + "0".repeat(64) } };
    const bytes = Buffer.from(JSON.stringify(artifactDoc));
    const { createHash } = await import("node:crypto");
    const artifact = { descriptor: { mediaType: MediaType.OciManifest, digest: `sha256:${createHash("sha256").update(bytes).digest("hex")}` as never, size: bytes.length }, bytes, kind: "manifest" as const, parts: [config, sigLayer] };
    seed(src, "app", artifact);
    const out = await copyGraph(src.repository("app"), dst.repository("app"), artifact.descriptor, { preserveDigests: true });
    expect(out.stats).toMatchObject({ manifestsPushed: 1, blobsUploaded: 2 });
  });

  it("copies a bare blob root", async () => {
    const src = new MemoryRegistry();
    const dst = new MemoryRegistry();
    const b = blob("lonely");
    seed(src, "app", b);
    const result = await copyGraph(src.repository("app"), dst.repository("app"), b.descriptor, { preserveDigests: true });
    expect(result.stats.blobsUploaded).toBe(1);
  });

  it("a listener that throws does not break the copy", async () => {
    const src = new MemoryRegistry();
    const dst = new MemoryRegistry();
    const image = manifest({ layers: [blob("l")] });
    seed(src, "app", image, "v1");
    await expect(
      copyReference(src.repository("app"), dst.repository("app"), "v1", "v1", {
        preserveDigests: true,
        onEvent: () => {
          throw new Error("view crashed");
        },
      }),
    ).resolves.toMatchObject({ tags: [{ tag: "v1", changed: true }] });
  });
});
