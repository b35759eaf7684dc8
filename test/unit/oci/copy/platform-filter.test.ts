import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { MediaType } from "../../../../src/core/media-types.js";
import type { Platform } from "../../../../src/core/oci-types.js";
import { CopyError, copyGraph, copyReference, describePlatform, matchesAnyPlatform, normalizedVariant, platformMatches } from "../../../../src/oci/copy/index.js";
import { AMD64, ARM64, ARM64_V8, ARM_V6, ARM_V7, UNKNOWN, flatten, index, multiArch, seed } from "./fixtures.js";
import { MemoryRegistry } from "./memory-store.js";

const sha256 = (b: Buffer): string => `sha256:${createHash("sha256").update(b).digest("hex")}`;

interface IndexDoc {
  mediaType?: string;
  annotations?: Record<string, string>;
  manifests: Array<{ digest: string; size: number; mediaType: string; platform?: Platform; annotations?: Record<string, string> }>;
}

function pushedIndex(dst: MemoryRegistry, digest: string): IndexDoc {
  const bytes = dst.content.get(digest);
  expect(bytes, `index ${digest} in target`).toBeDefined();
  expect(sha256(bytes!)).toBe(digest);
  return JSON.parse(bytes!.toString("utf8")) as IndexDoc;
}

describe("platform matching", () => {
  it("matches os and architecture exactly, and a variant only when one is asked for", () => {
    expect(platformMatches(AMD64, AMD64)).toBe(true);
    expect(platformMatches(AMD64, ARM64)).toBe(false);
    expect(platformMatches({ os: "windows", architecture: "amd64" }, AMD64)).toBe(false);
    expect(platformMatches(AMD64, undefined)).toBe(false);
    expect(platformMatches(AMD64, UNKNOWN)).toBe(false);
  });

  it("linux/arm64 matches linux/arm64 and linux/arm64/v8; linux/arm64/v8 matches a plain linux/arm64 (v8 is arm64's default)", () => {
    expect(platformMatches(ARM64, ARM64)).toBe(true);
    expect(platformMatches(ARM64, ARM64_V8)).toBe(true);
    expect(platformMatches(ARM64_V8, ARM64)).toBe(true);
    expect(platformMatches(ARM64_V8, { os: "linux", architecture: "arm64", variant: "v9" })).toBe(false);
  });

  it("linux/arm matches every arm variant unless a variant is given", () => {
    expect(platformMatches({ os: "linux", architecture: "arm" }, ARM_V7)).toBe(true);
    expect(platformMatches({ os: "linux", architecture: "arm" }, ARM_V6)).toBe(true);
    expect(platformMatches(ARM_V7, ARM_V6)).toBe(false);
    expect(platformMatches(ARM_V7, ARM_V7)).toBe(true);
    expect(platformMatches(ARM_V7, { os: "linux", architecture: "arm" })).toBe(true); // arm defaults to v7
    expect(normalizedVariant("amd64", "v1")).toBeUndefined();
    expect(matchesAnyPlatform([ARM_V6, AMD64], ARM_V7)).toBe(false);
    expect(describePlatform(undefined)).toBe("(no platform)");
    expect(describePlatform(ARM_V7)).toBe("linux/arm/v7");
  });
});

