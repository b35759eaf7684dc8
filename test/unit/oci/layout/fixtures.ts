/**
 * Test content for the layout tests: seeded bytes, gzipped tar layers, OCI
 * configs, manifests and indexes, plus a raw tar builder that can produce the
 * hostile archives a real tar tool refuses to write.
 */
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import type { Digest } from "../../../../src/core/digest.js";
import { MediaType } from "../../../../src/core/media-types.js";
import type { Descriptor, Platform } from "../../../../src/core/oci-types.js";

/** A small fast seeded PRNG (xorshift32) filling buffers deterministically. */
export class SeededBytes {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }

  fill(buffer: Buffer): Buffer {
    const words = buffer.byteOffset % 4 === 0 ? Math.floor(buffer.length / 4) : 0;
    const view = new Uint32Array(buffer.buffer, buffer.byteOffset, words);
    let x = this.state;
    for (let i = 0; i < words; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      view[i] = x >>> 0;
    }
    for (let i = words * 4; i < buffer.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      buffer[i] = x & 0xff;
    }
    this.state = x >>> 0;
    return buffer;
  }

  bytes(n: number): Buffer {
    return this.fill(Buffer.alloc(n));
  }
}

/** `size` seeded bytes as a stream of 1 MiB chunks: never all in memory. */
export function seededStream(seed: number, size: number, chunk = 1024 * 1024): Readable {
  const rng = new SeededBytes(seed);
  let left = size;
  return new Readable({
    read() {
      if (left === 0) {
        this.push(null);
        return;
      }
      const n = Math.min(chunk, left);
      left -= n;
      this.push(rng.bytes(n));
    },
  });
}

