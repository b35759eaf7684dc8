/**
 * Small builders of OCI/Docker content graphs for the copy unit tests:
 * blobs, image manifests, indexes (nested, with attestations, with foreign
 * layers), each carrying everything under it so it can be seeded into a
 * {@link MemoryRegistry} repository in one call.
 */
import { createHash } from "node:crypto";
import type { Digest } from "../../../../src/core/digest.js";
import { MediaType } from "../../../../src/core/media-types.js";
import type { Descriptor, Platform } from "../../../../src/core/oci-types.js";
import type { MemoryRegistry } from "./memory-store.js";

/** A piece of content with its descriptor, plus everything it references (recursively). */
export interface Built {
  readonly descriptor: Descriptor;
  readonly bytes: Buffer;
  readonly kind: "blob" | "manifest";
  readonly parts: readonly Built[];
}

function digest(bytes: Buffer): Digest {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}` as Digest;
}

/** Deterministic pseudo-random bytes. */
export function bytesFor(seed: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  let block = Buffer.alloc(0);
  for (let i = 0, n = 0; i < size; i++) {
    if (i % 32 === 0) block = createHash("sha256").update(`${seed}:${n++}`).digest();
    out[i] = block[i % 32] ?? 0;
  }
  return out;
}

/** A blob (layer or config). */
export function blob(seed: string, options: { size?: number; mediaType?: string; urls?: string[] } = {}): Built {
  const bytes = bytesFor(seed, options.size ?? 1024);
  return {
    descriptor: { mediaType: options.mediaType ?? MediaType.OciLayerGzip, digest: digest(bytes), size: bytes.length, ...(options.urls !== undefined ? { urls: options.urls } : {}) },
    bytes,
    kind: "blob",
    parts: [],
  };
}

/** An image manifest over a config and layers. */
export function manifest(options: { format?: "oci" | "docker"; config?: Built; layers: readonly Built[]; annotations?: Record<string, string>; seed?: string }): Built {
  const docker = options.format === "docker";
  const config = options.config ?? blob(`config:${options.seed ?? options.layers.map((l) => l.descriptor.digest).join(",")}`, { size: 200, mediaType: docker ? MediaType.DockerConfig : MediaType.OciConfig });
  const mediaType = docker ? MediaType.DockerManifest : MediaType.OciManifest;
  const doc = {
    schemaVersion: 2,
    mediaType,
    config: config.descriptor,
    layers: options.layers.map((l) => l.descriptor),
    ...(options.annotations !== undefined ? { annotations: options.annotations } : {}),
  };
  const bytes = Buffer.from(JSON.stringify(doc));
  return { descriptor: { mediaType, digest: digest(bytes), size: bytes.length }, bytes, kind: "manifest", parts: [config, ...options.layers] };
}

/** An index (OCI) or manifest list (Docker) over entries with platforms. */
export function index(options: {
  format?: "oci" | "docker";
  entries: ReadonlyArray<{ readonly built: Built; readonly platform?: Platform; readonly annotations?: Record<string, string> }>;
  annotations?: Record<string, string>;
  indent?: boolean;
}): Built {
  const mediaType = options.format === "docker" ? MediaType.DockerManifestList : MediaType.OciIndex;
  const doc = {
    schemaVersion: 2,
    mediaType,
    manifests: options.entries.map((e) => ({
      ...e.built.descriptor,
      ...(e.platform !== undefined ? { platform: e.platform } : {}),
      ...(e.annotations !== undefined ? { annotations: e.annotations } : {}),
    })),
    ...(options.annotations !== undefined ? { annotations: options.annotations } : {}),
  };
  const bytes = Buffer.from(options.indent === true ? JSON.stringify(doc, null, 2) : JSON.stringify(doc));
  return { descriptor: { mediaType, digest: digest(bytes), size: bytes.length }, bytes, kind: "manifest", parts: options.entries.map((e) => e.built) };
}

/** Every piece under (and including) `root`, children before parents, each once. */
export function flatten(root: Built): Built[] {
  const seen = new Set<string>();
  const out: Built[] = [];
  const visit = (b: Built): void => {
    for (const p of b.parts) visit(p);
    if (seen.has(b.descriptor.digest)) return;
    seen.add(b.descriptor.digest);
    out.push(b);
  };
  visit(root);
  return out;
}

/** Puts `root` and everything under it into `repository` of `registry`, and optionally tags it. */
export function seed(registry: MemoryRegistry, repository: string, root: Built, tag?: string): void {
  for (const piece of flatten(root)) registry.seed(repository, piece.descriptor, piece.bytes, piece.kind);
  if (tag !== undefined) registry.state(repository).tags.set(tag, root.descriptor);
}

/** Platforms used by the tests. */
export const AMD64: Platform = { os: "linux", architecture: "amd64" };
export const ARM64: Platform = { os: "linux", architecture: "arm64" };
export const ARM64_V8: Platform = { os: "linux", architecture: "arm64", variant: "v8" };
export const ARM_V7: Platform = { os: "linux", architecture: "arm", variant: "v7" };
export const ARM_V6: Platform = { os: "linux", architecture: "arm", variant: "v6" };
export const UNKNOWN: Platform = { os: "unknown", architecture: "unknown" };

/** A multi-arch image: per platform, a shared base layer plus an own layer; returns the index and its per-platform manifests. */
export function multiArch(name: string, platforms: readonly Platform[], options: { format?: "oci" | "docker"; base?: string; attestations?: boolean } = {}): { index: Built; manifests: Built[] } {
  const format = options.format ?? "oci";
  const layerType = format === "docker" ? MediaType.DockerLayerGzip : MediaType.OciLayerGzip;
  const manifests = platforms.map((p) => {
    const tag = [p.os, p.architecture, p.variant].filter(Boolean).join("-");
    return manifest({ format, seed: `${name}:${tag}`, layers: [blob(`base:${options.base ?? "common"}:${tag}`, { size: 4096, mediaType: layerType }), blob(`${name}:own:${tag}`, { size: 2048, mediaType: layerType })] });
  });
  const entries: Array<{ built: Built; platform?: Platform; annotations?: Record<string, string> }> = manifests.map((m, i) => ({ built: m, platform: platforms[i]! }));
  if (options.attestations === true) {
    manifests.forEach((m, i) => {
      const att = manifest({ format: "oci", seed: `${name}:att:${i}`, layers: [blob(`${name}:att-layer:${i}`, { size: 300, mediaType: "application/vnd.in-toto+json" })] });
      entries.push({ built: att, platform: UNKNOWN, annotations: { "vnd.docker.reference.type": "attestation-manifest", "vnd.docker.reference.digest": m.descriptor.digest } });
    });
  }
  return { index: index({ format, entries, annotations: { "org.opencontainers.image.title": name } }), manifests };
}