describe("platform filtering of indexes", () => {
  it("rewrites a Docker manifest list to the matching entries: still a Docker list, new digest, order and annotations kept", async () => {
    const { index: list, manifests } = multiArch("legacy", [AMD64, ARM64, ARM_V7], { format: "docker" });
    const src = new MemoryRegistry("src");
    seed(src, "legacy", list, "v1");
    const dst = new MemoryRegistry("dst");
    const result = await copyReference(src.repository("legacy"), dst.repository("legacy"), "v1", "v1", { preserveDigests: false, platforms: [ARM_V7, AMD64] });

    expect(result.rewritten).toBe(true);
    expect(result.source.digest).toBe(list.descriptor.digest);
    expect(result.root.digest).not.toBe(list.descriptor.digest);
    expect(result.root.mediaType).toBe(MediaType.DockerManifestList);
    const doc = pushedIndex(dst, result.root.digest);
    expect(result.root.size).toBe(dst.content.get(result.root.digest)!.length);
    expect(doc.mediaType).toBe(MediaType.DockerManifestList);
    expect(doc.annotations).toEqual({ "org.opencontainers.image.title": "legacy" });
    // source order (amd64 before arm/v7), not the order of the request
    expect(doc.manifests.map((m) => m.digest)).toEqual([manifests[0]!.descriptor.digest, manifests[2]!.descriptor.digest]);
    expect(doc.manifests[1]).toEqual({ ...manifests[2]!.descriptor, platform: ARM_V7 });
    // the tag points at the rewritten index; arm64 content was not copied
    expect(dst.state("legacy").tags.get("v1")?.digest).toBe(result.root.digest);
    expect(dst.state("legacy").manifests.has(manifests[1]!.descriptor.digest)).toBe(false);
    expect(dst.state("legacy").blobs.has(manifests[1]!.parts[2]!.descriptor.digest)).toBe(false); // arm64's own layer
  });

  it("is deterministic and converges: the same filter gives the same digest, and a rerun pushes nothing", async () => {
    const { index: idx } = multiArch("app", [AMD64, ARM64, ARM_V7]);
    const src = new MemoryRegistry("src");
    seed(src, "app", idx, "v1");
    const dst = new MemoryRegistry("dst");
    const first = await copyReference(src.repository("app"), dst.repository("app"), "v1", "v1", { preserveDigests: false, platforms: [AMD64] });
    const target = dst.repository("app");
    const second = await copyReference(src.repository("app"), target, "v1", "v1", { preserveDigests: false, platforms: [AMD64] });
    expect(second.root.digest).toBe(first.root.digest);
    expect(target.counts.push).toBe(0);
    expect(second.tags).toEqual([{ tag: "v1", changed: false }]);
  });

  it("keeps the original bytes and digest when every entry matches", async () => {
    const { index: idx } = multiArch("app", [AMD64, ARM64]);
    const src = new MemoryRegistry("src");
    seed(src, "app", idx, "v1");
    const dst = new MemoryRegistry("dst");
    const result = await copyReference(src.repository("app"), dst.repository("app"), "v1", "v1", { preserveDigests: false, platforms: [AMD64, ARM64] });
    expect(result.rewritten).toBe(false);
    expect(result.root).toEqual(idx.descriptor);
  });

  it("drops unknown/unknown attestation manifests (and entries without a platform) when filtering", async () => {
    const { index: idx, manifests } = multiArch("built", [AMD64, ARM64], { attestations: true });
    const src = new MemoryRegistry("src");
    seed(src, "built", idx, "v1");
    const dst = new MemoryRegistry("dst");
    const result = await copyReference(src.repository("built"), dst.repository("built"), "v1", "v1", { preserveDigests: false, platforms: [ARM64] });
    const doc = pushedIndex(dst, result.root.digest);
    expect(doc.manifests.map((m) => m.digest)).toEqual([manifests[1]!.descriptor.digest]);
    expect(doc.manifests.every((m) => m.platform?.os !== "unknown")).toBe(true);
  });

  it("with preserveDigests the index is copied whole, attestations included, whatever the platforms say", async () => {
    const { index: idx } = multiArch("built", [AMD64, ARM64], { attestations: true });
    const src = new MemoryRegistry("src");
    seed(src, "built", idx, "v1");
    const dst = new MemoryRegistry("dst");
    const result = await copyReference(src.repository("built"), dst.repository("built"), "v1", "v1", { preserveDigests: true, platforms: [ARM64] });
    expect(result.root).toEqual(idx.descriptor);
    expect(result.stats.manifestsPushed).toBe(5); // index + 2 images + 2 attestation manifests (copied as manifests)
    for (const piece of flatten(idx)) expect(dst.content.has(piece.descriptor.digest), piece.descriptor.mediaType).toBe(true);
  });

  it("fails clearly, naming what the index has, when no platform matches; nothing is written", async () => {
    const { index: idx } = multiArch("app", [AMD64, ARM64], { attestations: true });
    const src = new MemoryRegistry("src");
    seed(src, "app", idx, "v1");
    const dst = new MemoryRegistry("dst");
    const error = (await copyReference(src.repository("app"), dst.repository("app"), "v1", "v1", { preserveDigests: false, platforms: [{ os: "linux", architecture: "s390x" }] }).catch((e: unknown) => e)) as CopyError;
    expect(error).toBeInstanceOf(CopyError);
    expect(error.code).toBe("COPY_NO_MATCHING_PLATFORM");
    expect(error.message).toContain("linux/s390x");
    expect(error.message).toContain("linux/amd64, linux/arm64, unknown/unknown");
    expect(dst.writes()).toEqual([]);
  });

  it("filters nested indexes, rewriting the inner ones and the outer entry's digest and size", async () => {
    const a = multiArch("inner-a", [AMD64, ARM64]);
    const b = multiArch("inner-b", [ARM_V7]);
    const outer = index({ entries: [{ built: a.index, annotations: { role: "a" } }, { built: b.index }], indent: true });
    const src = new MemoryRegistry("src");
    seed(src, "nest", outer, "v1");
    const dst = new MemoryRegistry("dst");
    const result = await copyReference(src.repository("nest"), dst.repository("nest"), "v1", "v1", { preserveDigests: false, platforms: [AMD64] });
    const doc = pushedIndex(dst, result.root.digest);
    expect(doc.manifests).toHaveLength(1); // inner-b had no amd64: dropped
    const innerEntry = doc.manifests[0]!;
    expect(innerEntry.annotations).toEqual({ role: "a" });
    expect(innerEntry.digest).not.toBe(a.index.descriptor.digest);
    const inner = pushedIndex(dst, innerEntry.digest);
    expect(innerEntry.size).toBe(dst.content.get(innerEntry.digest)!.length);
    expect(inner.manifests.map((m) => m.digest)).toEqual([a.manifests[0]!.descriptor.digest]);
  });

  it("a single-image root is copied as it is (no index to filter)", async () => {
    const { manifests } = multiArch("one", [ARM64]);
    const src = new MemoryRegistry("src");
    seed(src, "one", manifests[0]!, "v1");
    const dst = new MemoryRegistry("dst");
    const result = await copyGraph(src.repository("one"), dst.repository("one"), manifests[0]!.descriptor, { preserveDigests: false, platforms: [AMD64] });
    expect(result.root).toEqual(manifests[0]!.descriptor);
  });
});
