/**
 * One repository of a source, as resolution needs it: list tags, get a
 * manifest's exact bytes by tag or digest, check a digest still exists. The
 * {@link ContentReader} underneath is what the copy graph reads from later.
 */
import type { Digest } from "../core/digest.js";
import { isDigest } from "../core/digest.js";
import type { Descriptor } from "../core/oci-types.js";
import type { CallOptions, ContentReader } from "../oci/content.js";
import { Annotation } from "../core/oci-types.js";
import type { LayoutStore } from "../oci/layout/index.js";
import { LayoutError, readManifest } from "../oci/layout/index.js";
import { RegistryRepository, type RegistryClient } from "../oci/registry/index.js";

/** A manifest's exact bytes and its descriptor (digest computed from the bytes). */
export interface SourceManifest {
  readonly descriptor: Descriptor;
  readonly bytes: Buffer;
}

/** What resolution asks of one repository of a source. */
export interface SourceRepository {
  /** Human name for messages: `127.0.0.1:5000/team/app`, `oci:/srv/content:library/hello`. */
  readonly name: string;
  /** The content reader for copying from this repository. */
  readonly reader: ContentReader;
  /** Every tag; none when the repository does not exist. */
  listTags(options?: CallOptions): Promise<string[]>;
  /** The manifest a tag or digest names, or undefined when absent. */
  getManifest(reference: string, options?: CallOptions): Promise<SourceManifest | undefined>;
  /** True when a manifest with this digest is present (a HEAD by digest on a registry). */
  hasManifest(digest: Digest, options?: CallOptions): Promise<boolean>;
}

/** A registry repository: tags from `/tags/list`, manifests by GET, presence by HEAD. */
export class RegistrySourceRepository implements SourceRepository {
  readonly name: string;
  readonly reader: RegistryRepository;
  private readonly client: RegistryClient;
  private readonly repository: string;

  /** `displayName` names the repository as references do (`host/repository`), when the client's URL is another host (a source `url`). */
  constructor(client: RegistryClient, repository: string, displayName?: string) {
    this.client = client;
    this.repository = repository;
    this.reader = new RegistryRepository(client, repository);
    this.name = displayName ?? this.reader.name;
  }

  listTags(options: CallOptions = {}): Promise<string[]> {
    return this.client.listTags(this.repository, options);
  }

  /** One GET by tag or digest: the digest is computed from the bytes and checked against the registry's. */
  async getManifest(reference: string, options: CallOptions = {}): Promise<SourceManifest | undefined> {
    const got = await this.client.getManifest(this.repository, reference, options);
    return got.found ? { descriptor: got.manifest.descriptor, bytes: got.manifest.bytes } : undefined;
  }

  async hasManifest(digest: Digest, options: CallOptions = {}): Promise<boolean> {
    return (await this.client.headManifest(this.repository, digest, options)).found;
  }
}

/** The tags `index.json` offers a repository, with the precedence rules of ref-name.ts. */
export function layoutTags(entries: readonly Descriptor[], repository: string): string[] {
  const prefix = `${repository}:`;
  const tags: string[] = [];
  for (const d of entries) {
    const refName = d.annotations?.[Annotation.RefName];
    const containerd = d.annotations?.[Annotation.ContainerdImageName];
    for (const name of [refName, containerd]) {
      if (name !== undefined && name.startsWith(prefix) && !name.slice(prefix.length).includes("/")) tags.push(name.slice(prefix.length));
    }
    // A bare tag (skopeo's `oci:DIR:TAG`) belongs to every repository unless a containerd name says otherwise.
    if (refName !== undefined && /^[\w][\w.-]{0,127}$/.test(refName) && (containerd === undefined || containerd === `${prefix}${refName}`)) tags.push(refName);
  }
  return [...new Set(tags)];
}

/**
 * A repository inside an OCI layout (directory or tar). Layouts name images
 * inconsistently (see ref-name.ts), so a repository is looked up under
 * several candidate names, in order: `registry/repository` (airgap,
 * containerd), then `repository` (skopeo given a short name), then the
 * docker short form (`nginx` for `docker.io/library/nginx`).
 */
export class LayoutSourceRepository implements SourceRepository {
  readonly name: string;
  readonly reader: ContentReader;
  private readonly store: LayoutStore & { repository(name: string): ContentReader };
  private readonly candidates: readonly string[];

  constructor(store: LayoutStore & { repository(name: string): ContentReader }, candidates: readonly string[]) {
    this.store = store;
    this.candidates = candidates;
    const first = candidates[0] ?? "";
    this.name = `${store.name}:${first}`;
    this.reader = new CandidateReader(this.name, candidates.map((c) => store.repository(c)));
  }

  async listTags(options: CallOptions = {}): Promise<string[]> {
    const index = await this.store.readIndex(options);
    return [...new Set(this.candidates.flatMap((c) => layoutTags(index.manifests, c)))];
  }

  async getManifest(reference: string, options: CallOptions = {}): Promise<SourceManifest | undefined> {
    const found = await this.reader.resolve(reference, options);
    if (found === undefined) return undefined;
    return readLayoutManifest(this.store, found, options);
  }

  async hasManifest(digest: Digest, options: CallOptions = {}): Promise<boolean> {
    return (await this.store.blobSize(digest, options)) !== undefined;
  }
}

/** Reads a manifest out of a layout; a digest that names no manifest is absent. */
export async function readLayoutManifest(store: LayoutStore, found: Descriptor, options: CallOptions = {}): Promise<SourceManifest | undefined> {
  try {
    const content = await readManifest(store, found, options);
    return { descriptor: { mediaType: found.mediaType, digest: found.digest, size: found.size }, bytes: content.bytes };
  } catch (error) {
    if (error instanceof LayoutError && error.code === "BLOB_NOT_FOUND") return undefined;
    throw error;
  }
}

/** Resolves through the first candidate repository that knows the reference; blobs are shared by all. */
class CandidateReader implements ContentReader {
  readonly name: string;
  private readonly readers: readonly ContentReader[];

  constructor(name: string, readers: readonly ContentReader[]) {
    this.name = name;
    this.readers = readers;
  }

  async resolve(reference: string, options: CallOptions = {}): Promise<Descriptor | undefined> {
    if (isDigest(reference)) return this.readers[0]?.resolve(reference, options);
    for (const reader of this.readers) {
      const found = await reader.resolve(reference, options);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  async exists(descriptor: Descriptor, options: CallOptions = {}): Promise<boolean> {
    return (await this.readers[0]?.exists(descriptor, options)) ?? false;
  }

  fetch(descriptor: Descriptor, options: CallOptions = {}): ReturnType<ContentReader["fetch"]> {
    const reader = this.readers[0];
    if (reader === undefined) throw new LayoutError("INVALID_REFERENCE", this.name, "no repository name to read");
    return reader.fetch(descriptor, options);
  }
}

/** The names a repository may have in a layout, most specific first (see {@link LayoutSourceRepository}). */
export function layoutCandidates(registry: string, repository: string): string[] {
  const names = [`${registry}/${repository}`, repository];
  if (registry === "docker.io" && repository.startsWith("library/")) names.push(repository.slice("library/".length));
  return [...new Set(names)];
}
