import { describe, expect, it } from "vitest";
import type { Descriptor } from "../../../../src/core/oci-types.js";
import { CopyCoordinator, copyGraph, copyReference, type CopyEvent } from "../../../../src/oci/copy/index.js";
import { AMD64, ARM64, ARM_V7, blob, flatten, index as buildIndex, manifest, multiArch, seed, type Built } from "./fixtures.js";
import { MemoryRegistry } from "./memory-store.js";

function countBy<T>(items: readonly T[], key: (t: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

function blobsOf(root: Built): string[] {
  return flatten(root)
    .filter((p) => p.kind === "blob")
    .map((p) => p.descriptor.digest);
}

/** Two multi-arch images sharing their per-platform base layers. */
function twoImages(): { a: Built; b: Built; shared: string[] } {
  const a = multiArch("a", [AMD64, ARM64, ARM_V7]).index;
  const b = multiArch("b", [AMD64, ARM64, ARM_V7]).index;
  const inA = new Set(blobsOf(a));
  const shared = blobsOf(b).filter((d) => inA.has(d));
  return { a, b, shared };
}

describe("run-wide dedupe through a CopyCoordinator", () => {
  it("two images sharing layers, copied concurrently into one repository: each shared blob is pushed once", async () => {
    const { a, b, shared } = twoImages();
    expect(shared).toHaveLength(3);
    const src = new MemoryRegistry("src");
    seed(src, "a", a, "1");
    seed(src, "b", b, "1");
    const dst = new MemoryRegistry("dst", { blobPushDelayMs: 5 });
    const coordinator = new CopyCoordinator({ concurrency: 4 });
    await Promise.all([
      copyReference(src.repository("a"), dst.repository("mirror"), "1", "a", { preserveDigests: true, coordinator }),
      copyReference(src.repository("b"), dst.repository("mirror"), "1", "b", { preserveDigests: true, coordinator }),
    ]);
    const pushes = countBy(dst.writes("push-blob"), (r) => r.digest);
    for (const digest of new Set([...blobsOf(a), ...blobsOf(b)])) expect(pushes.get(digest), digest).toBe(1);
    expect(dst.writes("mount")).toEqual([]);
    expect(coordinator.claimsInFlight).toBe(0);
  });

  it("into different repositories of one target: shared blobs are uploaded once and mounted into the other repository", async () => {
    const { a, b, shared } = twoImages();
    const src = new MemoryRegistry("src");
    seed(src, "a", a, "1");
    seed(src, "b", b, "1");
    const dst = new MemoryRegistry("dst", { blobPushDelayMs: 5 });
    const coordinator = new CopyCoordinator({ concurrency: 4 });
    const events: CopyEvent[] = [];
    await Promise.all([
      copyReference(src.repository("a"), dst.repository("mirror/a"), "1", "1", { preserveDigests: true, coordinator, onEvent: (e) => events.push(e) }),
      copyReference(src.repository("b"), dst.repository("mirror/b"), "1", "1", { preserveDigests: true, coordinator, onEvent: (e) => events.push(e) }),
    ]);
    const pushes = countBy(dst.writes("push-blob"), (r) => r.digest);
    const mounts = dst.writes("mount");
    for (const digest of shared) {
      expect(pushes.get(digest), `${digest} uploaded once`).toBe(1);
      expect(mounts.filter((m) => m.digest === digest), `${digest} mounted once`).toHaveLength(1);
    }
    expect(mounts).toHaveLength(shared.length);
    const mountedEvents = events.filter((e) => e.type === "blob-done" && e.how === "mounted");
    expect(mountedEvents).toHaveLength(shared.length);
    expect(mountedEvents.every((e) => e.type === "blob-done" && (e.from === "mirror/a" || e.from === "mirror/b"))).toBe(true);
    // both repositories are complete and tagged
    expect(dst.state("mirror/a").tags.get("1")?.digest).toBe(a.descriptor.digest);
    expect(dst.state("mirror/b").tags.get("1")?.digest).toBe(b.descriptor.digest);
  });

  it("the same image to two targets moves the bytes once per target", async () => {
    const { a } = twoImages();
    const src = new MemoryRegistry("src");
    seed(src, "a", a, "1");
    const one = new MemoryRegistry("one", { blobPushDelayMs: 2 });
    const two = new MemoryRegistry("two", { blobPushDelayMs: 2 });
    const coordinator = new CopyCoordinator();
    await Promise.all([
      copyReference(src.repository("a"), one.repository("x"), "1", "1", { preserveDigests: true, coordinator }),
      copyReference(src.repository("a"), two.repository("x"), "1", "1", { preserveDigests: true, coordinator }),
      copyReference(src.repository("a"), one.repository("x"), "1", "1", { preserveDigests: true, coordinator }),
    ]);
    for (const target of [one, two]) {
      const pushes = countBy(target.writes("push-blob"), (r) => r.digest);
      expect([...pushes.values()].every((n) => n === 1)).toBe(true);
      expect(pushes.size).toBe(blobsOf(a).length);
      expect(countBy(target.writes("push-manifest"), (r) => r.digest).get(a.descriptor.digest)).toBe(1);
    }
  });

  it("bounds concurrent blob transfers by the coordinator's slots across all copies", async () => {
    const src = new MemoryRegistry("src");
    const images = [0, 1, 2, 3].map((i) => multiArch(`img${i}`, [AMD64, ARM64], { base: `b${i}` }).index);
    images.forEach((img, i) => seed(src, `r${i}`, img, "1"));
    const dst = new MemoryRegistry("dst", { blobPushDelayMs: 10 });
    const coordinator = new CopyCoordinator({ concurrency: 3 });
    await Promise.all(images.map((_, i) => copyReference(src.repository(`r${i}`), dst.repository(`r${i}`), "1", "1", { preserveDigests: true, coordinator })));
    expect(dst.maxActiveBlobPushes).toBe(3);
    expect(coordinator.limiter.active).toBe(0);
  });

  it("does not deadlock with one slot and nested indexes: parents hold no slot while their children copy", async () => {
    const src = new MemoryRegistry("src");
    const inner = [0, 1, 2].map((i) => multiArch(`n${i}`, [AMD64, ARM64]).index);
    const outer = buildIndex({ entries: inner.map((built) => ({ built })) });
    seed(src, "app", outer, "1");
    const dst = new MemoryRegistry("dst");
    const coordinator = new CopyCoordinator({ concurrency: 1 });
    const copies = [0, 1, 2].map(() => copyReference(src.repository("app"), dst.repository("app"), "1", "1", { preserveDigests: true, coordinator }));
    // A deadlock never settles: the test's own timeout reports it.
    await Promise.all(copies);
    expect(dst.state("app").tags.get("1")?.digest).toBe(outer.descriptor.digest);
  });

  it("when the first copy of a blob fails, a waiting copy moves it itself", async () => {
    const shared = blob("shared", { size: 3000 });
    const imgA = manifest({ layers: [shared], seed: "A" });
    const imgB = manifest({ layers: [shared], seed: "B" });
    const src = new MemoryRegistry("src");
    seed(src, "a", imgA, "1");
    seed(src, "b", imgB, "1");
    const dst = new MemoryRegistry("dst", {
      blobPushDelayMs: 5,
      onPushStart: (repository, d) => {
        if (repository === "a" && d.digest === shared.descriptor.digest) throw new Error("injected failure in a");
      },
    });
    const coordinator = new CopyCoordinator();
    const [ra, rb] = await Promise.allSettled([
      copyReference(src.repository("a"), dst.repository("a"), "1", "1", { preserveDigests: true, coordinator }),
      copyReference(src.repository("b"), dst.repository("b"), "1", "1", { preserveDigests: true, coordinator }),
    ]);
    expect(ra.status).toBe("rejected");
    expect(rb.status).toBe("fulfilled");
    expect(dst.state("b").blobs.has(shared.descriptor.digest)).toBe(true);
  });
});

describe("cross-repository mounts", () => {
  function setup(mode: "supported" | "declined" | "absent" = "supported"): { src: MemoryRegistry; dst: MemoryRegistry; image: Built; layer: Built } {
    const layer = blob("big-layer", { size: 20_000 });
    const image = manifest({ layers: [layer, blob("small")] });
    const src = new MemoryRegistry("src");
    seed(src, "app", image, "1");
    const dst = new MemoryRegistry("dst", { mount: mode });
    seed(dst, "other/app", layer); // another repository of the target already has the big layer
    return { src, dst, image, layer };
  }

  it("prefers a mount over an upload when a candidate repository has the blob", async () => {
    const { src, dst, image, layer } = setup();
    const asked: Descriptor[] = [];
    const result = await copyGraph(src.repository("app"), dst.repository("mirror/app"), image.descriptor, {
      preserveDigests: true,
      mountCandidates: (d) => {
        asked.push(d);
        return d.digest === layer.descriptor.digest ? ["mirror/app", "other/app"] : [];
      },
    });
    expect(dst.writes("mount")).toEqual([expect.objectContaining({ repository: "mirror/app", digest: layer.descriptor.digest })]);
    expect(dst.writes("push-blob").map((r) => r.digest)).not.toContain(layer.descriptor.digest);
    expect(result.stats).toMatchObject({ blobsMounted: 1, blobsUploaded: 2 });
    expect(asked.length).toBeGreaterThan(0);
  });

  it("uses repositories the coordinator was told about (observation) as mount sources", async () => {
    const { src, dst, image, layer } = setup();
    const coordinator = new CopyCoordinator();
    coordinator.recordPresent("blob", "dst", "other/app", layer.descriptor.digest);
    const result = await copyGraph(src.repository("app"), dst.repository("mirror/app"), image.descriptor, { preserveDigests: true, coordinator });
    expect(result.stats.blobsMounted).toBe(1);
  });

  it("falls back to an upload when the target declines the mount or cannot mount", async () => {
    for (const mode of ["declined", "absent"] as const) {
      const { src, dst, image, layer } = setup(mode);
      const result = await copyGraph(src.repository("app"), dst.repository("mirror/app"), image.descriptor, { preserveDigests: true, mountCandidates: () => ["other/app"] });
      expect(result.stats.blobsMounted, mode).toBe(0);
      expect(dst.writes("push-blob").map((r) => r.digest), mode).toContain(layer.descriptor.digest);
    }
  });

  it("falls back to an upload when a mount throws, or claims success but the blob is not there", async () => {
    const { src, dst, image, layer } = setup();
    const target = dst.repository("mirror/app");
    const throwing = Object.assign(Object.create(target) as typeof target, { mount: async () => Promise.reject(new Error("401 on mount")) });
    await copyGraph(src.repository("app"), throwing, image.descriptor, { preserveDigests: true, mountCandidates: () => ["other/app"] });
    expect(dst.writes("push-blob").map((r) => r.digest)).toContain(layer.descriptor.digest);

    const second = setup();
    const lying = Object.assign(Object.create(second.dst.repository("mirror/app")) as typeof target, { mount: async () => true });
    const result = await copyGraph(second.src.repository("app"), lying, second.image.descriptor, { preserveDigests: true, mountCandidates: () => ["other/app"] });
    expect(result.stats.blobsMounted).toBe(0);
    expect(second.dst.writes("push-blob").map((r) => r.digest)).toContain(second.layer.descriptor.digest);
  });

  it("a failing candidate lookup is not fatal", async () => {
    const { src, dst, image } = setup();
    const result = await copyGraph(src.repository("app"), dst.repository("mirror/app"), image.descriptor, {
      preserveDigests: true,
      mountCandidates: () => {
        throw new Error("index unavailable");
      },
    });
    expect(result.stats.blobsUploaded).toBe(3);
  });
});
