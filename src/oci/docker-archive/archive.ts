/**
 * Reading a `docker save` archive (also skopeo's `docker-archive:`) as image
 * content that the copy graph can mirror, without extracting it.
 *
 * A docker archive holds, per image, a config file and uncompressed layer
 * tars listed in `manifest.json`, but no registry manifest. Opening one reads
 * only the tar headers, `manifest.json` and the configs; for each image a
 * Docker schema 2 manifest is synthesized (schema2.ts) whose layers are the
 * saved tars as they are, named by their diff_ids. The archive then looks
 * like a read-only OCI layout (it implements LayoutStore with a synthesized
 * index whose entries carry each image's full name), so the layout's
 * repository views, graph walk and tar writer work on it unchanged.
 *
 * Trust: layer bytes are verified against their diff_id whenever they are
 * streamed (and all at once by `verifyAll`), configs when they are read at
 * open. Hostile archives are refused with a LayoutError naming the entry (see
 * tar-scan.ts for the link rules). Archives that are also OCI layouts (Docker
 * 25 and later) are reported to the caller, who should read them with
 * OciLayoutTar: their index.json is authoritative and keeps the registry
 * manifests' digests.
 */
import { tmpdir } from "node:os";
import { resolve as resolvePath } from "node:path";
import { pipeline, Readable } from "node:stream";
import { pipeline as pipelineAsync } from "node:stream/promises";
import type { Digest } from "../../core/digest.js";
import type { Descriptor, ImageIndex } from "../../core/oci-types.js";
import { parseReference, repositoryName } from "../../core/reference.js";
import type { CallOptions } from "../content.js";
import { LayoutError } from "../layout/errors.js";
import { gunzipToTemp, isGzipFile, type ExpandedArchive } from "../layout/gunzip.js";
import { INDEX_FILE, INDEX_SIZE_LIMIT, OCI_LAYOUT_FILE } from "../layout/layout-files.js";
import { LayoutRepository } from "../layout/repository-view.js";
import type { LayoutStore, OpenBlobOptions } from "../layout/store.js";
import type { VerifyAllOptions, VerifyAllResult, VerifyProblem } from "../layout/tar-reader.js";
import { ContentVerificationError, VerifyingStream } from "../verify.js";
import { rangeStream, readEntry, type ContentSource } from "./entries.js";
import { buildImages, synthesizedIndex, type DockerArchiveImage } from "./images.js";
import { decodeManifestJson, MANIFEST_JSON } from "./manifest-json.js";
import { scanDockerTar } from "./tar-scan.js";

/** Options for {@link DockerArchive.open}. */
export interface OpenDockerArchiveOptions extends CallOptions {
  /** Where a gzip-compressed archive is expanded (default: the OS temp directory). */
  readonly tempDir?: string;
  /** Refuse a compressed archive that expands to more than this many bytes. */
  readonly maxExpandedSize?: number;
  /** Refuse archives with more entries than this (default one million). */
  readonly maxEntries?: number;
  /**
   * An archive that is also an OCI image layout (`oci-layout` + `index.json`,
   * as Docker 25+ writes): `"detect"` (default) reports it instead of opening
   * it; `"ignore"` reads its `manifest.json` anyway.
   */
  readonly ociLayout?: "detect" | "ignore";
  /**
   * Hash every layer at open and refuse the archive (ContentVerificationError
   * naming the entries) when one does not match its diff_id. Default false:
   * layers are verified as they stream, and `verifyAll()` reports every problem.
   */
  readonly verifyLayers?: boolean;
}

/**
 * What {@link DockerArchive.open} found: a docker archive, opened; or an OCI
 * layout archive, to be opened with `OciLayoutTar.open(path)` instead.
 */
export type OpenDockerArchiveResult =
  | { readonly kind: "docker-archive"; readonly archive: DockerArchive }
  | {
      readonly kind: "oci-layout";
      readonly path: string;
      /** True when it also has a `manifest.json` (a Docker 25+ save, readable both ways). */
      readonly hasManifestJson: boolean;
    };

