/**
 * An in-memory registry whose repositories implement ContentWriter as
 * faithfully as the real ones must: content is verified on push (digest and
 * size), a manifest is refused unless everything it references is already in
 * the repository (distribution's MANIFEST_BLOB_UNKNOWN), tags need the
 * manifest, mounts only work from a repository that has the blob, and fetch
 * streams are verified. Every call is counted and every write is logged in
 * order, so tests can prove ordering, skipping and deduplication.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Readable, pipeline } from "node:stream";
import type { Digest } from "../../../../src/core/digest.js";
import { isDigest } from "../../../../src/core/digest.js";
import type { Descriptor } from "../../../../src/core/oci-types.js";
import type { CallOptions, ContentWriter } from "../../../../src/oci/content.js";
import { isManifestDescriptor } from "../../../../src/oci/copy/index.js";
import { ContentVerificationError, VerifyingStream, digestOf } from "../../../../src/oci/verify.js";

/** One write, in the order it was committed. */
export interface WriteRecord {
  readonly seq: number;
  readonly op: "push-blob" | "push-manifest" | "mount" | "tag";
  readonly repository: string;
  readonly digest: string;
  readonly tag?: string;
}

/** Calls made to one repository. */
export interface CallCounts {
  resolve: number;
  exists: number;
  fetch: number;
  push: number;
  pushBlob: number;
  pushManifest: number;
  mount: number;
  tag: number;
}

/** How the registry behaves. */
export interface MemoryRegistryOptions {
  /** `supported` (default), `declined` (mount returns false), `absent` (no mount method). */
  readonly mount?: "supported" | "declined" | "absent";
  /** Delay before a blob push commits, to make concurrency observable. */
  readonly blobPushDelayMs?: number;
  /** Called when a push starts reading; may block (await) to hold pushes. */
  readonly onPushStart?: (repository: string, descriptor: Descriptor) => Promise<void> | void;
  /** Chunk size of fetch streams. Default 16 KiB. */
  readonly chunkSize?: number;
}

interface RepoState {
  readonly blobs: Set<string>;
  readonly manifests: Set<string>;
  readonly tags: Map<string, Descriptor>;
}

class NotFoundError extends Error {
  constructor(what: string) {
    super(`${what} not found`);
    this.name = "NotFoundError";
  }
}

function chunksOf(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out.length === 0 ? [Buffer.alloc(0)] : out;
}

function referencedBy(bytes: Buffer): { manifests: Descriptor[]; blobs: Descriptor[] } {
  const doc = JSON.parse(bytes.toString("utf8")) as { manifests?: Descriptor[]; config?: Descriptor; layers?: Descriptor[]; blobs?: Descriptor[] };
  if (doc.manifests !== undefined) return { manifests: doc.manifests, blobs: [] };
  return { manifests: [], blobs: [...(doc.config !== undefined ? [doc.config] : []), ...(doc.layers ?? []), ...(doc.blobs ?? [])] };
}

/** A registry: one content-addressed store, many repositories. */
export class MemoryRegistry {
  readonly name: string;
  readonly options: MemoryRegistryOptions;
  /** digest → bytes, shared by every repository (what a repository may read is its own set). */
  readonly content = new Map<string, Buffer>();
  readonly repos = new Map<string, RepoState>();
  readonly log: WriteRecord[] = [];
  private seq = 0;
  activeBlobPushes = 0;
  maxActiveBlobPushes = 0;

  constructor(name = "mem.example", options: MemoryRegistryOptions = {}) {
    this.name = name;
    this.options = options;
  }

  /** The ContentWriter of one repository (created empty on first use). */
  repository(name: string): MemoryStore {
    return new MemoryStore(this, name);
  }

  state(repository: string): RepoState {
    let state = this.repos.get(repository);
    if (state === undefined) this.repos.set(repository, (state = { blobs: new Set(), manifests: new Set(), tags: new Map() }));
    return state;
  }

  record(entry: Omit<WriteRecord, "seq">): void {
    this.log.push({ seq: ++this.seq, ...entry });
  }

  /** Seeds content directly (no log, no counts): for preparing sources. */
  seed(repository: string, descriptor: { digest: string }, bytes: Buffer, kind: "blob" | "manifest"): void {
    this.content.set(descriptor.digest, bytes);
    const state = this.state(repository);
    (kind === "blob" ? state.blobs : state.manifests).add(descriptor.digest);
  }

  /** Replaces stored bytes (a corrupt source): fetches of that digest then fail verification. */
  tamper(digest: string, bytes: Buffer): void {
    this.content.set(digest, bytes);
  }

  /** Writes of one kind, in commit order. */
  writes(op?: WriteRecord["op"]): WriteRecord[] {
    return op === undefined ? [...this.log] : this.log.filter((r) => r.op === op);
  }
}

/** One repository of a {@link MemoryRegistry}. */
export class MemoryStore implements ContentWriter {
  readonly registry: MemoryRegistry;
  readonly repository: string;
  readonly name: string;
  readonly counts: CallCounts = { resolve: 0, exists: 0, fetch: 0, push: 0, pushBlob: 0, pushManifest: 0, mount: 0, tag: 0 };
  declare mount?: (descriptor: Descriptor, fromRepository: string, options?: CallOptions) => Promise<boolean>;

