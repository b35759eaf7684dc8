/**
 * Writing files so that a reader (or a rerun after a crash) never sees a
 * partial one under its final name: write a temp file in the same directory,
 * fsync it, rename it into place, fsync the directory.
 */
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";

/** Prefix of temp files, so that stale ones left by a killed process are recognisable. */
export const TEMP_PREFIX = ".tmp-";

/** A fresh temp path in `directory` (same file system as the target, so rename is atomic). */
export function tempPathIn(directory: string, hint = ""): string {
  return join(directory, `${TEMP_PREFIX}${hint}${hint ? "-" : ""}${randomBytes(8).toString("hex")}`);
}

/** fsyncs a directory so that a rename in it survives a power cut. Best effort: some file systems refuse it. */
export async function fsyncDirectory(directory: string): Promise<void> {
  let handle;
  try {
    handle = await open(directory, "r");
    await handle.sync();
  } catch {
    // EISDIR/EINVAL/EPERM on file systems without directory fsync; the rename itself is still atomic.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** Writes `data` to `path` atomically. */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const directory = dirname(path);
  const temp = tempPathIn(directory, basename(path));
  const handle = await open(temp, "wx", 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await fsyncDirectory(directory);
}

/**
 * Streams `source` through `transforms` into a temp file at `temp`, fsyncs
 * it and renames it to `path`. On any failure (a transform refusing the
 * content, an abort, a disk error) the temp file is removed and nothing
 * appears at `path`.
 */
export async function streamToFileAtomic(
  source: Readable,
  transforms: readonly Transform[],
  temp: string,
  path: string,
  options: { readonly signal?: AbortSignal } = {},
): Promise<void> {
  try {
    // flush: the write stream fsyncs before it closes, and pipeline resolves only after the close.
    const sink = createWriteStream(temp, { flags: "wx", mode: 0o644, flush: true });
    await pipeline([source, ...transforms, sink], options.signal !== undefined ? { signal: options.signal } : {});
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await fsyncDirectory(dirname(path));
}
