/**
 * `RegistryRepository`: one repository of one registry as a
 * {@link ContentWriter}, so the copy graph moves content between registries,
 * layouts and bundles through one interface.
 */
import { Readable, pipeline } from "node:stream";
import type { Digest } from "../../core/digest.js";
import { AirgapError } from "../../core/errors.js";
import { MANIFEST_MEDIA_TYPES } from "../../core/media-types.js";
import type { Descriptor } from "../../core/oci-types.js";
import type { CallOptions, ContentWriter, PushOptions } from "../content.js";
import { ContentVerificationError, MANIFEST_SIZE_LIMIT, VerifyingStream, readAllLimited } from "../verify.js";
import type { RegistryClient } from "./client.js";
import { RegistryError } from "./errors.js";
import { checkRepository, parseManifestReference } from "./names.js";

/** Manifest media types beyond the four image ones that are still manifests (served from /manifests/). */
const OTHER_MANIFEST_TYPES: readonly string[] = [
  "application/vnd.oci.artifact.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v1+prettyjws",
];

/** True when content with this media type lives under `/manifests/` rather than `/blobs/`. */
export function isManifestMediaType(mediaType: string): boolean {
  return MANIFEST_MEDIA_TYPES.includes(mediaType) || OTHER_MANIFEST_TYPES.includes(mediaType);
}

/** Settings of a {@link RegistryRepository}. */
export interface RegistryRepositoryOptions {
  /** Bytes of recently pushed or fetched manifests kept for `tag()`. Default 16 MiB. */
  readonly manifestCacheBytes?: number;
}

/** A small LRU of manifest bytes by digest, so tagging after a push does not download the manifest again. */
class ManifestCache {
  private readonly limit: number;
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;

  constructor(limit: number) {
    this.limit = limit;
  }

  get(digest: string): Buffer | undefined {
    const hit = this.entries.get(digest);
    if (hit !== undefined) {
      this.entries.delete(digest);
      this.entries.set(digest, hit);
    }
    return hit;
  }

  set(digest: string, bytes: Buffer): void {
    if (bytes.length > this.limit) return;
    const old = this.entries.get(digest);
    if (old !== undefined) {
      this.entries.delete(digest);
      this.bytes -= old.length;
    }
    this.entries.set(digest, bytes);
    this.bytes += bytes.length;
    for (const [key, value] of this.entries) {
      if (this.bytes <= this.limit) break;
      this.entries.delete(key);
      this.bytes -= value.length;
    }
  }
}

function notFound(client: RegistryClient, repository: string, descriptor: Descriptor, kind: "manifest" | "blob"): RegistryError {
  return new RegistryError({
    code: "REGISTRY_HTTP",
    message: `${kind} ${repository}@${descriptor.digest} not found on ${client.registry}`,
    registry: client.registry,
    method: "GET",
    url: `${client.baseUrl.origin}/v2/${repository}/${kind === "manifest" ? "manifests" : "blobs"}/${descriptor.digest}`,
    status: 404,
    errors: [{ code: kind === "manifest" ? "MANIFEST_UNKNOWN" : "BLOB_UNKNOWN", message: `${kind} unknown` }],
    temporary: false,
  });
}

/**
 * One repository of a registry as a content store. Manifests and blobs are
 * told apart by media type; pushed and fetched manifest bytes are cached so
 * that `tag()` re-PUTs them without a download.
 */
export class RegistryRepository implements ContentWriter {
  readonly client: RegistryClient;
  readonly repository: string;
  /** `registry/repository`, for messages and events. */
  readonly name: string;
  private readonly manifests: ManifestCache;

  constructor(client: RegistryClient, repository: string, options: RegistryRepositoryOptions = {}) {
    this.client = client;
    this.repository = checkRepository(repository);
    this.name = `${client.registry}/${repository}`;
    this.manifests = new ManifestCache(options.manifestCacheBytes ?? 16 * 1024 * 1024);
  }

  /**
   * Resolves a tag or digest to its manifest descriptor with a HEAD; falls
   * back to a GET (digest computed locally) when the HEAD answer lacks the
   * digest, size or a manifest media type. Undefined when absent.
   */
  async resolve(reference: string, options: CallOptions = {}): Promise<Descriptor | undefined> {
    parseManifestReference(reference);
    const head = await this.client.headManifest(this.repository, reference, options);
    if (!head.found) return undefined;
    if (head.digest !== undefined && head.size !== undefined && head.mediaType !== undefined && isManifestMediaType(head.mediaType)) {
      return { mediaType: head.mediaType, digest: head.digest, size: head.size };
    }
    const got = await this.client.getManifestAfterHead(this.repository, reference, head, options);
    if (!got.found) return undefined;
    this.manifests.set(got.manifest.descriptor.digest, got.manifest.bytes);
    return got.manifest.descriptor;
  }