/** A read-only `docker save` archive, presented as an OCI layout of Docker schema 2 images. */
export class DockerArchive implements LayoutStore {
  /** Absolute path of the archive as given. */
  readonly path: string;
  /** `docker-archive:<path>`, skopeo's transport spelling. */
  readonly name: string;
  /** True when the archive was gzip-compressed (and expanded to a temp file). */
  readonly compressed: boolean;
  private readonly dataPath: string;
  private readonly expanded: ExpandedArchive | undefined;
  private readonly list: readonly DockerArchiveImage[];
  private readonly index: ImageIndex;
  private readonly sources: ReadonlyMap<string, ContentSource>;

  private constructor(fields: {
    path: string;
    dataPath: string;
    expanded: ExpandedArchive | undefined;
    images: readonly DockerArchiveImage[];
    index: ImageIndex;
    sources: ReadonlyMap<string, ContentSource>;
  }) {
    this.path = fields.path;
    this.name = `docker-archive:${fields.path}`;
    this.compressed = fields.expanded !== undefined;
    this.dataPath = fields.dataPath;
    this.expanded = fields.expanded;
    this.list = fields.images;
    this.index = fields.index;
    this.sources = fields.sources;
  }

  /**
   * Opens and indexes the archive at `path` (plain or gzip-compressed). Reads
   * the tar headers, `manifest.json` and every image config; layers are not
   * read. Refuses hostile or inconsistent archives with a LayoutError naming
   * the entry, and a config whose bytes contradict its digest-bearing name
   * with a ContentVerificationError.
   */
  static async open(path: string, options: OpenDockerArchiveOptions = {}): Promise<OpenDockerArchiveResult> {
    const absolute = resolvePath(path);
    const location = `docker-archive:${absolute}`;
    const signal = options.signal !== undefined ? { signal: options.signal } : {};
    let expanded: ExpandedArchive | undefined;
    if (await isGzipFile(absolute)) {
      expanded = await gunzipToTemp(absolute, location, {
        tempDir: options.tempDir ?? tmpdir(),
        ...(options.maxExpandedSize !== undefined ? { maxExpandedSize: options.maxExpandedSize } : {}),
        ...signal,
      });
    }
    try {
      const dataPath = expanded?.path ?? absolute;
      const tar = await scanDockerTar(dataPath, location, { ...(options.maxEntries !== undefined ? { maxEntries: options.maxEntries } : {}), ...signal });
      const manifestEntry = tar.files.get(MANIFEST_JSON);
      if (tar.files.has(OCI_LAYOUT_FILE) && tar.files.has(INDEX_FILE) && options.ociLayout !== "ignore") {
        await expanded?.remove();
        return { kind: "oci-layout", path: absolute, hasManifestJson: manifestEntry !== undefined };
      }
      if (manifestEntry === undefined) {
        const why = tar.files.has("repositories") ? "only a legacy repositories file (Docker before 1.10 is not supported)" : "no manifest.json";
        throw new LayoutError("NOT_A_LAYOUT", location, `not a docker save archive: ${why}`, { entry: MANIFEST_JSON });
      }
      const items = decodeManifestJson(await readEntry(dataPath, manifestEntry, INDEX_SIZE_LIMIT, location, "manifest"), location);

      const { images, sources } = await buildImages(dataPath, tar.files, items, location, options.signal);
      const index = synthesizedIndex(images);
      const archive = new DockerArchive({ path: absolute, dataPath, expanded, images, index, sources });
      if (options.verifyLayers === true) {
        const { problems } = await archive.check(signal);
        const first = problems[0];
        if (first !== undefined) throw new ContentVerificationError(problems.map((p) => p.message).join("; "), first.digest);
      }
      return { kind: "docker-archive", archive };
    } catch (error) {
      await expanded?.remove();
      throw error;
    }
  }

  /** The images in `manifest.json` order. */
  images(): readonly DockerArchiveImage[] {
    return this.list;
  }

  /** Every full reference in the archive, sorted. */
  references(): readonly string[] {
    return this.list.flatMap((image) => image.references).sort();
  }

  /** The image a reference names (`nginx:1.25` or `docker.io/library/nginx:1.25`), if the archive has it. */
  image(reference: string): DockerArchiveImage | undefined {
    const parsed = parseReference(reference);
    if (!parsed.ok || parsed.reference.tag === undefined) return undefined;
    const full = `${repositoryName(parsed.reference)}:${parsed.reference.tag}`;
    return this.list.find((image) => image.references.includes(full));
  }

