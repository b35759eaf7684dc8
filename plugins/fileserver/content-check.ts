/**
 * Checking content against the sha256 and size a plan promised, while it
 * streams. The last chunk is held back until the whole content has been
 * hashed: a receiver that needs exactly `size` bytes never gets a complete
 * body when the content is wrong, so a server never stores it.
 */
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import type { FileContent } from "airgap/sdk";
import { FileServerError } from "./errors.js";

/** Content up to this size is read into memory and checked before any request is made. */
export const BUFFERED_LIMIT = 1024 * 1024;

/** The error for content that is not what the plan promised. */
export function digestMismatch(what: string, expected: { sha256: string; size: number }, got: { sha256?: string; size: number }): FileServerError {
  const detail = got.size !== expected.size ? `${got.size} bytes, expected ${expected.size}` : `sha256 ${got.sha256 ?? "?"}, expected ${expected.sha256}`;
  return new FileServerError("FILE_DIGEST", `${what} has ${detail}; nothing was written`);
}

/**
 * Yields the content's chunks, holding the last one back until the bytes are
 * hashed and counted; throws (instead of yielding it) when they disagree
 * with `expected`. `what` names the content in errors.
 */
export async function* checkedChunks(source: AsyncIterable<Uint8Array>, expected: { sha256: string; size: number }, what: string, onBytes?: (bytes: number) => void): AsyncGenerator<Uint8Array> {
  const hash = createHash("sha256");
  let size = 0;
  let pending: Uint8Array | undefined;
  for await (const chunk of source) {
    size += chunk.length;
    if (size > expected.size) throw digestMismatch(what, expected, { size });
    hash.update(chunk);
    if (pending !== undefined) {
      onBytes?.(pending.length);
      yield pending;
    }
    pending = chunk;
  }
  const sha256 = hash.digest("hex");
  if (size !== expected.size || sha256 !== expected.sha256) throw digestMismatch(what, expected, { sha256, size });
  if (pending !== undefined) {
    onBytes?.(pending.length);
    yield pending;
  }
}

/** Reads small content whole and checks it: the bytes, or a FILE_DIGEST error before anything is sent. */
export async function readChecked(content: FileContent, what: string, signal: AbortSignal | undefined): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  const stream = await content.open(signal !== undefined ? { signal } : {});
  try {
    for await (const chunk of checkedChunks(stream as AsyncIterable<Uint8Array>, content, what)) parts.push(chunk);
  } finally {
    stream.destroy();
  }
  return Buffer.concat(parts);
}

/** Hashes a stream to its end: sha256 (hex) and size. */
export async function hashStream(stream: AsyncIterable<Uint8Array> | Readable): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest("hex"), size };
}

/** A lower-case 64-digit hex sha256, or a FILE_DIGEST error naming `what`. */
export function checkSha256(sha256: string, what: string): string {
  const normal = sha256.replace(/^sha256:/, "").toLowerCase();
  if (!/^[a-f0-9]{64}$/.test(normal)) throw new FileServerError("FILE_DIGEST", `${what}: "${sha256}" is not a sha256 (64 hex digits)`);
  return normal;
}