  /** True when the manifest or blob is present in this repository. */
  async exists(descriptor: Descriptor, options: CallOptions = {}): Promise<boolean> {
    if (isManifestMediaType(descriptor.mediaType)) return (await this.client.headManifest(this.repository, descriptor.digest, options)).found;
    return (await this.client.headBlob(this.repository, descriptor.digest, options)).found;
  }

  /** Streams a manifest (verified bytes) or a blob (verified while streaming, resumed on resets). */
  async fetch(descriptor: Descriptor, options: CallOptions = {}): Promise<Readable> {
    if (isManifestMediaType(descriptor.mediaType)) {
      const bytes = await this.manifestBytes(descriptor, options);
      return Readable.from([bytes], { objectMode: false });
    }
    const opened = await this.client.openBlob(this.repository, { digest: descriptor.digest, size: descriptor.size }, options);
    if (!opened.found) throw notFound(this.client, this.repository, descriptor, "blob");
    return opened.stream;
  }

  /**
   * Stores content by digest: a manifest is read (≤ 4 MiB), verified and PUT
   * by digest; a blob is uploaded through a verifying stream. Nothing is
   * committed unless the bytes match the descriptor.
   */
  async push(descriptor: Descriptor, content: Readable, options: PushOptions = {}): Promise<void> {
    if (isManifestMediaType(descriptor.mediaType)) {
      const what = `manifest ${this.name}@${descriptor.digest}`;
      if (descriptor.size > MANIFEST_SIZE_LIMIT) {
        content.destroy();
        throw new AirgapError("TOO_LARGE", `${what} is ${descriptor.size} bytes, more than the ${MANIFEST_SIZE_LIMIT}-byte (4 MiB) limit registries accept; refusing to push it`);
      }
      const verifier = new VerifyingStream({ digest: descriptor.digest, size: descriptor.size, name: what });
      pipeline(content, verifier, () => undefined);
      const bytes = await readAllLimited(verifier, MANIFEST_SIZE_LIMIT, what);
      await this.client.putManifest(this.repository, descriptor.digest, bytes, descriptor.mediaType, options.signal !== undefined ? { signal: options.signal } : {});
      this.manifests.set(descriptor.digest, bytes);
      return;
    }
    await this.client.pushBlob(this.repository, descriptor, content, options);
  }

  /** Points `tag` at a manifest already in the repository, re-sending its exact bytes (cached from push/fetch when possible). */
  async tag(descriptor: Descriptor, tag: string, options: CallOptions = {}): Promise<void> {
    const parsed = parseManifestReference(tag);
    if (parsed.kind !== "tag") throw new RegistryError({ code: "REGISTRY_PROTOCOL", message: `tag(): "${tag}" is a digest, not a tag`, registry: this.client.registry, method: "PUT", url: this.name, temporary: false });
    const bytes = await this.manifestBytes(descriptor, options);
    await this.client.putManifest(this.repository, tag, bytes, descriptor.mediaType, options);
  }

  /** Cross-repository mount within the registry; false when declined (the caller uploads). */
  async mount(descriptor: Descriptor, fromRepository: string, options: CallOptions = {}): Promise<boolean> {
    const result = await this.client.mountBlob(this.repository, descriptor.digest, fromRepository, options);
    if (result.mounted) return true;
    if (result.session !== undefined) await this.client.cancelUpload(result.session);
    return false;
  }

  private async manifestBytes(descriptor: Descriptor, options: CallOptions): Promise<Buffer> {
    const cached = this.manifests.get(descriptor.digest);
    if (cached !== undefined) return cached;
    const got = await this.client.getManifest(this.repository, descriptor.digest, options);
    if (!got.found) throw notFound(this.client, this.repository, descriptor, "manifest");
    if (got.manifest.bytes.length !== descriptor.size) {
      throw new ContentVerificationError(`manifest ${this.name}@${descriptor.digest}: got ${got.manifest.bytes.length} bytes, expected ${descriptor.size}`, descriptor.digest as Digest);
    }
    this.manifests.set(descriptor.digest, got.manifest.bytes);
    return got.manifest.bytes;
  }
}
