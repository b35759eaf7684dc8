/**
 * Files on an HTTP server that takes PUT, MKCOL, MOVE and DELETE (WebDAV:
 * nginx's dav module, Apache mod_dav, caddy-webdav).
 *
 * A file is PUT to a hidden temp name in its directory (parent collections
 * made with MKCOL when the server says they are missing), read back and
 * hashed, and MOVEd into place with `Overwrite: T`; the `<file>.sha256`
 * sidecar follows. The old sidecar is removed before the move, so a run
 * killed in between leaves a file without a checksum (observed as
 * `unverified`, rewritten next time), never a checksum that lies. A server
 * without MOVE (405/501) gets the file PUT at its final name instead.
 * Observation reads only the sidecar: one small GET per file.
 */
import type { Readable } from "node:stream";
import type { CallOptions, DeleteFileResult, FileContent, FileObservation, ObserveFilesOptions, PutFileOptions, PutFileResult } from "airgap/sdk";
import { BUFFERED_LIMIT, checkedChunks, checkSha256, hashStream, readChecked } from "./content-check.js";
import { FileServerError } from "./errors.js";
import { DavHttpClient, type DavResponse, type HttpClientOptions, type HttpTargetSettings, type RequestBody } from "./http-client.js";
import { Limiter } from "./limiter.js";
import { directorySegments, formatSidecar, isBookkeepingName, parseSidecar, pathSegments, SIDECAR_SUFFIX, sidecarPath, tempPath } from "./paths.js";
import type { FileStore } from "./store.js";

const ABSENT = new Set([404, 410]);
/** A sidecar is one line; anything longer is not one. */
const SIDECAR_LIMIT = 4096;

function signalOf(options: CallOptions | undefined): AbortSignal | undefined {
  return options?.signal;
}

async function dump(res: DavResponse): Promise<void> {
  await res.body.dump().catch(() => undefined);
}

/** Reads a response body whole; more than `limit` bytes is an error naming `what`. */
async function readAll(res: DavResponse, limit: number, what: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > limit) {
      res.body.destroy();
      throw new FileServerError("FILE_UNSUPPORTED", `${what} is larger than ${limit} bytes`);
    }
    parts.push(Buffer.from(chunk));
  }
  return Buffer.concat(parts);
}

/** A WebDAV server as a FileStore. */
export class WebDavStore implements FileStore {
  readonly display: string;
  private readonly http: DavHttpClient;
  private readonly limiter: Limiter;
  /** Collections known to exist (made or confirmed by MKCOL in this run). */
  private readonly collections = new Set<string>();
  /** False once the server answered MOVE with 405/501. */
  private moveSupported = true;

  private constructor(http: DavHttpClient, concurrency: number) {
    this.http = http;
    this.display = http.display;
    this.limiter = new Limiter(concurrency);
  }

  static async create(settings: HttpTargetSettings, options: HttpClientOptions = {}): Promise<WebDavStore> {
    return new WebDavStore(await DavHttpClient.create(settings, options), settings.concurrency ?? 4);
  }

  async observe(paths: readonly string[], options: ObserveFilesOptions = {}): Promise<Map<string, FileObservation>> {
    const out = new Map<string, FileObservation>();
    await Promise.all(
      paths.map((path) =>
        this.limiter.run(async () => {
          try {
            out.set(path, await this.observeOne(pathSegments(path), options));
          } catch (error) {
            if (options.signal?.aborted) throw error;
            out.set(path, { state: "unknown", error: error instanceof Error ? error.message : String(error) });
          }
        }),
      ),
    );
    return out;
  }

  private async observeOne(path: string[], options: ObserveFilesOptions): Promise<FileObservation> {
    const signal = signalOf(options);
    const sidecar = sidecarPath(path.join("/")).split("/");
    const res = await this.http.send({ method: "GET", path: sidecar, signal });
    let stated: string | undefined;
    if (ABSENT.has(res.status)) {
      await dump(res);
    } else if (res.status >= 200 && res.status < 300) {
      stated = parseSidecar((await readAll(res, SIDECAR_LIMIT, this.http.describe("GET", sidecar)).catch(() => Buffer.alloc(0))).toString("utf8"), path.join("/"));
    } else {
      throw await this.http.failure("GET", sidecar, res);
    }
    if (stated !== undefined && options.verify !== true) return { state: "present", sha256: stated };
    if (stated !== undefined) {
      const got = await this.hashRemote(path, signal);
      if (got === undefined) return { state: "absent" };
      return got.sha256 === stated ? { state: "present", sha256: stated, size: got.size } : { state: "unverified", size: got.size };
    }
    const head = await this.http.send({ method: "HEAD", path, signal });
    await dump(head);
    if (ABSENT.has(head.status)) return { state: "absent" };
    if (head.status < 200 || head.status >= 300) throw await this.http.failure("HEAD", path, head);
    const length = Number(head.headers["content-length"]);
    return Number.isSafeInteger(length) && length >= 0 ? { state: "unverified", size: length } : { state: "unverified" };
  }

