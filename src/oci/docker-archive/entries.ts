/**
 * Byte-range access to the entries of an indexed tar: small JSON entries are
 * read into memory under a size limit, layers are streamed from their range.
 */
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { Readable } from "node:stream";
import { parseDigest, type Digest } from "../../core/digest.js";
import { readTarEntry, type TarFileEntry } from "../layout/tar-index.js";

/** Where a digest's bytes come from: a synthesized manifest in memory, or a tar entry. */
export type ContentSource = { readonly kind: "memory"; readonly bytes: Buffer } | { readonly kind: "entry"; readonly entry: TarFileEntry };

/**
 * The sha256 digest an entry name states (`blobs/sha256/<hex>`, `<hex>.json`,
 * `<hex>.tar`, as Docker 25+, Docker and skopeo name configs and layers), so it
 * can be checked against the config without reading the entry.
 */
export function digestInName(name: string): Digest | undefined {
  const match = /^(?:blobs\/sha256\/([a-f0-9]{64})|([a-f0-9]{64})\.(?:json|tar))$/.exec(name);
  const hex = match?.[1] ?? match?.[2];
  if (hex === undefined) return undefined;
  const parsed = parseDigest(`sha256:${hex}`);
  return parsed.ok ? parsed.digest : undefined;
}

/** Reads one entry into memory, refusing it when larger than `limit`. */
export function readEntry(path: string, entry: TarFileEntry, limit: number, location: string, what: string): Promise<Buffer> {
  return readTarEntry(path, entry, limit, location, what);
}

/** True when the entry's data starts with the gzip magic bytes (1f 8b). */
export async function startsWithGzipMagic(path: string, entry: TarFileEntry): Promise<boolean> {
  if (entry.size < 2) return false;
  const handle = await open(path, "r");
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, entry.offset);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/** A stream of one entry's bytes (unverified). */
export function rangeStream(path: string, entry: TarFileEntry, signal: AbortSignal | undefined): Readable {
  if (entry.size === 0) return Readable.from([]);
  return createReadStream(path, { start: entry.offset, end: entry.offset + entry.size - 1, ...(signal !== undefined ? { signal } : {}) });
}
