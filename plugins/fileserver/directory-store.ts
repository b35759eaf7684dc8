/**
 * Files in a local directory (an NFS mount, what a web server serves).
 *
 * A file is written to a hidden temp name in its own directory while it is
 * hashed, fsynced, checked, and renamed into place (atomic on POSIX within
 * one filesystem); the old sidecar is removed first and the new one follows
 * the same way, then the directory is fsynced. Reading never creates
 * anything: a missing directory holds no files.
 */
import { createReadStream } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rmdir, stat, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import type { CallOptions, DeleteFileResult, FileContent, FileObservation, ObserveFilesOptions, PutFileOptions, PutFileResult } from "airgap/sdk";
import { BUFFERED_LIMIT, checkedChunks, checkSha256, hashStream, readChecked } from "./content-check.js";
import { FileServerError } from "./errors.js";
import { Limiter } from "./limiter.js";
import { directorySegments, formatSidecar, isBookkeepingName, parseSidecar, pathSegments, SIDECAR_SUFFIX, sidecarPath, tempPath } from "./paths.js";
import type { FileStore } from "./store.js";

function code(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function ioError(action: string, path: string, error: unknown): FileServerError {
  if (error instanceof FileServerError) return error;
  return new FileServerError("FILE_IO", `cannot ${action} ${path}: ${(error as Error).message}`, { cause: error });
}

/** A directory as a FileStore. `root` is absolute. */
export class DirectoryStore implements FileStore {
  readonly display: string;
  private readonly root: string;
  private readonly limiter: Limiter;

  constructor(root: string, concurrency = 4) {
    this.root = root;
    this.display = root;
    this.limiter = new Limiter(concurrency);
  }

  private local(path: string): string {
    return join(this.root, ...pathSegments(path));
  }

  async observe(paths: readonly string[], options: ObserveFilesOptions = {}): Promise<Map<string, FileObservation>> {
    const out = new Map<string, FileObservation>();
    await Promise.all(
      paths.map((path) =>
        this.limiter.run(async () => {
          try {
            out.set(path, await this.observeOne(path, options));
          } catch (error) {
            out.set(path, { state: "unknown", error: ioError("read", this.local(path), error).message });
          }
        }),
      ),
    );
    return out;
  }

  private async observeOne(path: string, options: ObserveFilesOptions): Promise<FileObservation> {
    const file = this.local(path);
    let info;
    try {
      info = await stat(file);
    } catch (error) {
      if (code(error) === "ENOENT" || code(error) === "ENOTDIR") return { state: "absent" };
      throw error;
    }
    if (!info.isFile()) throw new FileServerError("FILE_IO", `${file} is not a regular file`);
    let stated: string | undefined;
    let sidecarTime = 0;
    try {
      const sidecar = `${file}${SIDECAR_SUFFIX}`;
      const [text, sidecarInfo] = await Promise.all([readFile(sidecar, "utf8"), stat(sidecar)]);
      stated = parseSidecar(text, path);
      sidecarTime = sidecarInfo.mtimeMs;
    } catch (error) {
      if (code(error) !== "ENOENT") throw error;
    }
    // A file changed after its sidecar was written no longer matches it.
    if (stated === undefined || info.mtimeMs > sidecarTime) return { state: "unverified", size: info.size };
    if (options.verify === true) {
      const got = await hashStream(createReadStream(file, options.signal !== undefined ? { signal: options.signal } : {}));
      if (got.sha256 !== stated) return { state: "unverified", size: info.size };
    }
    return { state: "present", sha256: stated, size: info.size };
  }

  async put(path: string, content: FileContent, options: PutFileOptions = {}): Promise<PutFileResult> {
    const file = this.local(path);
    const expected = { sha256: checkSha256(content.sha256, path), size: content.size };
    if (!Number.isSafeInteger(expected.size) || expected.size < 0) throw new FileServerError("FILE_DIGEST", `${path}: size ${content.size} is not a byte count`);
    return this.limiter.run(async () => {
      const temp = join(this.root, ...pathSegments(tempPath(path)));
      const what = `the content for ${path}`;
      // Small content is checked whole before the disk is touched; larger content as it is written.
      const small = expected.size <= BUFFERED_LIMIT ? await readChecked({ ...content, ...expected }, what, options.signal) : undefined;
      let sent = 0;
      let created: string | undefined;
      try {
        created = await mkdir(dirname(file), { recursive: true });
      } catch (error) {
        throw ioError("create the directory of", file, error);
      }
      let tempWritten = false;
      try {
        const source = small !== undefined ? Readable.from([small]) : ((await content.open(options.signal !== undefined ? { signal: options.signal } : {})) as Readable);
        const handle = await open(temp, "wx", options.mode ?? 0o644);
        tempWritten = true;
        try {
          for await (const chunk of checkedChunks(source as AsyncIterable<Uint8Array>, expected, what)) {
            options.signal?.throwIfAborted();
            await handle.write(chunk);
            sent += chunk.length;
            options.onProgress?.(sent);
          }
          if (options.mode !== undefined) await handle.chmod(options.mode);
          await handle.sync();
        } finally {
          await handle.close();
          source.destroy();
        }
        await unlinkIfPresent(`${file}${SIDECAR_SUFFIX}`);
        await rename(temp, file);
        tempWritten = false;
        await this.writeSmall(sidecarPath(path), formatSidecar(path, expected.sha256));
        await syncDirectory(dirname(file));
      } catch (error) {
        if (tempWritten) await unlink(temp).catch(() => undefined);
        if (created !== undefined) await removeCreated(dirname(file), created);
        throw ioError("write", file, error);
      }
      return { status: "written", sha256: expected.sha256, size: expected.size, bytesSent: sent };
    });
  }

  /** Writes a small file atomically: temp name, fsync, rename. */
  private async writeSmall(path: string, text: string): Promise<void> {
    const file = this.local(path);
    const temp = join(this.root, ...pathSegments(tempPath(path)));
    try {
      const handle = await open(temp, "wx", 0o644);
      try {
        await handle.writeFile(text);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, file);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
  }

  async delete(path: string, _options: CallOptions = {}): Promise<DeleteFileResult> {
    const file = this.local(path);
    return this.limiter.run(async () => {
      try {
        await unlinkIfPresent(`${file}${SIDECAR_SUFFIX}`);
        return (await unlinkIfPresent(file)) ? { status: "deleted" } : { status: "absent" };
      } catch (error) {
        throw ioError("delete", file, error);
      }
    });
  }

  async list(directory: string, _options: CallOptions = {}): Promise<string[]> {
    const found: string[] = [];
    const walk = async (segments: string[]): Promise<void> => {
      let entries;
      try {
        entries = await readdir(join(this.root, ...segments), { withFileTypes: true });
      } catch (error) {
        if (code(error) === "ENOENT" || code(error) === "ENOTDIR") return;
        throw ioError("list", join(this.root, ...segments), error);
      }
      const names = new Set(entries.filter((e) => e.isFile()).map((e) => e.name));
      for (const name of names) if (!isBookkeepingName(name) && names.has(`${name}${SIDECAR_SUFFIX}`)) found.push([...segments, name].join("/"));
      for (const e of entries) if (e.isDirectory()) await walk([...segments, e.name]);
    };
    await walk(directorySegments(directory));
    return found.sort();
  }

  async read(path: string, limit: number, _options: CallOptions = {}): Promise<Buffer | undefined> {
    const file = this.local(path);
    try {
      const info = await stat(file);
      if (info.size > limit) throw new FileServerError("FILE_UNSUPPORTED", `${file} is larger than ${limit} bytes`);
      return await readFile(file);
    } catch (error) {
      if (code(error) === "ENOENT" || code(error) === "ENOTDIR") return undefined;
      throw ioError("read", file, error);
    }
  }

  async close(): Promise<void> {}
}

/** Removes the directories a failed write created (`created` is the topmost), deepest first, if still empty. */
async function removeCreated(deepest: string, created: string): Promise<void> {
  for (let dir = deepest; dir.length >= created.length; dir = dirname(dir)) {
    try {
      await rmdir(dir);
    } catch {
      return;
    }
    if (dir === created) return;
  }
}

async function unlinkIfPresent(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (error) {
    if (code(error) === "ENOENT") return false;
    throw error;
  }
}

/** fsync a directory so a rename in it survives a crash; not every platform allows it. */
async function syncDirectory(path: string): Promise<void> {
  let handle;
  try {
    handle = await open(path, "r");
    await handle.sync();
  } catch {
    // Some filesystems (and Windows) refuse fsync on a directory; the rename is done either way.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

