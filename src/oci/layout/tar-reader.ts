/**
 * Reading an OCI image layout straight out of a tar archive (a bundle, a
 * skopeo `oci-archive:`), without extracting it and without holding blobs in
 * memory: one pass over the headers records where each entry's bytes are, and
 * each blob is then streamed from its byte range through digest verification.
 *
 * Hostile archives are refused with a LayoutError naming the entry: path
 * escapes, links, devices, duplicates, truncation, oversized JSON, names under
 * `blobs/` that are not digests. A blob whose bytes do not match its name
 * fails when read (ContentVerificationError), and `verifyAll()` checks every
 * blob up front. gzip-compressed archives are expanded to a temp file first
 * (see gunzip.ts for why); call `close()` to remove it.
 */
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { resolve as resolvePath } from "node:path";
import { pipeline, Readable } from "node:stream";
import { pipeline as pipelineAsync } from "node:stream/promises";
import type { Digest } from "../../core/digest.js";
import type { Descriptor, ImageIndex } from "../../core/oci-types.js";
import { AirgapError } from "../../core/errors.js";
import type { CallOptions } from "../content.js";
import { ContentVerificationError, MANIFEST_SIZE_LIMIT, verifyBytes, VerifyingStream } from "../verify.js";
import { LayoutError } from "./errors.js";
import { gunzipToTemp, isGzipFile, type ExpandedArchive } from "./gunzip.js";
import { blobEntryName, BLOBS_DIR, digestFromBlobEntry, INDEX_FILE, INDEX_SIZE_LIMIT, OCI_LAYOUT_FILE, OCI_LAYOUT_SIZE_LIMIT } from "./layout-files.js";
import { checkOciLayoutMarker, decodeIndexJson } from "./layout-json.js";
import { isManifestDescriptor, readManifest, type ManifestContent, type ReadManifestOptions } from "./manifest.js";
import { LayoutRepository } from "./repository-view.js";
import type { LayoutStore, OpenBlobOptions } from "./store.js";
import { indexTar, readTarEntry, type TarFileEntry } from "./tar-index.js";
import { walkLayout, type WalkResult } from "./walk.js";

/** Options for opening a layout archive. */
export interface OpenLayoutTarOptions extends CallOptions {
  /** Where a gzip-compressed archive is expanded (default: the OS temp directory). */
  readonly tempDir?: string;
  /** Refuse a compressed archive that expands to more than this many bytes (default: no limit). */
  readonly maxExpandedSize?: number;
  /** Refuse archives with more entries than this (default one million). */
  readonly maxEntries?: number;
}

/** One thing `verifyAll` found wrong, named by its entry. */
export interface VerifyProblem {
  /** `blobs/sha256/…` */
  readonly entry: string;
  /** CONTENT_MISMATCH for bytes that do not match the name; a LayoutError code for a missing or invalid child. */
  readonly code: string;
  readonly message: string;
}

/** The outcome of `verifyAll`: every blob checked, and what was wrong, if anything. */
export interface VerifyAllResult {
  readonly ok: boolean;
  /** Blob entries hashed. */
  readonly blobs: number;
  /** Bytes hashed. */
  readonly bytes: number;
  readonly problems: readonly VerifyProblem[];
}

/** Options for `verifyAll`. */
export interface VerifyAllOptions extends CallOptions {
  /** Called after each blob with the running byte count and the total. */
  readonly onProgress?: (bytes: number, total: number) => void;
}

/** A read-only OCI image layout inside a tar (or tar.gz) file. */
export class OciLayoutTar implements LayoutStore {
  /** Absolute path of the archive as given. */
  readonly path: string;
  /** `oci-archive:<path>`, skopeo's transport spelling. */
  readonly name: string;
  /** True when the archive was gzip-compressed (and expanded to a temp file). */
  readonly compressed: boolean;
  private readonly dataPath: string;
  private readonly expanded: ExpandedArchive | undefined;
  private readonly index: ImageIndex;
  private readonly blobs: ReadonlyMap<string, TarFileEntry>;
  private readonly others: readonly TarFileEntry[];
  private readonly all: ReadonlyMap<string, TarFileEntry>;

  private constructor(fields: {
    path: string;
    dataPath: string;
    expanded: ExpandedArchive | undefined;
    index: ImageIndex;
    blobs: ReadonlyMap<string, TarFileEntry>;
    others: readonly TarFileEntry[];
    all: ReadonlyMap<string, TarFileEntry>;
  }) {
    this.path = fields.path;
    this.name = `oci-archive:${fields.path}`;
    this.compressed = fields.expanded !== undefined;
    this.dataPath = fields.dataPath;
    this.expanded = fields.expanded;
    this.index = fields.index;
    this.blobs = fields.blobs;
    this.others = fields.others;
    this.all = fields.all;
  }

