/**
 * An OCI image layout directory (image-spec image-layout.md) as a content
 * store: the `oci-layout` provider's target and the staging area of bundles.
 *
 * Crash safety: a blob is streamed to `blobs/<alg>/.tmp-<random>`, verified,
 * fsynced and renamed, so a name under `blobs/` always holds verified bytes;
 * index.json is replaced atomically, and only after the manifest it points at
 * is stored, so a killed run leaves a valid layout and a rerun converges.
 * The temp files a killed run leaves are removed by the next writer that
 * takes the layout's writer lock (`lockForWrite`), never by a reader.
 */
import { mkdir, open, readFile, stat } from "node:fs/promises";
import { join, resolve as resolvePath } from "node:path";
import { pipeline, type Readable } from "node:stream";
import { digestAlgorithm, digestEncoded, parseDigest, type Digest } from "../../core/digest.js";
import type { Descriptor, ImageIndex } from "../../core/oci-types.js";
import { Annotation } from "../../core/oci-types.js";
import { MediaType } from "../../core/media-types.js";
import type { CallOptions } from "../content.js";
import { verifyBytes, VerifyingStream } from "../verify.js";
import { streamToFileAtomic, tempPathIn, writeFileAtomic } from "../../fs/atomic-file.js";
import { LayoutDirectoryRepository } from "./directory-repository.js";
import { LayoutError } from "./errors.js";
import { blobEntryName, BLOBS_DIR, INDEX_FILE, INDEX_SIZE_LIMIT, OCI_LAYOUT_CONTENT, OCI_LAYOUT_FILE, OCI_LAYOUT_SIZE_LIMIT } from "./layout-files.js";
import { checkOciLayoutMarker, decodeIndexJson } from "./layout-json.js";
import { withPathLock } from "./lock.js";
import { readManifest, type ManifestContent, type ReadManifestOptions } from "./manifest.js";
import { isSameRef, isValidRefName, refAnnotations } from "./ref-name.js";
import type { LayoutStore, OpenBlobOptions } from "./store.js";
import { walkLayout, type WalkResult } from "./walk.js";
import { acquireWriterLock, type WriterLock, type WriterLockOptions } from "./writer-lock.js";

/** Options for opening a layout directory. */
export interface OpenLayoutDirectoryOptions {
  /** Create the directory and an empty layout when there is none (default false: a missing layout is an error). */
  readonly create?: boolean;
}

/** What `pushBlob` did: `exists` means a blob of that digest and size was already stored and the content was not read. */
export type PushOutcome = "written" | "exists";

/** What `setRef` did to index.json. */
export type TagOutcome = "created" | "replaced" | "unchanged";

function isNotFound(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "ENOENT";
}

/** index.json parsed: the typed index, and the raw object whose other fields a rewrite keeps. */
interface ParsedIndex {
  readonly index: ImageIndex;
  readonly raw: Record<string, unknown>;
}

/** index.json of a layout with no images, as airgap creates it. */
const EMPTY_INDEX = `{"schemaVersion":2,"mediaType":"${MediaType.OciIndex}","manifests":[]}`;

/** An OCI image layout directory: blobs by digest, index.json entries by ref name. */
export class OciLayoutDirectory implements LayoutStore {
  /** Absolute path of the layout root. */
  readonly path: string;
  /** `oci:<path>`, skopeo's transport spelling. */
  readonly name: string;

  private cachedIndex: { readonly version: string; readonly bytes: Buffer; readonly value: ParsedIndex } | undefined;

  private constructor(path: string) {
    this.path = path;
    this.name = `oci:${path}`;
  }

