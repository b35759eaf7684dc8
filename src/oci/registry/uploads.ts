/**
 * Blob uploads (distribution-spec §Pushing blobs): POST a session, then one
 * monolithic PUT `?digest=` or, for large blobs, chunked PATCHes with
 * Content-Range that resume from the registry's upload status after a
 * failure; cross-repository mounts with fallback to an upload. The content
 * always passes through {@link VerifyingStream}: a blob whose bytes do not
 * match its digest is refused and its upload is never completed.
 *
 * Upload Locations on another host are followed without the registry's
 * credentials (the spec allows offloading uploads; such URLs carry their own
 * authorisation); a Location that downgrades https to http is refused.
 */
import { Readable, pipeline } from "node:stream";
import type { Digest } from "../../core/digest.js";
import { AirgapError } from "../../core/errors.js";
import { redactUrl } from "../../core/redact.js";
import { ContentVerificationError, VerifyingStream, readAllLimited } from "../verify.js";
import { ChunkReader, holdLastChunk } from "./chunk-reader.js";
import type { RegistryConnection } from "./connection.js";
import { RegistryError, isTemporaryStatus } from "./errors.js";
import { resolveLocation, withQuery } from "./location.js";
import type { CallSignal } from "./manifests.js";
import { checkDigest, checkRepository } from "./names.js";
import { discard, responseError } from "./response.js";
import { mountScopes, repositoryScope } from "./scope.js";
import { isRetryableNetworkError } from "./network-errors.js";
import { headerValue, type TransportResponse } from "./transport.js";

/** Size thresholds of the upload strategies. */
export interface UploadLimits {
  /** Blobs up to this size are read into memory, verified, then sent (and can be retried). Default 4 MiB. */
  readonly inMemoryLimit: number;
  /** Blobs above this size are uploaded in chunks. Default 64 MiB. */
  readonly chunkedThreshold: number;
  /** Size of each PATCH (raised to the registry's `OCI-Chunk-Min-Length`). Default 16 MiB. */
  readonly chunkSize: number;
}

/** Defaults per providers-notes §1.4 (monolithic below 64 MiB, chunks ≥ 5 MiB). */
export const DEFAULT_UPLOAD_LIMITS: UploadLimits = {
  inMemoryLimit: 4 * 1024 * 1024,
  chunkedThreshold: 64 * 1024 * 1024,
  chunkSize: 16 * 1024 * 1024,
};

/**
 * Blob content: a stream (sent once; a failed upload is not retried), or a
 * factory that opens the content again, which lets a failed streamed upload
 * start over on a new session.
 */
export type BlobSource = Readable | (() => Readable | Promise<Readable>);

/** Options of {@link pushBlob}. */
export interface PushBlobOptions extends CallSignal {
  readonly limits?: Partial<UploadLimits>;
  /** Try a cross-repository mount from this repository of the same registry first. */
  readonly mountFrom?: string;
  readonly onProgress?: (bytes: number) => void;
}

/** How a blob got into the repository. */
export interface PushBlobResult {
  readonly digest: Digest;
  readonly size: number;
  readonly method: "mounted" | "monolithic" | "chunked";
}

/** An open upload session (the registry's Location and chunk rules). */
export interface UploadSession {
  readonly repository: string;
  readonly location: URL;
  /** `OCI-Chunk-Min-Length` of the POST answer. */
  readonly minChunkLength: number | undefined;
}

/** Outcome of a mount request: mounted, or declined with the upload session the registry opened instead (202). */
export type MountResult = { readonly mounted: true } | { readonly mounted: false; readonly session: UploadSession | undefined };