  /**
   * Opens and indexes the archive at `path`, refusing hostile or broken
   * archives with a LayoutError that names the entry. Reads only headers,
   * `oci-layout` and `index.json`: cost grows with the entry count, not the size.
   */
  static async open(path: string, options: OpenLayoutTarOptions = {}): Promise<OciLayoutTar> {
    const absolute = resolvePath(path);
    const location = `oci-archive:${absolute}`;
    let expanded: ExpandedArchive | undefined;
    if (await isGzipFile(absolute)) {
      expanded = await gunzipToTemp(absolute, location, {
        tempDir: options.tempDir ?? tmpdir(),
        ...(options.maxExpandedSize !== undefined ? { maxExpandedSize: options.maxExpandedSize } : {}),
        ...(options.signal !== undefined ? { signal: options.signal } : {}),
      });
    }
    try {
      const dataPath = expanded?.path ?? absolute;
      const tar = await indexTar(dataPath, location, {
        ...(options.maxEntries !== undefined ? { maxEntries: options.maxEntries } : {}),
        ...(options.signal !== undefined ? { signal: options.signal } : {}),
      });
      const blobs = new Map<string, TarFileEntry>();
      const others: TarFileEntry[] = [];
      for (const entry of tar.files.values()) {
        if (entry.name === BLOBS_DIR || entry.name.startsWith(`${BLOBS_DIR}/`)) {
          const digest = digestFromBlobEntry(entry.name);
          if (digest === undefined) {
            throw new LayoutError("INVALID_ENTRY", location, `entry "${entry.name}" is under ${BLOBS_DIR}/ but is not named blobs/<algorithm>/<hex digest>`, { entry: entry.name });
          }
          blobs.set(digest, entry);
        } else if (entry.name !== OCI_LAYOUT_FILE && entry.name !== INDEX_FILE) {
          others.push(entry);
        }
      }
      for (const directory of tar.directories) {
        const parts = directory.split("/");
        if (parts[0] === BLOBS_DIR && (parts.length > 2 || (parts.length === 2 && !/^[a-z0-9]+$/.test(parts[1] ?? "")))) {
          throw new LayoutError("INVALID_ENTRY", location, `directory "${directory}/" does not belong in an OCI layout's ${BLOBS_DIR}/`, { entry: directory });
        }
      }
      const marker = tar.files.get(OCI_LAYOUT_FILE);
      if (marker === undefined) throw new LayoutError("NOT_A_LAYOUT", location, `no ${OCI_LAYOUT_FILE} entry: not an OCI image layout archive`, { entry: OCI_LAYOUT_FILE });
      checkOciLayoutMarker(await readTarEntry(dataPath, marker, OCI_LAYOUT_SIZE_LIMIT, location), location);
      const indexEntry = tar.files.get(INDEX_FILE);
      if (indexEntry === undefined) throw new LayoutError("INVALID_INDEX", location, `no ${INDEX_FILE} entry`, { entry: INDEX_FILE });
      const { index } = decodeIndexJson(await readTarEntry(dataPath, indexEntry, INDEX_SIZE_LIMIT, location), location);
      for (const descriptor of index.manifests) {
        const blob = blobs.get(descriptor.digest);
        if (blob !== undefined && isManifestDescriptor(descriptor) && blob.size > MANIFEST_SIZE_LIMIT) {
          throw new LayoutError("TOO_LARGE", location, `manifest ${blob.name} is ${blob.size} bytes, over the ${MANIFEST_SIZE_LIMIT}-byte limit`, { entry: blob.name });
        }
      }
      others.sort((a, b) => a.offset - b.offset);
      return new OciLayoutTar({ path: absolute, dataPath, expanded, index, blobs, others, all: tar.files });
    } catch (error) {
      await expanded?.remove();
      throw error;
    }
  }

  /** The parsed index.json (read once at open: an archive does not change). */
  async readIndex(_options: CallOptions = {}): Promise<ImageIndex> {
    return this.index;
  }

  /** The index.json entries. */
  async entries(_options: CallOptions = {}): Promise<readonly Descriptor[]> {
    return this.index.manifests;
  }

  /** Files that are neither layout metadata nor blobs (airgap's config and lock ride along in bundles). */
  extraFiles(): readonly TarFileEntry[] {
    return this.others;
  }

  /** Reads a small entry (an extra file, index.json) into memory, refusing it when over `limit` bytes. */
  async readFile(name: string, limit: number): Promise<Buffer> {
    const entry = this.all.get(name);
    if (entry === undefined) throw new LayoutError("BLOB_NOT_FOUND", this.name, `no entry "${name}" in the archive`, { entry: name });
    return readTarEntry(this.dataPath, entry, limit, this.name);
  }

  /** The stored size of a blob, or undefined when the archive has no entry for it. */
  async blobSize(digest: Digest, _options: CallOptions = {}): Promise<number | undefined> {
    return this.blobs.get(digest)?.size;
  }

  /** True when the archive holds the blob with the descriptor's size. */
  async hasBlob(descriptor: Descriptor, options: CallOptions = {}): Promise<boolean> {
    return (await this.blobSize(descriptor.digest, options)) === descriptor.size;
  }