  /** Streams a file through sha256; undefined when it is absent. */
  private async hashRemote(path: readonly string[], signal: AbortSignal | undefined): Promise<{ sha256: string; size: number } | undefined> {
    const res = await this.http.send({ method: "GET", path, signal });
    if (ABSENT.has(res.status)) {
      await dump(res);
      return undefined;
    }
    if (res.status < 200 || res.status >= 300) throw await this.http.failure("GET", path, res);
    return hashStream(res.body as AsyncIterable<Uint8Array>);
  }

  async put(path: string, content: FileContent, options: PutFileOptions = {}): Promise<PutFileResult> {
    const segments = pathSegments(path);
    const expected = { sha256: checkSha256(content.sha256, path), size: content.size };
    if (!Number.isSafeInteger(expected.size) || expected.size < 0) throw new FileServerError("FILE_DIGEST", `${path}: size ${content.size} is not a byte count`);
    const signal = signalOf(options);
    const what = `the content for ${path}`;
    return this.limiter.run(async () => {
      // Small content is checked whole before the first request; larger content is checked as it
      // streams, its last chunk held back until the digest matched.
      const small = expected.size <= BUFFERED_LIMIT ? await readChecked({ ...content, ...expected }, what, signal) : undefined;
      let sent = 0;
      const body: RequestBody =
        small ??
        (async () => {
          const stream = (await content.open(signal !== undefined ? { signal } : {})) as Readable;
          return checkedChunks(stream as AsyncIterable<Uint8Array>, expected, what, (n) => {
            sent += n;
            options.onProgress?.(sent);
          });
        });
      const sidecar = sidecarPath(path).split("/");
      if (this.moveSupported) {
        const temp = tempPath(path).split("/");
        let moved = false;
        try {
          await this.upload(temp, body, expected.size, signal);
          if (small !== undefined) {
            sent += expected.size;
            options.onProgress?.(sent);
          }
          await this.readBack(temp, expected, path, signal);
          await this.deleteQuietly(sidecar, signal, true);
          moved = await this.move(temp, segments, signal);
        } finally {
          if (!moved) await this.deleteQuietly(temp, undefined, false);
        }
        if (moved) {
          await this.upload(sidecar, formatSidecar(path, expected.sha256), 0, signal);
          return { status: "written", sha256: expected.sha256, size: expected.size, bytesSent: sent };
        }
        this.moveSupported = false;
      }
      // No MOVE on this server: PUT in place (nginx and Apache still write PUT bodies to a temp file and rename).
      await this.deleteQuietly(sidecar, signal, true);
      await this.upload(segments, body, expected.size, signal);
      if (small !== undefined) {
        sent += expected.size;
        options.onProgress?.(sent);
      }
      try {
        await this.readBack(segments, expected, path, signal);
      } catch (error) {
        if (error instanceof FileServerError && error.code === "FILE_DIGEST") await this.deleteQuietly(segments, undefined, false);
        throw error;
      }
      await this.upload(sidecar, formatSidecar(path, expected.sha256), 0, signal);
      return { status: "written", sha256: expected.sha256, size: expected.size, bytesSent: sent };
    });
  }

  /**
   * PUT, making missing parent collections when the server says they are
   * missing (409 from Apache and x/net/webdav, 500 from nginx without
   * create_full_put_path) and trying once more.
   */
  private async upload(path: readonly string[], body: RequestBody, size: number, signal: AbortSignal | undefined): Promise<void> {
    const headers = { "content-length": String(typeof body === "function" ? size : Buffer.byteLength(body)) };
    // A streamed body is a factory that opens the content again, so a retried PUT resends it from the start.
    const put = () => this.http.send({ method: "PUT", path, headers, body, signal });
    let res = await put();
    if ((res.status === 409 || res.status === 500) && path.length > 1) {
      const first = await this.http.failure("PUT", path, res);
      if (!(await this.makeParents(path, signal))) throw first;
      res = await put();
    }
    if (res.status < 200 || res.status >= 300) throw await this.http.failure("PUT", path, res);
    await dump(res);
  }

  /** MKCOL every parent not known to exist, top down; true when one was missing. */
  private async makeParents(path: readonly string[], signal: AbortSignal | undefined): Promise<boolean> {
    let made = false;
    for (let depth = 1; depth < path.length; depth++) {
      const collection = path.slice(0, depth);
      const key = collection.join("/");
      if (this.collections.has(key)) continue;
      const res = await this.http.send({ method: "MKCOL", path: collection, collection: true, signal });
      if (res.status === 201) made = true;
      else if (res.status !== 405) throw await this.http.failure("MKCOL", collection, res, true);
      await dump(res);
      this.collections.add(key);
    }
    return made;
  }