/** Resolves an upload Location, refusing a downgrade from https to plain http. */
export function nextUploadLocation(conn: RegistryConnection, res: TransportResponse, action: string): URL {
  const location = headerValue(res.headers, "location");
  if (location === undefined || location.trim() === "") {
    throw new RegistryError({
      code: "REGISTRY_PROTOCOL",
      message: `${action}: ${conn.registry} answered ${res.status} without a Location header`,
      registry: conn.registry,
      method: "POST",
      url: redactUrl(res.url),
      status: res.status,
      temporary: false,
    });
  }
  const url = resolveLocation(location, res.url);
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new RegistryError({ code: "REGISTRY_PROTOCOL", message: `${action}: upload Location with unsupported scheme ${url.protocol}`, registry: conn.registry, method: "POST", url: redactUrl(res.url), status: res.status, temporary: false });
  }
  if (conn.baseUrl.protocol === "https:" && url.protocol === "http:") {
    throw new RegistryError({
      code: "REGISTRY_PROTOCOL",
      message: `${action}: ${conn.registry} sent an upload Location over plain http (${redactUrl(url)}); refusing to send content unencrypted`,
      registry: conn.registry,
      method: "POST",
      url: redactUrl(res.url),
      status: res.status,
      temporary: false,
    });
  }
  if (url.origin !== conn.baseUrl.origin) {
    conn.logger.log("debug", "upload continues on another host; registry credentials are not sent there", { registry: conn.registry, location: redactUrl(url) });
  }
  return url;
}

function sessionFrom(conn: RegistryConnection, repository: string, res: TransportResponse, action: string): UploadSession {
  const min = Number(headerValue(res.headers, "oci-chunk-min-length"));
  return { repository, location: nextUploadLocation(conn, res, action), minChunkLength: Number.isInteger(min) && min > 0 ? min : undefined };
}

/** Opens an upload session (`POST /v2/<name>/blobs/uploads/`). */
export async function startUpload(conn: RegistryConnection, repository: string, options: CallSignal = {}): Promise<UploadSession> {
  checkRepository(repository);
  const action = `start upload to ${repository}`;
  const res = await conn.send({
    method: "POST",
    url: `/v2/${repository}/blobs/uploads/`,
    headers: { "content-length": "0" },
    scopes: [repositoryScope(repository, ["pull", "push"])],
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
  });
  if (res.status !== 202) throw await responseError(res, { registry: conn.registry, method: "POST", action });
  await discard(res);
  return sessionFrom(conn, repository, res, action);
}

/** Cancels an upload session; failures are ignored (distribution needs a `delete` scope that registries rarely grant). */
export async function cancelUpload(conn: RegistryConnection, session: UploadSession): Promise<void> {
  try {
    const res = await conn.send({ method: "DELETE", url: session.location, scopes: [repositoryScope(session.repository, ["pull", "push"])], retry: false });
    await discard(res);
  } catch {
    // Best effort: an abandoned session expires on the registry.
  }
}

/**
 * Asks the registry to mount a blob from another repository
 * (`POST …/uploads/?mount=<digest>&from=<repo>`). 201 means mounted; 202
 * means declined, with an upload session the caller may use or cancel.
 * A refusal (no pull access to the source, unknown source) is "not mounted",
 * since an upload still works; only server failures throw.
 */
