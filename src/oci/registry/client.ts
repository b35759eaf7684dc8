/**
 * `RegistryClient`: the distribution API of ONE registry (base URL, TLS
 * policy, credentials, limits), as the rest of airgap uses it. The endpoint
 * families live in their own files (manifests, blobs, uploads, listing,
 * referrers); this class binds them to one connection and its limits.
 */
import type { Digest } from "../../core/digest.js";
import { openBlob, headBlob, type BlobFetchOptions, type BlobHeadResult, type BlobOpenResult } from "./blobs.js";
import { RegistryConnection, type PingResult, type RegistryEndpointOptions } from "./connection.js";
import { listCatalog, listTags, tagPages, type ListOptions } from "./listing.js";
import {
  deleteManifest,
  getManifest,
  headManifest,
  putManifest,
  type CallSignal,
  type DeleteResult,
  type FetchedManifest,
  type ManifestGetResult,
  type ManifestHeadResult,
  type PutManifestResult,
} from "./manifests.js";
import { RegistryError } from "./errors.js";
import { ManifestMemo } from "./manifest-memo.js";
import { parseManifestReference } from "./names.js";
import { listReferrers, type ReferrersOptions, type ReferrersResult } from "./referrers.js";
import { cancelUpload, mountBlob, startUpload, type MountResult, type UploadSession } from "./upload-session.js";
import { DEFAULT_UPLOAD_LIMITS, pushBlob, type BlobSource, type PushBlobOptions, type PushBlobResult, type UploadLimits } from "./uploads.js";

function found(manifest: FetchedManifest | undefined): ManifestGetResult {
  return manifest !== undefined ? { found: true, manifest } : { found: false };
}

/** Limits of one client; every field optional. */
export interface RegistryLimits extends UploadLimits {
  /** How many times a broken blob download is resumed with a Range request. Default 5. */
  readonly maxBlobResumes: number;
}

/**
 * Settings of a {@link RegistryClient}: `url` and the command's `transport`
 * are required; `concurrency` is this client's own per-host limit;
 * `limits.mode` picks how large blobs are uploaded (`stream`, `chunked`,
 * `single-shot` for ECR).
 */
export interface RegistryClientOptions extends RegistryEndpointOptions {
  readonly limits?: Partial<RegistryLimits>;
}

/**
 * A client for one registry. Create one per registry and reuse it: it
 * caches the registry's auth scheme and tokens. All methods take an
 * AbortSignal; "not found" is a result (`found: false`), failures are
 * {@link RegistryError} (or `ContentVerificationError` for bad content).
 */
export class RegistryClient {
  /** The connection (base URL, auth, transport) shared by the endpoint helpers. */
  readonly connection: RegistryConnection;
  readonly limits: RegistryLimits;
  /** Manifests fetched in this run, by digest (a client lives for one command run). */
  private readonly memo = new ManifestMemo();

  constructor(options: RegistryClientOptions) {
    this.connection = new RegistryConnection(options);
    this.limits = { ...DEFAULT_UPLOAD_LIMITS, maxBlobResumes: 5, ...options.limits };
  }

  /** Registry name for messages and references (`127.0.0.1:5000`, `docker.io`). */
  get registry(): string {
    return this.connection.registry;
  }

  /** The API base URL (`https://host:port`). */
  get baseUrl(): URL {
    return this.connection.baseUrl;
  }

  /** `GET /v2/`: is it a registry, and do the credentials work? */
  ping(options: CallSignal = {}): Promise<PingResult> {
    return this.connection.ping(options);
  }

  /** HEAD a manifest by tag or digest. */
  headManifest(repository: string, reference: string, options: CallSignal = {}): Promise<ManifestHeadResult> {
    return headManifest(this.connection, repository, reference, options);
  }

  /**
   * GET a manifest (all four types accepted), verified and limited to 4 MiB,
   * once per digest per run: a digest is looked up in this client's memo
   * first; a tag is resolved to its digest with a HEAD (which registries
   * such as Docker Hub do not count against pull limits) and then read by
   * digest, so many tags on one image cost one GET. When that path fails
   * (no digest in the HEAD answer, an HTTP refusal, a tag that moved in
   * between), the tag is read directly, so the answer and its error
   * messages are those of a plain GET; network failures are not tried twice.
   */
  async getManifest(repository: string, reference: string, options: CallSignal = {}): Promise<ManifestGetResult> {
    const ref = parseManifestReference(reference);
    if (ref.kind === "digest") return found(await this.manifestByDigest(repository, ref.digest, options));
    // A HEAD answer has no body: for an HTTP or auth refusal, the GET below says what the registry said.
    const head = await headManifest(this.connection, repository, reference, options).catch((error: unknown) => {
      if (error instanceof RegistryError && (error.code === "REGISTRY_HTTP" || error.code === "REGISTRY_AUTH")) return undefined;
      throw error;
    });
    if (head !== undefined && !head.found) return { found: false };
    return this.getManifestAfterHead(repository, reference, head, options);
  }

