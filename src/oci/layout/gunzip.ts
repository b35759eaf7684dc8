/**
 * Expanding a gzip-compressed layout tar to a temp file.
 *
 * Decision: a `.tar.gz` is decompressed ONCE to a temp file and then read
 * exactly like a plain tar (header index + byte-range reads). gzip has no
 * random access: serving each blob by decompressing from the start would cost
 * O(archive) per blob, O(n²) for a bundle; decompressing into memory would grow
 * with the archive. The price is temp disk space equal to the uncompressed
 * size, which the caller can place with `tempDir` and bound with
 * `maxExpandedSize` (a gzip bomb is then refused instead of filling the disk).
 */
import { createReadStream } from "node:fs";
import { mkdtemp, open, rm } from "node:fs/promises";
import { join } from "node:path";
import { Transform, type TransformCallback } from "node:stream";
import { createGunzip } from "node:zlib";
import { streamToFileAtomic } from "../../fs/atomic-file.js";
import { LayoutError } from "./errors.js";

/** True when the file starts with the gzip magic bytes (1f 8b), whatever its name. */
export async function isGzipFile(path: string): Promise<boolean> {
  const handle = await open(path, "r");
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/** Counts bytes and fails once more than `limit` have passed. */
class ByteLimit extends Transform {
  private total = 0;
  private readonly limit: number;
  private readonly onExceeded: () => Error;

  constructor(limit: number, onExceeded: () => Error) {
    super();
    this.limit = limit;
    this.onExceeded = onExceeded;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.total += chunk.length;
    if (this.total > this.limit) {
      callback(this.onExceeded());
      return;
    }
    callback(null, chunk);
  }
}

/** A decompressed copy of an archive and how to remove it. */
export interface ExpandedArchive {
  readonly path: string;
  remove(): Promise<void>;
}

/** Decompresses `source` into a new temp directory under `tempDir`. */
export async function gunzipToTemp(
  source: string,
  location: string,
  options: { readonly tempDir: string; readonly maxExpandedSize?: number; readonly signal?: AbortSignal },
): Promise<ExpandedArchive> {
  const directory = await mkdtemp(join(options.tempDir, "airgap-layout-"));
  const remove = async (): Promise<void> => {
    await rm(directory, { recursive: true, force: true });
  };
  const path = join(directory, "layout.tar");
  const transforms: Transform[] = [createGunzip()];
  const limit = options.maxExpandedSize;
  if (limit !== undefined) {
    transforms.push(new ByteLimit(limit, () => new LayoutError("TOO_LARGE", location, `archive expands to more than ${limit} bytes (maxExpandedSize)`)));
  }
  try {
    await streamToFileAtomic(createReadStream(source), transforms, join(directory, ".tmp-layout.tar"), path, options.signal !== undefined ? { signal: options.signal } : {});
  } catch (error) {
    await remove();
    if (error instanceof LayoutError) throw error;
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" && code.startsWith("Z_")) {
      const truncated = code === "Z_BUF_ERROR";
      throw new LayoutError(truncated ? "TRUNCATED" : "CORRUPT_ARCHIVE", location, `gzip stream is ${truncated ? "truncated" : "damaged"}: ${(error as Error).message}`, { cause: error });
    }
    throw error;
  }
  return { path, remove };
}