  /**
   * Opens the layout at `path`, checking its `oci-layout` marker. With
   * `create`, an absent layout is initialised (index.json first, the marker
   * last, so a marker always means a complete layout).
   */
  static async open(path: string, options: OpenLayoutDirectoryOptions = {}): Promise<OciLayoutDirectory> {
    const layout = new OciLayoutDirectory(resolvePath(path));
    const markerPath = join(layout.path, OCI_LAYOUT_FILE);
    let marker: Buffer | undefined;
    try {
      marker = await readLimitedFile(markerPath, OCI_LAYOUT_SIZE_LIMIT, layout.name, OCI_LAYOUT_FILE);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    if (marker !== undefined) {
      checkOciLayoutMarker(marker, layout.name);
      return layout;
    }
    if (options.create !== true) {
      throw new LayoutError("NOT_A_LAYOUT", layout.name, `no ${OCI_LAYOUT_FILE} file: not an OCI image layout (pass create to make one)`, { entry: OCI_LAYOUT_FILE });
    }
    await mkdir(join(layout.path, BLOBS_DIR, "sha256"), { recursive: true });
    await withPathLock(layout.indexPath, async () => {
      try {
        await stat(layout.indexPath);
      } catch (error) {
        if (!isNotFound(error)) throw error;
        await writeFileAtomic(layout.indexPath, EMPTY_INDEX);
      }
    });
    await writeFileAtomic(markerPath, OCI_LAYOUT_CONTENT);
    return layout;
  }

  /**
   * Takes the cross-process writer lock of the layout at `path` (writer-lock.ts):
   * what an apply holds from before its first write until it ends, so that
   * two processes never rewrite index.json over each other. Removes the temp
   * files of a killed writer once held. The directory is created if missing.
   */
  static lockForWrite(path: string, options: WriterLockOptions = {}): Promise<WriterLock> {
    return acquireWriterLock(path, options);
  }

  private get indexPath(): string {
    return join(this.path, INDEX_FILE);
  }

  /** The file a blob is stored in (`<path>/blobs/<alg>/<hex>`); the digest is re-checked so it can never escape the layout. */
  blobPath(digest: Digest): string {
    const parsed = parseDigest(digest);
    if (!parsed.ok) throw new LayoutError("INVALID_REFERENCE", this.name, parsed.reason);
    return join(this.path, BLOBS_DIR, digestAlgorithm(parsed.digest), digestEncoded(parsed.digest));
  }

  /** The parsed index.json, read fresh from disk (other writers may have changed it). */
  async readIndex(_options: CallOptions = {}): Promise<ImageIndex> {
    return (await this.readIndexRaw()).index;
  }

  /** The index.json entries: one descriptor per tagged image, with their annotations. */
  async entries(options: CallOptions = {}): Promise<readonly Descriptor[]> {
    return (await this.readIndex(options)).manifests;
  }

  /**
   * Reads index.json, reusing the last parse while the file is unchanged: every
   * write replaces it by rename (a new inode), so inode, size and mtime
   * identify a version, and resolving thousands of tags does not re-parse a
   * large index thousands of times.
   */
  private async readIndexRaw(): Promise<ParsedIndex> {
    let info;
    try {
      info = await stat(this.indexPath, { bigint: true });
    } catch (error) {
      if (isNotFound(error)) throw new LayoutError("INVALID_INDEX", this.name, `${INDEX_FILE} is missing`, { entry: INDEX_FILE });
      throw error;
    }
    const version = `${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
    if (this.cachedIndex?.version === version) return this.cachedIndex.value;
    return this.readIndexBytes(version);
  }

  /**
   * Reads index.json for a rewrite (under the path lock, and in an apply
   * under the writer lock): always the bytes on disk, never a version
   * guessed from file metadata, which another writer can repeat (a reused
   * inode, same size, a coarse clock) and so make us rewrite a stale copy.
   * The parse is reused only when the bytes are identical.
   */
  private async readIndexForUpdate(): Promise<ParsedIndex> {
    return this.readIndexBytes(undefined);
  }

  private async readIndexBytes(version: string | undefined): Promise<ParsedIndex> {
    let bytes: Buffer;
    try {
      bytes = await readLimitedFile(this.indexPath, INDEX_SIZE_LIMIT, this.name, INDEX_FILE);
    } catch (error) {
      if (isNotFound(error)) throw new LayoutError("INVALID_INDEX", this.name, `${INDEX_FILE} is missing`, { entry: INDEX_FILE });
      throw error;
    }
    const cached = this.cachedIndex;
    const value = cached !== undefined && cached.bytes.equals(bytes) ? cached.value : decodeIndexJson(bytes, this.name);
    // An update read has no version: readIndexRaw reads the bytes once after it, and reuses the parse when they match.
    this.cachedIndex = { version: version ?? "", bytes, value };
    return value;
  }

  /** The size of a stored blob, or undefined when absent (or not a regular file). */
  async blobSize(digest: Digest, _options: CallOptions = {}): Promise<number | undefined> {
    try {
      const info = await stat(this.blobPath(digest));
      return info.isFile() ? info.size : undefined;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** True when the blob is stored with the descriptor's size. */
  async hasBlob(descriptor: Descriptor, options: CallOptions = {}): Promise<boolean> {
    return (await this.blobSize(descriptor.digest, options)) === descriptor.size;
  }

  /** Reads a small stored blob whole, verified, without a stream (see LayoutStore). */
  async readBlobBytes(descriptor: Descriptor, options: CallOptions = {}): Promise<Buffer> {
    const entry = blobEntryName(descriptor.digest);
    options.signal?.throwIfAborted();
    let bytes: Buffer;
    try {
      bytes = await readFile(this.blobPath(descriptor.digest));
    } catch (error) {
      if (isNotFound(error)) throw new LayoutError("BLOB_NOT_FOUND", this.name, `${entry} is not in the layout`, { entry });
      throw error;
    }
    options.signal?.throwIfAborted();
    verifyBytes(bytes, { digest: descriptor.digest, size: descriptor.size, name: `${this.name} ${entry}` });
    return bytes;
  }

  /** Streams a stored blob, verified against the descriptor unless `verify: false`. */
  async openBlob(descriptor: Descriptor, options: OpenBlobOptions = {}): Promise<Readable> {
    const entry = blobEntryName(descriptor.digest);
    let handle;
    try {
      handle = await open(this.blobPath(descriptor.digest), "r");
    } catch (error) {
      if (isNotFound(error)) throw new LayoutError("BLOB_NOT_FOUND", this.name, `${entry} is not in the layout`, { entry });
      throw error;
    }
    const file = handle.createReadStream(options.signal !== undefined ? { signal: options.signal } : {});
    if (options.verify === false) return file;
    return pipeline(file, new VerifyingStream({ digest: descriptor.digest, size: descriptor.size, name: `${this.name} ${entry}` }), () => undefined);
  }

  /** Reads, verifies and parses a manifest or index (at most 4 MiB by default). */
  async readManifest(descriptor: Descriptor, options: ReadManifestOptions = {}): Promise<ManifestContent> {
    return readManifest(this, descriptor, options);
  }

  /** Every descriptor reachable from `roots` (default: all index.json entries), children first. */
  async walk(roots?: readonly Descriptor[], options: CallOptions = {}): Promise<WalkResult> {
    return walkLayout(this, roots ?? (await this.entries(options)), options);
  }

  /**
   * Stores a blob or manifest under its digest. The content is verified while
   * it streams to a temp file, and renamed into place only when it matched;
   * a blob already stored with the same size is kept and `content` is
   * destroyed unread.
   */
  async pushBlob(descriptor: Descriptor, content: Readable, options: CallOptions = {}): Promise<PushOutcome> {
    const final = this.blobPath(descriptor.digest);
    if ((await this.blobSize(descriptor.digest)) === descriptor.size) {
      content.destroy();
      return "exists";
    }
    const directory = join(this.path, BLOBS_DIR, digestAlgorithm(descriptor.digest));
    await mkdir(directory, { recursive: true });
    const verifier = new VerifyingStream({ digest: descriptor.digest, size: descriptor.size, name: blobEntryName(descriptor.digest) });
    await streamToFileAtomic(content, [verifier], tempPathIn(directory), final, options.signal !== undefined ? { signal: options.signal } : {});
    return "written";
  }

  /**
   * Points `refName` (airgap passes the full `registry/repository:tag`) at a
   * stored manifest, writing it into both `org.opencontainers.image.ref.name`
   * and `io.containerd.image.name`. An existing entry for the same name is
   * replaced in place (a moved tag), never duplicated. Serialised per layout,
   * so concurrent calls never lose an entry.
   */
  async setRef(descriptor: Descriptor, refName: string, _options: CallOptions = {}): Promise<TagOutcome> {
    if (!isValidRefName(refName)) {
      throw new LayoutError("INVALID_REFERENCE", this.name, `"${refName}" is not a valid ref name (components of [A-Za-z0-9] joined by -._:@+, separated by /)`);
    }
    const entry = blobEntryName(descriptor.digest);
    const stored = await this.blobSize(descriptor.digest);
    if (stored !== descriptor.size) {
      throw new LayoutError(
        "MANIFEST_NOT_FOUND",
        this.name,
        stored === undefined ? `cannot tag ${refName}: manifest ${entry} is not stored (push it first)` : `cannot tag ${refName}: ${entry} is ${stored} bytes, the descriptor says ${descriptor.size}`,
        { entry },
      );
    }
    const annotations: Record<string, string> = {};
    for (const [key, value] of Object.entries(descriptor.annotations ?? {})) {
      if (key !== Annotation.RefName && key !== Annotation.ContainerdImageName) annotations[key] = value;
    }
    Object.assign(annotations, refAnnotations(refName));
    const sorted = Object.fromEntries(Object.entries(annotations).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    const newEntry: Descriptor = {
      mediaType: descriptor.mediaType,
      digest: descriptor.digest,
      size: descriptor.size,
      ...(descriptor.platform !== undefined ? { platform: descriptor.platform } : {}),
      ...(descriptor.artifactType !== undefined ? { artifactType: descriptor.artifactType } : {}),
      annotations: sorted,
    };

    return withPathLock(this.indexPath, async () => {
      const { index, raw } = await this.readIndexForUpdate();
      const manifests = [...index.manifests];
      const same = manifests.flatMap((d, i) => (isSameRef(d, refName) ? [i] : []));
      const first = same[0];
      if (first === undefined) {
        manifests.push(newEntry);
        await this.writeIndex(raw, manifests);
        return "created";
      }
      if (same.length === 1 && JSON.stringify(manifests[first]) === JSON.stringify(newEntry)) return "unchanged";
      const next = manifests.flatMap((d, i) => (i === first ? [newEntry] : same.includes(i) ? [] : [d]));
      await this.writeIndex(raw, next);
      return "replaced";
    });
  }

  /** Removes every index.json entry for `refName` (a pruned tag); blobs stay. Returns whether one was removed. */
  async removeRef(refName: string, _options: CallOptions = {}): Promise<boolean> {
    return withPathLock(this.indexPath, async () => {
      const { index, raw } = await this.readIndexForUpdate();
      const kept = index.manifests.filter((d) => !isSameRef(d, refName));
      if (kept.length === index.manifests.length) return false;
      await this.writeIndex(raw, kept);
      return true;
    });
  }

  private async writeIndex(raw: Record<string, unknown>, manifests: readonly Descriptor[]): Promise<void> {
    const next = { ...raw, manifests };
    const bytes = Buffer.from(JSON.stringify(next));
    await writeFileAtomic(this.indexPath, bytes);
    // What we wrote, already parsed: the next read finds the same bytes and skips the parse.
    this.cachedIndex = { version: "", bytes, value: { index: next as unknown as ImageIndex, raw: next } };
  }

  /**
   * A ContentWriter for one repository (`registry.example/team/app`): tags
   * become index.json entries named `<repository>:<tag>` (see ref-name.ts).
   */
  repository(name: string): LayoutDirectoryRepository {
    return new LayoutDirectoryRepository(this, name);
  }
}

/** Reads a small file, refusing it when larger than `limit` (so a hostile layout cannot exhaust memory). */
async function readLimitedFile(path: string, limit: number, location: string, entry: string): Promise<Buffer> {
  const handle = await open(path, "r");
  try {
    const size = (await handle.stat()).size;
    if (size > limit) throw new LayoutError("TOO_LARGE", location, `${entry} is ${size} bytes, over the ${limit}-byte limit`, { entry });
    return await readFile(handle);
  } finally {
    await handle.close();
  }
}