  /**
   * A read-only ContentReader for one repository (`nginx` and
   * `docker.io/library/nginx` are the same): tags resolve through RepoTags,
   * digests to any image's synthesized manifest.
   */
  repository(name: string): LayoutRepository {
    const parsed = parseReference(name);
    if (!parsed.ok || parsed.reference.tag !== undefined || parsed.reference.digest !== undefined) {
      throw new LayoutError("INVALID_REFERENCE", this.name, `"${name}" is not a repository name (expected e.g. docker.io/library/nginx, without tag or digest)`);
    }
    return new LayoutRepository(this, repositoryName(parsed.reference));
  }

  /** A synthesized index.json: one entry per RepoTag (full name in both annotations), untagged images without. */
  async readIndex(_options: CallOptions = {}): Promise<ImageIndex> {
    return this.index;
  }

  /** The size of a manifest, config or layer, or undefined when the archive has no such content. */
  async blobSize(digest: Digest, _options: CallOptions = {}): Promise<number | undefined> {
    const source = this.sources.get(digest);
    if (source === undefined) return undefined;
    return source.kind === "memory" ? source.bytes.length : source.entry.size;
  }

  /** Streams content (a layer from its byte range), verified against the descriptor unless `verify: false`. */
  async openBlob(descriptor: Descriptor, options: OpenBlobOptions = {}): Promise<Readable> {
    const source = this.sources.get(descriptor.digest);
    if (source === undefined) throw new LayoutError("BLOB_NOT_FOUND", this.name, `${descriptor.digest} is not in the archive`);
    const raw = source.kind === "memory" ? Readable.from([source.bytes]) : rangeStream(this.dataPath, source.entry, options.signal);
    if (options.verify === false) return raw;
    const label = source.kind === "memory" ? `${this.name} manifest` : `${this.name} ${source.entry.name}`;
    return pipeline(raw, new VerifyingStream({ digest: descriptor.digest, size: descriptor.size, name: label }), () => undefined);
  }

  /**
   * Hashes every layer and config entry once (in archive order) against the
   * digest it stands for, and returns each mismatch by entry name: the check
   * to run before anything is written to a target.
   */
  async verifyAll(options: VerifyAllOptions = {}): Promise<VerifyAllResult> {
    const { problems, blobs, bytes } = await this.check(options);
    return { ok: problems.length === 0, blobs, bytes, problems: problems.map(({ entry, code, message }) => ({ entry, code, message })) };
  }

  /** `verifyAll` with each problem's expected digest kept, for the ContentVerificationError of `verifyLayers`. */
  private async check(options: VerifyAllOptions): Promise<{ problems: (VerifyProblem & { digest: Digest })[]; blobs: number; bytes: number }> {
    const entries = [...this.sources.entries()]
      .flatMap(([digest, source]) => (source.kind === "entry" ? [{ digest: digest as Digest, entry: source.entry }] : []))
      .sort((a, b) => a.entry.offset - b.entry.offset);
    const total = entries.reduce((sum, e) => sum + e.entry.size, 0);
    const problems: (VerifyProblem & { digest: Digest })[] = [];
    let bytes = 0;
    for (const { digest, entry } of entries) {
      options.signal?.throwIfAborted();
      try {
        await pipelineAsync(rangeStream(this.dataPath, entry, options.signal), new VerifyingStream({ digest, size: entry.size, name: entry.name }), async (source: AsyncIterable<Uint8Array>) => {
          for await (const _chunk of source) {
            // drain: the verifier hashes on the way through
          }
        });
      } catch (error) {
        if (!(error instanceof ContentVerificationError)) throw error;
        problems.push({ entry: entry.name, code: error.code, message: `${this.name}: ${error.message}`, digest });
      }
      bytes += entry.size;
      options.onProgress?.(bytes, total);
    }
    return { problems, blobs: entries.length, bytes };
  }

  /** Removes the temp copy of a compressed archive; the object must not be used afterwards. */
  async close(): Promise<void> {
    await this.expanded?.remove();
  }
}