  /** Reads a small blob's byte range whole, verified, with one positioned read and no stream (see LayoutStore). */
  async readBlobBytes(descriptor: Descriptor, options: CallOptions = {}): Promise<Buffer> {
    const entry = this.blobs.get(descriptor.digest);
    if (entry === undefined) {
      const name = blobEntryName(descriptor.digest);
      throw new LayoutError("BLOB_NOT_FOUND", this.name, `${name} is not in the archive`, { entry: name });
    }
    options.signal?.throwIfAborted();
    const bytes = await readRange(this.dataPath, entry.offset, entry.size);
    options.signal?.throwIfAborted();
    verifyBytes(bytes, { digest: descriptor.digest, size: descriptor.size, name: `${this.name} ${entry.name}` });
    return bytes;
  }

  /** Streams a blob's byte range, verified against the descriptor unless `verify: false`. */
  async openBlob(descriptor: Descriptor, options: OpenBlobOptions = {}): Promise<Readable> {
    const entry = this.blobs.get(descriptor.digest);
    if (entry === undefined) {
      const name = blobEntryName(descriptor.digest);
      throw new LayoutError("BLOB_NOT_FOUND", this.name, `${name} is not in the archive`, { entry: name });
    }
    const raw = rangeStream(this.dataPath, entry, options.signal);
    if (options.verify === false) return raw;
    return pipeline(raw, new VerifyingStream({ digest: descriptor.digest, size: descriptor.size, name: `${this.name} ${entry.name}` }), () => undefined);
  }

  /** Reads, verifies and parses a manifest or index (at most 4 MiB by default). */
  async readManifest(descriptor: Descriptor, options: ReadManifestOptions = {}): Promise<ManifestContent> {
    return readManifest(this, descriptor, options);
  }

  /** Every descriptor reachable from `roots` (default: all index.json entries), children first. */
  async walk(roots?: readonly Descriptor[], options: CallOptions = {}): Promise<WalkResult> {
    return walkLayout(this, roots ?? this.index.manifests, options);
  }

  /** A read-only ContentReader for one repository (see ref-name.ts for how tags resolve). */
  repository(name: string): LayoutRepository {
    return new LayoutRepository(this, name);
  }

  /**
   * Hashes every blob entry against the digest in its name (in archive order,
   * so the disk reads sequentially), then walks the graph from index.json to
   * check nothing referenced is missing. Problems are returned, not thrown,
   * each naming its entry, so a report can list them all.
   */
  async verifyAll(options: VerifyAllOptions = {}): Promise<VerifyAllResult> {
    const problems: VerifyProblem[] = [];
    const entries = [...this.blobs.entries()].sort(([, a], [, b]) => a.offset - b.offset);
    const total = entries.reduce((sum, [, e]) => sum + e.size, 0);
    let bytes = 0;
    for (const [digest, entry] of entries) {
      options.signal?.throwIfAborted();
      try {
        await pipelineAsync(
          rangeStream(this.dataPath, entry, options.signal),
          new VerifyingStream({ digest: digest as Digest, size: entry.size, name: entry.name }),
          async (source: AsyncIterable<Uint8Array>) => {
            for await (const _chunk of source) {
              // drain: the verifier hashes on the way through
            }
          },
        );
      } catch (error) {
        if (!(error instanceof ContentVerificationError)) throw error;
        problems.push({ entry: entry.name, code: error.code, message: `${this.name}: ${error.message}` });
      }
      bytes += entry.size;
      options.onProgress?.(bytes, total);
    }
    try {
      await this.walk(undefined, options);
    } catch (error) {
      if (!(error instanceof AirgapError)) throw error;
      let entry = INDEX_FILE;
      if (error instanceof LayoutError && error.entry !== undefined) entry = error.entry;
      else if (error instanceof ContentVerificationError) entry = blobEntryName(error.expected);
      // A manifest already reported as corrupt also stops the walk: report it once.
      if (!problems.some((p) => p.entry === entry)) problems.push({ entry, code: error.code, message: error.message });
    }
    return { ok: problems.length === 0, blobs: entries.length, bytes, problems };
  }

  /** Removes the temp copy of a compressed archive; the object must not be used afterwards. */
  async close(): Promise<void> {
    await this.expanded?.remove();
  }
}

/** A stream of one entry's bytes. */
/** `size` bytes of `path` from `offset`, read with positioned reads. */
async function readRange(path: string, offset: number, size: number): Promise<Buffer> {
  const buffer = Buffer.alloc(size);
  const handle = await open(path, "r");
  try {
    for (let done = 0; done < size; ) {
      const { bytesRead } = await handle.read(buffer, done, size - done, offset + done);
      if (bytesRead === 0) throw new LayoutError("TRUNCATED", path, `the archive ends ${size - done} bytes early`);
      done += bytesRead;
    }
  } finally {
    await handle.close();
  }
  return buffer;
}

function rangeStream(path: string, entry: TarFileEntry, signal: AbortSignal | undefined): Readable {
  if (entry.size === 0) return Readable.from([]);
  return createReadStream(path, { start: entry.offset, end: entry.offset + entry.size - 1, ...(signal !== undefined ? { signal } : {}) });
}