  /**
   * The manifest of a tag (or digest) whose HEAD answer the caller already has (so it is
   * not asked twice): read by the digest it names, through the memo, else by
   * tag. `head` undefined means the HEAD failed or was not made.
   */
  async getManifestAfterHead(repository: string, reference: string, head: ManifestHeadResult | undefined, options: CallSignal = {}): Promise<ManifestGetResult> {
    if (head?.found === true && head.digest !== undefined) {
      // A refusal, or bytes that do not match the digest the HEAD named (a lying header), fall back
      // to the tag, whose GET says what the registry did; a network failure or an abort is said as
      // it is, not met again by a second request.
      const manifest = await this.manifestByDigest(repository, head.digest, options).catch((error: unknown) => {
        const code = (error as { code?: unknown }).code;
        if (code === "REGISTRY_HTTP" || code === "REGISTRY_AUTH" || code === "CONTENT_MISMATCH") return undefined;
        throw error;
      });
      if (manifest !== undefined) return { found: true, manifest };
    }
    const got = await getManifest(this.connection, repository, reference, options);
    if (got.found) this.memo.put(repository, got.manifest);
    return got;
  }

  private manifestByDigest(repository: string, digest: string, options: CallSignal): Promise<FetchedManifest | undefined> {
    return this.memo.get(
      repository,
      digest,
      async () => {
        const got = await getManifest(this.connection, repository, digest, options);
        return got.found ? got.manifest : undefined;
      },
      options.signal,
    );
  }

  /** PUT a manifest's exact bytes under a tag or digest. */
  putManifest(repository: string, reference: string, bytes: Uint8Array, mediaType: string, options: CallSignal = {}): Promise<PutManifestResult> {
    return putManifest(this.connection, repository, reference, bytes, mediaType, options);
  }

  /** DELETE a manifest by digest. */
  deleteManifest(repository: string, digest: string, options: CallSignal = {}): Promise<DeleteResult> {
    return deleteManifest(this.connection, repository, digest, options);
  }

  /** HEAD a blob. */
  headBlob(repository: string, digest: string, options: CallSignal = {}): Promise<BlobHeadResult> {
    return headBlob(this.connection, repository, digest, options);
  }

  /** Opens a blob as a verifying, resuming stream. */
  openBlob(repository: string, expected: { readonly digest: string; readonly size?: number }, options: BlobFetchOptions = {}): Promise<BlobOpenResult> {
    return openBlob(this.connection, repository, expected, { maxResumes: this.limits.maxBlobResumes, ...options });
  }

  /** Uploads a blob (mount first when `mountFrom` is given), verified while sent; survives temporary failures (see uploads.ts). */
  pushBlob(repository: string, descriptor: { readonly digest: string; readonly size: number }, source: BlobSource, options: PushBlobOptions = {}): Promise<PushBlobResult> {
    return pushBlob(this.connection, repository, descriptor, source, { ...options, limits: { ...this.limits, ...options.limits } });
  }

  /** Cross-repository mount; `mounted: false` carries the session the registry opened instead (use or cancel it). */
  mountBlob(repository: string, digest: string, fromRepository: string, options: CallSignal = {}): Promise<MountResult> {
    return mountBlob(this.connection, repository, digest, fromRepository, options);
  }

  /** Opens an upload session (for callers driving uploads themselves). */
  startUpload(repository: string, options: CallSignal = {}): Promise<UploadSession> {
    return startUpload(this.connection, repository, options);
  }

  /** Cancels an upload session, ignoring failures. */
  cancelUpload(session: UploadSession): Promise<void> {
    return cancelUpload(this.connection, session);
  }

  /** Every tag of a repository (Link pagination); none for an absent repository. */
  listTags(repository: string, options: ListOptions = {}): Promise<string[]> {
    return listTags(this.connection, repository, options);
  }

  /** Tags page by page, for very large repositories. */
  tagPages(repository: string, options: ListOptions = {}): AsyncGenerator<readonly string[]> {
    return tagPages(this.connection, repository, options);
  }

  /** Every repository in `/v2/_catalog` (where the registry allows it). */
  listCatalog(options: ListOptions = {}): Promise<string[]> {
    return listCatalog(this.connection, options);
  }

  /** Referrers of a manifest (API, or the `sha256-<hex>` tag fallback). */
  listReferrers(repository: string, digest: Digest | string, options: ReferrersOptions = {}): Promise<ReferrersResult> {
    return listReferrers(this.connection, repository, digest, options);
  }
}