export async function mountBlob(conn: RegistryConnection, repository: string, digest: string, fromRepository: string, options: CallSignal = {}): Promise<MountResult> {
  checkRepository(repository);
  checkRepository(fromRepository);
  const checked = checkDigest(digest);
  const action = `mount ${checked} from ${fromRepository} into ${repository}`;
  let res: TransportResponse;
  try {
    res = await conn.send({
      method: "POST",
      url: withQuery(conn.url(`/v2/${repository}/blobs/uploads/`), { mount: checked, from: fromRepository }),
      headers: { "content-length": "0" },
      scopes: mountScopes(repository, fromRepository),
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (error instanceof RegistryError && error.code === "REGISTRY_AUTH") {
      conn.logger.log("debug", "mount refused by authorization; falling back to upload", { registry: conn.registry, repository, from: fromRepository });
      return { mounted: false, session: undefined };
    }
    throw error;
  }
  if (res.status === 201) {
    await discard(res);
    return { mounted: true };
  }
  if (res.status === 202) {
    await discard(res);
    return { mounted: false, session: sessionFrom(conn, repository, res, action) };
  }
  if (isTemporaryStatus(res.status)) throw await responseError(res, { registry: conn.registry, method: "POST", action });
  const error = await responseError(res, { registry: conn.registry, method: "POST", action });
  conn.logger.log("debug", "mount declined; falling back to upload", { registry: conn.registry, repository, from: fromRepository, status: res.status, error: error.message });
  return { mounted: false, session: undefined };
}

interface VerifiedContent {
  readonly stream: VerifyingStream;
}

function verified(source: Readable, digest: Digest, size: number, name: string, onProgress?: (bytes: number) => void): VerifiedContent {
  const verifier = new VerifyingStream({ digest, size, name }, onProgress);
  pipeline(source, verifier, () => undefined);
  return { stream: verifier };
}

async function completeUpload(
  conn: RegistryConnection,
  session: UploadSession,
  digest: Digest,
  body: { readonly data: Uint8Array | Readable; readonly offset: number; readonly length: number } | undefined,
  options: CallSignal,
): Promise<void> {
  const action = `complete upload of ${digest} to ${session.repository}`;
  const headers: Record<string, string> = { "content-type": "application/octet-stream", "content-length": String(body?.length ?? 0) };
  if (body !== undefined && body.length > 0 && body.offset > 0) headers["content-range"] = `${body.offset}-${body.offset + body.length - 1}`;
  const res = await conn.send({
    method: "PUT",
    url: withQuery(session.location, { digest }),
    headers,
    body: body?.data ?? "",
    scopes: [repositoryScope(session.repository, ["pull", "push"])],
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
  });
  if (res.status !== 201 && res.status !== 204 && res.status !== 200) throw await responseError(res, { registry: conn.registry, method: "PUT", action });
  await discard(res);
  const returned = headerValue(res.headers, "docker-content-digest");
  if (returned !== undefined && returned !== digest && returned.split(":")[0] === digest.split(":")[0]) {
    throw new RegistryError({
      code: "REGISTRY_PROTOCOL",
      message: `${action}: ${conn.registry} reports digest ${returned}`,
      registry: conn.registry,
      method: "PUT",
      url: redactUrl(res.url),
      status: res.status,
      temporary: false,
    });
  }
}

/** Upload status (`GET <location>` → 204 + `Range: 0-<end>`): the next offset and the Location to continue at. */
async function uploadStatus(conn: RegistryConnection, session: UploadSession, options: CallSignal): Promise<{ location: URL; nextOffset: number }> {
  const res = await conn.send({ method: "GET", url: session.location, scopes: [repositoryScope(session.repository, ["pull", "push"])], ...(options.signal !== undefined ? { signal: options.signal } : {}) });
  if (res.status !== 204 && res.status !== 200) throw await responseError(res, { registry: conn.registry, method: "GET", action: `check upload status in ${session.repository}` });
  await discard(res);
  const range = /(\d+)-(\d+)/.exec(headerValue(res.headers, "range") ?? "");
  const end = range ? Number(range[2]) : -1;
  const location = headerValue(res.headers, "location") !== undefined ? nextUploadLocation(conn, res, "upload status") : session.location;
  // distribution answers "0-0" for an empty session too; treat it as nothing received.
  return { location, nextOffset: end <= 0 ? 0 : end + 1 };
}

class ChunkingUnsupported extends Error {}

/** A failure that a later attempt may not hit: a temporary RegistryError (5xx, 429, connection) or a raw connection error. */
function isTransientFailure(error: unknown): boolean {
  return (error instanceof RegistryError && error.temporary) || isRetryableNetworkError(error);
}

async function patchChunk(conn: RegistryConnection, session: UploadSession, chunk: Buffer, start: number, first: boolean, options: CallSignal): Promise<UploadSession> {
  const policy = conn.transport.retry;
  let current = session;
  let sent = 0;
  for (let attempt = 1; ; attempt++) {
    const slice = chunk.subarray(sent);
    const from = start + sent;
    let failure: unknown;
    try {
      const res = await conn.send({
        method: "PATCH",
        url: current.location,
        headers: { "content-type": "application/octet-stream", "content-range": `${from}-${from + slice.length - 1}`, "content-length": String(slice.length) },
        body: slice,
        scopes: [repositoryScope(session.repository, ["pull", "push"])],
        retry: false,
        ...(options.signal !== undefined ? { signal: options.signal } : {}),
      });
      if (res.status === 202 || res.status === 201 || res.status === 204) {
        // ECR answers 201 to PATCH (providers-notes §1.4).
        await discard(res);
        const location = headerValue(res.headers, "location") !== undefined ? nextUploadLocation(conn, res, "upload chunk") : current.location;
        return { ...current, location };
      }
      if (first && sent === 0 && [400, 405, 411, 413, 415, 501].includes(res.status)) {
        await discard(res);
        throw new ChunkingUnsupported(`status ${res.status}`);
      }
      if (res.status !== 416 && !isTemporaryStatus(res.status)) throw await responseError(res, { registry: conn.registry, method: "PATCH", action: `upload chunk at ${from} to ${session.repository}` });
      failure = await responseError(res, { registry: conn.registry, method: "PATCH", action: `upload chunk at ${from} to ${session.repository}` });
    } catch (error) {
      if (error instanceof ChunkingUnsupported || !isTransientFailure(error)) throw error;
      failure = error;
    }
    if (attempt >= policy.maxAttempts) throw failure;
    await conn.transport.sleep(conn.transport.retryDelay(attempt), options.signal);
    let status: { location: URL; nextOffset: number };
    try {
      status = await uploadStatus(conn, current, options);
    } catch (error) {
      if (error instanceof RegistryError && (error.status === 404 || error.status === 400)) {
        // distribution cancels a session whose data no longer matches its state (a PATCH cut mid-body).
        throw new RegistryError({
          code: "REGISTRY_HTTP",
          message: `upload to ${session.repository}: ${conn.registry} dropped the upload session after a failed chunk at byte ${from} (${error.message}); the upload must start again`,
          registry: conn.registry,
          method: "PATCH",
          url: redactUrl(current.location),
          ...(error.status !== undefined ? { status: error.status } : {}),
          errors: error.errors,
          temporary: true,
          cause: failure,
        });
      }
      throw error;
    }
    current = { ...current, location: status.location };
    const confirmed = status.nextOffset - start;
    if (confirmed < 0 || confirmed > chunk.length) {
      throw new RegistryError({
        code: "REGISTRY_PROTOCOL",
        message: `upload to ${session.repository}: ${conn.registry} reports ${status.nextOffset} bytes received, cannot resume the chunk at ${start}`,
        registry: conn.registry,
        method: "PATCH",
        url: redactUrl(current.location),
        temporary: true,
      });
    }
    conn.logger.log("debug", "resuming chunk upload", { registry: conn.registry, repository: session.repository, offset: status.nextOffset, attempt });
    sent = confirmed;
    if (sent === chunk.length) return current;
  }
}

async function uploadOnce(
  conn: RegistryConnection,
  repository: string,
  digest: Digest,
  size: number,
  source: Readable,
  limits: UploadLimits,
  initial: UploadSession | undefined,
  options: PushBlobOptions,
): Promise<PushBlobResult> {
  const name = `blob ${repository}@${digest}`;
  let session = initial ?? (await startUpload(conn, repository, options));
  const content = verified(source, digest, size, name, options.onProgress);
  try {
    if (size <= limits.inMemoryLimit) {
      // Small: verify everything first, then send a replayable body (retried on 5xx/resets).
      const bytes = await readAllLimited(content.stream, limits.inMemoryLimit, name);
      await completeUpload(conn, session, digest, { data: bytes, offset: 0, length: bytes.length }, options);
      return { digest, size, method: "monolithic" };
    }
    if (size <= limits.chunkedThreshold) {
      const body = Readable.from(holdLastChunk(content.stream), { objectMode: false });
      await completeUpload(conn, session, digest, { data: body, offset: 0, length: size }, options);
      return { digest, size, method: "monolithic" };
    }
    const chunkSize = Math.max(limits.chunkSize, session.minChunkLength ?? 0);
    const reader = new ChunkReader(content.stream);
    let offset = 0;
    for (;;) {
      const chunk = await reader.read(chunkSize);
      if (reader.sourceEnded) {
        // The source ended and was verified: the rest goes with the closing PUT.
        await completeUpload(conn, session, digest, chunk.length > 0 ? { data: chunk, offset, length: chunk.length } : undefined, options);
        return { digest, size, method: "chunked" };
      }
      try {
        session = await patchChunk(conn, session, chunk, offset, offset === 0, options);
      } catch (error) {
        if (!(error instanceof ChunkingUnsupported)) throw error;
        conn.logger.log("debug", "registry refused chunked upload; sending the blob in one request", { registry: conn.registry, repository });
        await cancelUpload(conn, session);
        session = await startUpload(conn, repository, options);
        const rest = reader.rest();
        async function* all(): AsyncGenerator<Uint8Array> {
          yield chunk;
          yield* rest;
        }
        await completeUpload(conn, session, digest, { data: Readable.from(holdLastChunk(all()), { objectMode: false }), offset: 0, length: size }, options);
        return { digest, size, method: "monolithic" };
      }
      offset += chunk.length;
    }
  } catch (error) {
    content.stream.destroy();
    await cancelUpload(conn, session);
    throw error;
  }
}

/**
 * Uploads a blob: optional mount first, then one of three strategies by size
 * (in-memory monolithic, streamed monolithic, chunked). The content is
 * verified while read; a mismatch throws {@link ContentVerificationError} and
 * the upload session is cancelled without ever being completed.
 */
export async function pushBlob(
  conn: RegistryConnection,
  repository: string,
  descriptor: { readonly digest: string; readonly size: number },
  source: BlobSource,
  options: PushBlobOptions = {},
): Promise<PushBlobResult> {
  checkRepository(repository);
  const digest = checkDigest(descriptor.digest);
  if (!Number.isInteger(descriptor.size) || descriptor.size < 0) throw new AirgapError("USAGE", `blob ${digest}: invalid size ${descriptor.size}`);
  const limits: UploadLimits = { ...DEFAULT_UPLOAD_LIMITS, ...options.limits };
  const owned = typeof source === "function" ? undefined : source;
  try {
    let session: UploadSession | undefined;
    if (options.mountFrom !== undefined && options.mountFrom !== repository) {
      const mount = await mountBlob(conn, repository, digest, options.mountFrom, options);
      if (mount.mounted) {
        owned?.destroy();
        return { digest, size: descriptor.size, method: "mounted" };
      }
      session = mount.session;
    }
    const attempts = typeof source === "function" ? conn.transport.retry.maxAttempts : 1;
    for (let attempt = 1; ; attempt++) {
      const stream = typeof source === "function" ? await source() : source;
      try {
        return await uploadOnce(conn, repository, digest, descriptor.size, stream, limits, session, options);
      } catch (error) {
        session = undefined;
        if (attempt >= attempts || !isTransientFailure(error) || error instanceof ContentVerificationError || options.signal?.aborted) throw error;
        conn.logger.log("debug", "restarting blob upload", { registry: conn.registry, repository, digest, attempt });
        await conn.transport.sleep(conn.transport.retryDelay(attempt), options.signal);
      }
    }
  } catch (error) {
    owned?.destroy();
    throw error;
  }
}