  /** GETs what was written and hashes it; FILE_DIGEST when it is not what was sent. */
  private async readBack(path: readonly string[], expected: { sha256: string; size: number }, shown: string, signal: AbortSignal | undefined): Promise<void> {
    const got = await this.hashRemote(path, signal);
    if (got === undefined) throw new FileServerError("FILE_HTTP", `${this.http.describe("GET", path)} answered 404 right after the upload was accepted`);
    if (got.sha256 !== expected.sha256 || got.size !== expected.size) {
      throw new FileServerError("FILE_DIGEST", `${shown} read back from ${this.display} has ${got.size} bytes with sha256 ${got.sha256}, expected ${expected.size} bytes with sha256 ${expected.sha256}: the server did not store what was sent`);
    }
  }

  /** MOVE with Overwrite: T; false when the server has no MOVE (405, 501). */
  private async move(from: readonly string[], to: readonly string[], signal: AbortSignal | undefined): Promise<boolean> {
    const res = await this.http.send({ method: "MOVE", path: from, headers: { destination: this.http.url(to).href, overwrite: "T" }, signal });
    if (res.status === 405 || res.status === 501) {
      await dump(res);
      return false;
    }
    if (res.status < 200 || res.status >= 300) throw await this.http.failure("MOVE", from, res, false, ` (moving it to ${this.http.url(to).href})`);
    await dump(res);
    return true;
  }

  /** DELETE where absence is fine; `strict` reports other failures, else they are ignored (cleanup). */
  private async deleteQuietly(path: readonly string[], signal: AbortSignal | undefined, strict: boolean): Promise<boolean> {
    let res: DavResponse;
    try {
      res = await this.http.send({ method: "DELETE", path, signal });
    } catch (error) {
      if (strict) throw error;
      return false;
    }
    if (ABSENT.has(res.status)) {
      await dump(res);
      return false;
    }
    if (res.status >= 200 && res.status < 300) {
      await dump(res);
      return true;
    }
    if (strict) throw await this.http.failure("DELETE", path, res);
    await dump(res);
    return false;
  }

  async delete(path: string, options: CallOptions = {}): Promise<DeleteFileResult> {
    const segments = pathSegments(path);
    return this.limiter.run(async () => {
      await this.deleteQuietly(sidecarPath(path).split("/"), options.signal, true);
      return (await this.deleteQuietly(segments, options.signal, true)) ? { status: "deleted" } : { status: "absent" };
    });
  }

  async list(directory: string, options: CallOptions = {}): Promise<string[]> {
    const found: string[] = [];
    const walk = async (dir: string[]): Promise<void> => {
      const res = await this.limiter.run(() => this.http.send({ method: "GET", path: dir, collection: true, headers: { accept: "application/json" }, signal: options.signal }));
      if (ABSENT.has(res.status)) return dump(res);
      if (res.status < 200 || res.status >= 300) throw await this.http.failure("GET", dir, res, true, " (listing for prune)");
      const type = String(res.headers["content-type"] ?? "");
      const text = (await readAll(res, 64 * 1024 * 1024, this.http.describe("GET", dir, true))).toString("utf8");
      let entries: unknown;
      try {
        entries = /json/i.test(type) ? JSON.parse(text) : undefined;
      } catch {
        entries = undefined;
      }
      if (!Array.isArray(entries)) {
        throw new FileServerError("FILE_UNSUPPORTED", `cannot list ${this.http.url(dir, true).href}: the server did not answer with a JSON directory listing; prune needs one (nginx: autoindex on; autoindex_format json;)`);
      }
      const names = new Set<string>();
      const subdirs: string[] = [];
      for (const e of entries as { name?: unknown; type?: unknown }[]) {
        if (typeof e?.name !== "string") continue;
        if (e.type === "directory") subdirs.push(e.name);
        else names.add(e.name);
      }
      for (const name of names) if (!isBookkeepingName(name) && names.has(`${name}${SIDECAR_SUFFIX}`)) found.push([...dir, name].join("/"));
      for (const sub of subdirs) await walk([...dir, sub]);
    };
    await walk(directorySegments(directory));
    return found.sort();
  }

  async read(path: string, limit: number, options: CallOptions = {}): Promise<Buffer | undefined> {
    const segments = pathSegments(path);
    return this.limiter.run(async () => {
      const res = await this.http.send({ method: "GET", path: segments, signal: options.signal });
      if (ABSENT.has(res.status)) {
        await dump(res);
        return undefined;
      }
      if (res.status < 200 || res.status >= 300) throw await this.http.failure("GET", segments, res);
      return readAll(res, limit, this.http.describe("GET", segments));
    });
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}