  constructor(registry: MemoryRegistry, repository: string) {
    this.registry = registry;
    this.repository = repository;
    this.name = `${registry.name}/${repository}`;
    const mode = registry.options.mount ?? "supported";
    if (mode !== "absent") this.mount = (descriptor, from, options) => this.mountBlob(descriptor, from, mode === "supported", options);
  }

  private get state(): RepoState {
    return this.registry.state(this.repository);
  }

  private has(descriptor: Descriptor): boolean {
    return isManifestDescriptor(descriptor) ? this.state.manifests.has(descriptor.digest) : this.state.blobs.has(descriptor.digest);
  }

  async resolve(reference: string, options: CallOptions = {}): Promise<Descriptor | undefined> {
    options.signal?.throwIfAborted();
    this.counts.resolve++;
    if (isDigest(reference)) {
      const bytes = this.state.manifests.has(reference) ? this.registry.content.get(reference) : undefined;
      if (bytes === undefined) return undefined;
      const mediaType = (JSON.parse(bytes.toString("utf8")) as { mediaType?: string }).mediaType ?? "application/vnd.oci.image.manifest.v1+json";
      return { mediaType, digest: reference as Digest, size: bytes.length };
    }
    return this.state.tags.get(reference);
  }

  async exists(descriptor: Descriptor, options: CallOptions = {}): Promise<boolean> {
    options.signal?.throwIfAborted();
    this.counts.exists++;
    return this.has(descriptor);
  }

  async fetch(descriptor: Descriptor, options: CallOptions = {}): Promise<Readable> {
    options.signal?.throwIfAborted();
    this.counts.fetch++;
    const bytes = this.has(descriptor) ? this.registry.content.get(descriptor.digest) : undefined;
    if (bytes === undefined) throw new NotFoundError(`${this.name}@${descriptor.digest}`);
    const verifier = new VerifyingStream({ digest: descriptor.digest, size: descriptor.size, name: `${this.name}@${descriptor.digest}` });
    pipeline(Readable.from(chunksOf(bytes, this.registry.options.chunkSize ?? 16 * 1024)), verifier, () => undefined);
    return verifier;
  }

  async push(descriptor: Descriptor, content: Readable, options: CallOptions = {}): Promise<void> {
    this.counts.push++;
    const manifest = isManifestDescriptor(descriptor);
    if (manifest) this.counts.pushManifest++;
    else this.counts.pushBlob++;
    const registry = this.registry;
    if (!manifest) {
      registry.activeBlobPushes++;
      registry.maxActiveBlobPushes = Math.max(registry.maxActiveBlobPushes, registry.activeBlobPushes);
    }
    try {
      await registry.options.onPushStart?.(this.repository, descriptor);
      const chunks: Buffer[] = [];
      for await (const chunk of content) {
        options.signal?.throwIfAborted();
        chunks.push(Buffer.from(chunk as Uint8Array));
      }
      const bytes = Buffer.concat(chunks);
      if (bytes.length !== descriptor.size) throw new ContentVerificationError(`push ${descriptor.digest}: ${bytes.length} bytes, expected ${descriptor.size}`, descriptor.digest);
      const actual = digestOf(bytes, descriptor.digest);
      if (actual !== descriptor.digest) throw new ContentVerificationError(`push ${descriptor.digest}: got ${actual}`, descriptor.digest, actual);
      if (!manifest && registry.options.blobPushDelayMs !== undefined) await sleep(registry.options.blobPushDelayMs, undefined, options.signal === undefined ? {} : { signal: options.signal });
      options.signal?.throwIfAborted();
      if (manifest) {
        const refs = referencedBy(bytes);
        for (const m of refs.manifests) if (!this.state.manifests.has(m.digest)) throw new Error(`MANIFEST_UNKNOWN: ${descriptor.digest} references manifest ${m.digest} not in ${this.name}`);
        for (const b of refs.blobs) {
          if (b.urls !== undefined && b.urls.length > 0) continue;
          if (!this.state.blobs.has(b.digest)) throw new Error(`MANIFEST_BLOB_UNKNOWN: ${descriptor.digest} references blob ${b.digest} not in ${this.name}`);
        }
      }
      registry.content.set(descriptor.digest, bytes);
      (manifest ? this.state.manifests : this.state.blobs).add(descriptor.digest);
      registry.record({ op: manifest ? "push-manifest" : "push-blob", repository: this.repository, digest: descriptor.digest });
    } finally {
      if (!manifest) registry.activeBlobPushes--;
    }
  }

  async tag(descriptor: Descriptor, tag: string, options: CallOptions = {}): Promise<void> {
    options.signal?.throwIfAborted();
    this.counts.tag++;
    if (!this.state.manifests.has(descriptor.digest)) throw new Error(`MANIFEST_UNKNOWN: cannot tag ${tag}: ${descriptor.digest} not in ${this.name}`);
    this.state.tags.set(tag, { mediaType: descriptor.mediaType, digest: descriptor.digest, size: descriptor.size });
    this.registry.record({ op: "tag", repository: this.repository, digest: descriptor.digest, tag });
  }

  private async mountBlob(descriptor: Descriptor, from: string, supported: boolean, options: CallOptions = {}): Promise<boolean> {
    options.signal?.throwIfAborted();
    this.counts.mount++;
    if (!supported || !this.registry.state(from).blobs.has(descriptor.digest)) return false;
    this.state.blobs.add(descriptor.digest);
    this.registry.record({ op: "mount", repository: this.repository, digest: descriptor.digest });
    return true;
  }
}