/** The sha256 digest of a seeded stream, computed by streaming it once. */
export async function seededDigest(seed: number, size: number): Promise<Digest> {
  const hash = createHash("sha256");
  for await (const chunk of seededStream(seed, size)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest("hex")}` as Digest;
}

export function sha256(data: Uint8Array | string): Digest {
  return `sha256:${createHash("sha256").update(data).digest("hex")}` as Digest;
}

/** A raw tar entry for `rawTar`; every field can be set to something hostile. */
export interface RawEntry {
  readonly name: string;
  readonly data?: Uint8Array | string;
  /** typeflag character, default "0" (or "5" for names ending in /). */
  readonly typeflag?: string;
  readonly linkname?: string;
  /** Size written in the header (default: the data length) — lie to make truncated entries. */
  readonly size?: number;
  /** Emit a pax header carrying the name (for long names). */
  readonly pax?: Readonly<Record<string, string>>;
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, "0") + "\0";
}

function headerBlock(name: string, size: number, typeflag: string, linkname = ""): Buffer {
  const block = Buffer.alloc(512);
  block.write(name.slice(0, 100), 0, "utf8");
  block.write(octal(0o644, 8), 100, "latin1");
  block.write(octal(0, 8), 108, "latin1");
  block.write(octal(0, 8), 116, "latin1");
  block.write(octal(size, 12), 124, "latin1");
  block.write(octal(0, 12), 136, "latin1");
  block.write("        ", 148, "latin1");
  block.write(typeflag, 156, "latin1");
  block.write(linkname, 157, "utf8");
  block.write("ustar\0", 257, "latin1");
  block.write("00", 263, "latin1");
  let sum = 0;
  for (const b of block) sum += b;
  block.write(octal(sum, 7) + " ", 148, "latin1");
  return block;
}

function pad(data: Buffer): Buffer {
  const rest = data.length % 512;
  return rest === 0 ? data : Buffer.concat([data, Buffer.alloc(512 - rest)]);
}

/** Builds a tar byte for byte, with no checks at all (for hostile-archive tests). */
export function rawTar(entries: readonly RawEntry[], options: { readonly end?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    if (entry.pax !== undefined) {
      let body = "";
      for (const [key, value] of Object.entries(entry.pax)) {
        const record = ` ${key}=${value}\n`;
        let length = record.length + 1;
        while (String(length).length + record.length !== length) length = String(length).length + record.length;
        body += `${length}${record}`;
      }
      const paxData = Buffer.from(body, "utf8");
      parts.push(headerBlock("PaxHeader", paxData.length, "x"), pad(paxData));
    }
    const data = entry.data === undefined ? Buffer.alloc(0) : Buffer.from(entry.data);
    const typeflag = entry.typeflag ?? (entry.name.endsWith("/") ? "5" : "0");
    parts.push(headerBlock(entry.name, entry.size ?? data.length, typeflag, entry.linkname ?? ""));
    if (data.length > 0) parts.push(pad(data));
  }
  if (options.end !== false) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** A blob with its descriptor. */
export interface Blob {
  readonly descriptor: Descriptor;
  readonly bytes: Buffer;
}

export function blob(mediaType: string, bytes: Buffer, extra: Partial<Descriptor> = {}): Blob {
  return { descriptor: { mediaType, digest: sha256(bytes), size: bytes.length, ...extra }, bytes };
}

/** A generated image: manifest, config and gzipped tar layers. */
export interface TestImage {
  readonly manifest: Blob;
  readonly config: Blob;
  readonly layers: readonly Blob[];
  /** Every blob, manifest last. */
  readonly blobs: readonly Blob[];
}

/** A gzipped tar with one file of seeded random bytes, and the digest of the uncompressed tar (diff id). */
export function makeLayer(seed: number, size: number): { readonly layer: Blob; readonly diffId: Digest } {
  const tar = rawTar([{ name: `file-${seed}.bin`, data: new SeededBytes(seed).bytes(size) }]);
  return { layer: blob(MediaType.OciLayerGzip, gzipSync(tar)), diffId: sha256(tar) };
}

/** An OCI image with `layerCount` layers for `platform`. */
export function makeImage(seed: number, options: { readonly platform?: Platform; readonly layerCount?: number; readonly layerSize?: number } = {}): TestImage {
  const platform = options.platform ?? { os: "linux", architecture: "amd64" };
  const layers: Blob[] = [];
  const diffIds: string[] = [];
  for (let i = 0; i < (options.layerCount ?? 2); i++) {
    const { layer, diffId } = makeLayer(seed * 100 + i, options.layerSize ?? 4096);
    layers.push(layer);
    diffIds.push(diffId);
  }
  const config = blob(
    MediaType.OciConfig,
    Buffer.from(
      JSON.stringify({
        architecture: platform.architecture,
        os: platform.os,
        config: { Cmd: ["/bin/true"], Labels: { seed: String(seed) } },
        rootfs: { type: "layers", diff_ids: diffIds },
        history: diffIds.map(() => ({ created_by: "airgap test" })),
      }),
    ),
  );
  const manifest = blob(
    MediaType.OciManifest,
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        config: config.descriptor,
        layers: layers.map((l) => l.descriptor),
      }),
    ),
    { platform },
  );
  return { manifest, config, layers, blobs: [config, ...layers, manifest] };
}

/** A multi-arch index over images for linux/amd64 and linux/arm64. */
export function makeMultiArch(seed: number): { readonly index: Blob; readonly images: readonly TestImage[]; readonly blobs: readonly Blob[] } {
  const images = [
    makeImage(seed, { platform: { os: "linux", architecture: "amd64" } }),
    makeImage(seed + 1, { platform: { os: "linux", architecture: "arm64", variant: "v8" } }),
  ];
  const index = blob(
    MediaType.OciIndex,
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.OciIndex,
        manifests: images.map((i) => i.manifest.descriptor),
      }),
    ),
  );
  return { index, images, blobs: [...images.flatMap((i) => i.blobs), index] };
}

/** A Readable over a buffer. */
export function streamOf(bytes: Uint8Array): Readable {
  return Readable.from([Buffer.from(bytes)]);
}
