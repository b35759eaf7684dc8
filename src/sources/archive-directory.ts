/**
 * `oci-archives` sources: a directory of per-image OCI archives named the
 * MKE way, `&` for `/` and `@` for `:` (the tag separator), e.g.
 * `registry.mirantis.com&k0rdent-enterprise&k0s@v1.31.5-k0s.0.tar` holds
 * `registry.mirantis.com/k0rdent-enterprise/k0s:v1.31.5-k0s.0`. The file
 * names are the tag list; each archive is an OCI layout tar read in place.
 *
 * Inside an archive the image is found by the usual ref-name rules; an
 * archive with a single image that names it some other way (or not at all)
 * is taken to hold the image its file name says.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import type { Digest } from "../core/digest.js";
import { isDigest } from "../core/digest.js";
import type { Descriptor } from "../core/oci-types.js";
import type { CallOptions, ContentReader } from "../oci/content.js";
import type { OciLayoutTar } from "../oci/layout/index.js";
import { LayoutError } from "../oci/layout/index.js";
import { ResolveError } from "./errors.js";
import { layoutCandidates, LayoutSourceRepository, readLayoutManifest, type SourceManifest, type SourceRepository } from "./source-repository.js";

const ARCHIVE_SUFFIX = /\.(tar|tar\.gz|tgz)$/;

/** The MKE file name of `name:tag` (`a/b/c`, `1.0` → `a&b&c@1.0.tar`). */
export function mkeArchiveName(name: string, tag: string): string {
  return `${name.split("/").join("&")}@${tag}.tar`;
}

/** The image a MKE-style file name stands for, or undefined when the name does not follow the convention. */
export function parseMkeArchiveName(file: string): { readonly name: string; readonly tag: string } | undefined {
  const match = ARCHIVE_SUFFIX.exec(file);
  if (match === null) return undefined;
  const base = file.slice(0, match.index);
  const at = base.lastIndexOf("@");
  if (at <= 0 || at === base.length - 1) return undefined;
  return { name: base.slice(0, at).split("&").join("/"), tag: base.slice(at + 1) };
}

/** Opens (and caches) an archive; supplied by the SourceOpener, which closes them. */
export type ArchiveOpener = (path: string, options: CallOptions) => Promise<OciLayoutTar>;

/** A directory of MKE-style archives. */
export class ArchiveDirectory {
  readonly path: string;
  private readonly open: ArchiveOpener;
  private listing: Promise<ReadonlyMap<string, ReadonlyMap<string, string>>> | undefined;

  constructor(path: string, open: ArchiveOpener) {
    this.path = path;
    this.open = open;
  }

  /** Image name → tag → file, read once. */
  archives(): Promise<ReadonlyMap<string, ReadonlyMap<string, string>>> {
    this.listing ??= readdir(this.path).then(
      (files) => {
        const out = new Map<string, Map<string, string>>();
        for (const file of [...files].sort()) {
          const parsed = parseMkeArchiveName(file);
          if (parsed === undefined) continue;
          const tags = out.get(parsed.name) ?? new Map<string, string>();
          if (!tags.has(parsed.tag)) tags.set(parsed.tag, join(this.path, file));
          out.set(parsed.name, tags);
        }
        return out;
      },
      (error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") throw new ResolveError("SOURCE_NOT_FOUND", `oci-archives directory ${this.path} does not exist`, { cause: error });
        if (error.code === "ENOTDIR") throw new ResolveError("SOURCE_INVALID", `oci-archives source ${this.path} is not a directory`, { cause: error });
        throw error;
      },
    );
    return this.listing;
  }

  /** One repository's archives. */
  repository(registry: string, repository: string): ArchiveDirectoryRepository {
    return new ArchiveDirectoryRepository(this, registry, repository, this.open);
  }
}

/** The archives of one repository, as a source repository and a content reader. */
export class ArchiveDirectoryRepository implements SourceRepository, ContentReader {
  readonly name: string;
  readonly reader: ContentReader = this;
  private readonly directory: ArchiveDirectory;
  private readonly candidates: readonly string[];
  private readonly open: ArchiveOpener;
  /** Archives opened so far, in the order they were opened. */
  private readonly opened: OciLayoutTar[] = [];

  constructor(directory: ArchiveDirectory, registry: string, repository: string, open: ArchiveOpener) {
    this.directory = directory;
    this.candidates = layoutCandidates(registry, repository);
    this.open = open;
    this.name = `oci-archives:${directory.path}:${registry}/${repository}`;
  }

  /** Tag → archive file of this repository (the most specific name wins when several match). */
  private async files(): Promise<Map<string, string>> {
    const all = await this.directory.archives();
    const out = new Map<string, string>();
    for (const name of this.candidates) {
      for (const [tag, file] of all.get(name) ?? []) if (!out.has(tag)) out.set(tag, file);
    }
    return out;
  }

  private async openArchive(file: string, options: CallOptions): Promise<OciLayoutTar> {
    const tar = await this.open(file, options);
    if (!this.opened.includes(tar)) this.opened.push(tar);
    return tar;
  }

  async listTags(_options: CallOptions = {}): Promise<string[]> {
    return [...(await this.files()).keys()];
  }

  private async fromArchive(tar: OciLayoutTar, reference: string, options: CallOptions): Promise<SourceManifest | undefined> {
    const inner = new LayoutSourceRepository(tar, this.candidates);
    const found = await inner.getManifest(reference, options);
    if (found !== undefined || isDigest(reference)) return found;
    const entries = await tar.entries(options);
    const only = entries.length === 1 ? entries[0] : undefined;
    return only !== undefined ? readLayoutManifest(tar, only, options) : undefined;
  }

  /** The archive holding a digest: those already opened first, then every archive of the repository. */
  private async archiveWith(digest: Digest, options: CallOptions): Promise<OciLayoutTar | undefined> {
    for (const tar of this.opened) if ((await tar.blobSize(digest, options)) !== undefined) return tar;
    for (const file of (await this.files()).values()) {
      const tar = await this.openArchive(file, options);
      if ((await tar.blobSize(digest, options)) !== undefined) return tar;
    }
    return undefined;
  }

  async getManifest(reference: string, options: CallOptions = {}): Promise<SourceManifest | undefined> {
    if (isDigest(reference)) {
      const tar = await this.archiveWith(reference, options);
      return tar !== undefined ? this.fromArchive(tar, reference, options) : undefined;
    }
    const file = (await this.files()).get(reference);
    if (file === undefined) return undefined;
    return this.fromArchive(await this.openArchive(file, options), reference, options);
  }

  async hasManifest(digest: Digest, options: CallOptions = {}): Promise<boolean> {
    return (await this.archiveWith(digest, options)) !== undefined;
  }

  async resolve(reference: string, options: CallOptions = {}): Promise<Descriptor | undefined> {
    return (await this.getManifest(reference, options))?.descriptor;
  }

  async exists(descriptor: Descriptor, options: CallOptions = {}): Promise<boolean> {
    for (const tar of this.opened) if (await tar.hasBlob(descriptor, options)) return true;
    return false;
  }

  async fetch(descriptor: Descriptor, options: CallOptions = {}): Promise<Readable> {
    const tar = await this.archiveWith(descriptor.digest, options);
    if (tar === undefined) throw new LayoutError("BLOB_NOT_FOUND", this.name, `${descriptor.digest} is in none of the archives of this repository`);
    return tar.openBlob(descriptor, options);
  }
}
