/**
 * Blob uploads (distribution-spec §Pushing blobs, providers-notes §1.4):
 *
 * - a small blob is read into memory, verified, and sent in one PUT that the
 *   transport can retry as it is;
 * - a larger one, by default, as skopeo and go-containerregistry do: POST,
 *   ONE PATCH streaming the whole blob, then a PUT `?digest=` without body;
 * - `chunked` (registries that require it): PATCHes of `chunkSize` with
 *   Content-Range, each resumable from the registry's upload status;
 * - `single-shot` (ECR, providers-notes §3.4): POST, then one PUT carrying
 *   the whole blob.
 *
 * Every request survives a temporary failure. A failed PATCH resumes from
 * the offset the registry reports (`GET <location>` → `Range`), a lost
 * session (404, 416) starts again on a new one from zero; the content is then
 * reopened from its source and read up to that offset, never resent half
 * read. A completing PUT the registry answered 404 after it had already
 * committed the blob (a lost answer, then a retry) is confirmed with a HEAD.
 * The content always passes through a VerifyingStream: a blob whose bytes do
 * not match its digest is never completed.
 */
import { Readable } from "node:stream";
import type { Digest } from "../../core/digest.js";
import { AirgapError } from "../../core/errors.js";
import { redactUrl } from "../../core/redact.js";
import { readAllLimited } from "../verify.js";
import { headBlob } from "./blobs.js";
import { ChunkReader, holdLastChunk } from "./chunk-reader.js";
import type { RegistryConnection } from "./connection.js";
import { RegistryError } from "./errors.js";
import { withQuery } from "./location.js";
import type { CallSignal } from "./manifests.js";
import { checkDigest, checkRepository } from "./names.js";
import { isRetryableNetworkError } from "./network-errors.js";
import { discard, responseError } from "./response.js";
import { repositoryScope } from "./scope.js";
import { headerValue } from "./transport.js";
import { UploadContent, type BlobSource } from "./upload-content.js";
import { cancelUpload, mountBlob, nextUploadLocation, startUpload, uploadStatus, type UploadSession } from "./upload-session.js";

export type { BlobSource } from "./upload-content.js";

/**
 * How blobs above `inMemoryLimit` are sent:
 * - `stream` (default): POST, one streamed PATCH, PUT `?digest=`;
 * - `chunked`: PATCHes of `chunkSize` with Content-Range, for registries that require chunks;
 * - `single-shot`: POST, then one PUT with the whole blob (ECR, whose chunked uploads are unreliable).
 */
export type UploadMode = "stream" | "chunked" | "single-shot";

/** How blobs are uploaded. */
export interface UploadLimits {
  /** Blobs up to this size are read into memory, verified, then sent in one retryable PUT. Default 4 MiB. */
  readonly inMemoryLimit: number;
  /** How larger blobs are sent. Default `stream`. */
  readonly mode: UploadMode;
  /** PATCH size in `chunked` mode (raised to the registry's `OCI-Chunk-Min-Length`). Default 16 MiB. */
  readonly chunkSize: number;
}

/** Defaults per providers-notes §1.4. */
export const DEFAULT_UPLOAD_LIMITS: UploadLimits = {
  inMemoryLimit: 4 * 1024 * 1024,
  mode: "stream",
  chunkSize: 16 * 1024 * 1024,
};

/** Options of {@link pushBlob}. */
export interface PushBlobOptions extends CallSignal {
  readonly limits?: Partial<UploadLimits>;
  /** Try a cross-repository mount from this repository of the same registry first. */
  readonly mountFrom?: string;
  readonly onProgress?: (bytes: number) => void;
  /**
   * Opens the content again from its start, for a stream source: an upload
   * interrupted after the stream was partly read restarts (or resumes) from
   * it. Without it (and without a factory source) such an upload fails.
   */
  readonly reopen?: () => Promise<Readable>;
}

/** How a blob got into the repository. */
export interface PushBlobResult {
  readonly digest: Digest;
  readonly size: number;
  /** `monolithic`: one PUT with the blob; `streamed`: one PATCH then PUT; `chunked`: several PATCHes. */
  readonly method: "mounted" | "monolithic" | "streamed" | "chunked";
}

/** One blob upload in progress. */
interface UploadJob {
  readonly conn: RegistryConnection;
  readonly repository: string;
  readonly digest: Digest;
  readonly size: number;
  readonly content: UploadContent;
  readonly limits: UploadLimits;
  readonly signal: AbortSignal | undefined;
  readonly name: string;
  /** The session in use, cancelled if the upload fails for good. */
  session: UploadSession | undefined;
}

/** A temporary failure (5xx, 429, connection) that a later attempt may not hit. */
function isTransientFailure(error: unknown): boolean {
  return (error instanceof RegistryError && error.temporary) || isRetryableNetworkError(error);
}

/** The registry no longer knows the session, or its state no longer matches ours: start a new one. */
function isSessionLost(error: unknown): boolean {
  return error instanceof RegistryError && (error.status === 404 || error.status === 416 || error.hasCode("BLOB_UPLOAD_UNKNOWN"));
}

/** Counts the failures of one upload and waits between attempts (the registry's Retry-After, else backoff). */
class RetryBudget {
  private failures = 0;
  private readonly job: UploadJob;

  constructor(job: UploadJob) {
    this.job = job;
  }

  /** Rethrows `failure` once the budget is spent; else waits before the next attempt. */
  async wait(failure: unknown): Promise<void> {
    const transport = this.job.conn.transport;
    const policy = transport.retry;
    this.failures++;
    const retryAfterMs = failure instanceof RegistryError ? failure.retryAfterMs : undefined;
    if (this.failures >= policy.maxAttempts || this.job.signal?.aborted || (retryAfterMs !== undefined && retryAfterMs > policy.maxRetryAfterMs)) throw failure;
    const delay = transport.retryDelay(this.failures, retryAfterMs);
    this.job.conn.logger.log("debug", "retrying blob upload", {
      registry: this.job.conn.registry,
      repository: this.job.repository,
      digest: this.job.digest,
      attempt: this.failures,
      delayMs: delay,
      error: failure instanceof Error ? failure.message : String(failure),
    });
    await transport.sleep(delay, this.job.signal);
  }
}

function scopes(job: UploadJob): string[] {
  return [repositoryScope(job.repository, ["pull", "push"])];
}

function signalOf(job: UploadJob): CallSignal {
  return job.signal !== undefined ? { signal: job.signal } : {};
}

async function openSession(job: UploadJob): Promise<UploadSession> {
  job.session ??= await startUpload(job.conn, job.repository, signalOf(job));
  return job.session;
}

/** The completing `PUT <location>?digest=` (with the last bytes, or none); the body must be replayable to be retried. */
async function completeUpload(job: UploadJob, session: UploadSession, body: { readonly data: Uint8Array | Readable; readonly offset: number; readonly length: number } | undefined): Promise<void> {
  const { conn, digest } = job;
  const action = `complete upload of ${digest} to ${job.repository}`;
  const headers: Record<string, string> = { "content-type": "application/octet-stream", "content-length": String(body?.length ?? 0) };
  if (body !== undefined && body.length > 0 && body.offset > 0) headers["content-range"] = `${body.offset}-${body.offset + body.length - 1}`;
  const res = await conn.send({ method: "PUT", url: withQuery(session.location, { digest }), headers, body: body?.data ?? "", scopes: scopes(job), ...signalOf(job) });
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

/**
 * True when a completing PUT failed with 404 because an earlier attempt had
 * already committed the blob (its answer was lost, the retry found no
 * session): the blob is there, which is all that was asked.
 */
async function committedAnyway(job: UploadJob, error: unknown): Promise<boolean> {
  if (!(error instanceof RegistryError && error.method === "PUT" && error.status === 404)) return false;
  const head = await headBlob(job.conn, job.repository, job.digest, signalOf(job));
  return head.found && (head.size === undefined || head.size === job.size);
}

/** Sends `body` (the content from `offset` to the end) in one PATCH; returns the session with its next Location. */
async function patchRest(job: UploadJob, session: UploadSession, body: AsyncIterable<Uint8Array>, offset: number): Promise<UploadSession> {
  const headers: Record<string, string> = { "content-type": "application/octet-stream", "content-length": String(job.size - offset) };
  // A stream from the start goes without Content-Range, as skopeo and go-containerregistry send it; a resumed one says where it starts.
  if (offset > 0) headers["content-range"] = `${offset}-${job.size - 1}`;
  const res = await job.conn.send({
    method: "PATCH",
    url: session.location,
    headers,
    body: Readable.from(holdLastChunk(body), { objectMode: false }),
    scopes: scopes(job),
    retry: false,
    ...signalOf(job),
  });
  return patchAnswer(job, session, res, `upload ${job.name} from byte ${offset}`);
}

async function patchAnswer(job: UploadJob, session: UploadSession, res: Awaited<ReturnType<RegistryConnection["send"]>>, action: string): Promise<UploadSession> {
  // ECR answers 201 to PATCH (providers-notes §1.4).
  if (res.status !== 202 && res.status !== 201 && res.status !== 204) throw await responseError(res, { registry: job.conn.registry, method: "PATCH", action });
  await discard(res);
  const location = headerValue(res.headers, "location") !== undefined ? nextUploadLocation(job.conn, res, action) : session.location;
  return { ...session, location };
}

/**
 * After a failed request of a resumable upload: where to go on. A lost
 * session starts over on a new one from zero; otherwise the registry's own
 * upload status says which byte it expects next.
 */
async function resumePoint(job: UploadJob, failure: unknown): Promise<{ session: UploadSession | undefined; offset: number }> {
  const session = job.session;
  if (session === undefined || isSessionLost(failure)) return { session: undefined, offset: 0 };
  const status = await uploadStatus(job.conn, session, signalOf(job));
  if (status === undefined) return { session: undefined, offset: 0 };
  if (status.nextOffset > job.size) {
    throw new RegistryError({
      code: "REGISTRY_PROTOCOL",
      message: `upload ${job.name}: ${job.conn.registry} reports ${status.nextOffset} bytes received of ${job.size}`,
      registry: job.conn.registry,
      method: "GET",
      url: redactUrl(session.location),
      temporary: false,
    });
  }
  return { session: { ...session, location: status.location }, offset: status.nextOffset };
}

/**
 * Waits before another attempt when `error` is worth one; rethrows it
 * otherwise. `failure` is the error that made the content be read again: when
 * it comes back, the content could not be reopened, and that is final.
 */
async function afterFailure(job: UploadJob, budget: RetryBudget, error: unknown, failure?: unknown): Promise<void> {
  if (error === failure || (!isTransientFailure(error) && !isSessionLost(error))) throw error;
  await budget.wait(error);
}

async function pushInMemory(job: UploadJob): Promise<PushBlobResult> {
  // The session opens while the content is read (one round trip less per blob); it is only used once the bytes are verified.
  let opening: Promise<UploadSession> | undefined = openSession(job);
  let bytes: Buffer;
  try {
    bytes = await readAllLimited(await job.content.from(0), job.limits.inMemoryLimit, job.name);
  } catch (error) {
    // Settled before pushBlob cancels job.session, so a session opened meanwhile is cancelled too.
    await opening.catch(() => undefined);
    throw error;
  }
  const budget = new RetryBudget(job);
  for (;;) {
    try {
      const pending = opening ?? openSession(job);
      opening = undefined;
      const session = await pending;
      // The transport retries this PUT itself (its body is replayable); only a lost session is handled here.
      await completeUpload(job, session, { data: bytes, offset: 0, length: bytes.length });
      return { digest: job.digest, size: job.size, method: "monolithic" };
    } catch (error) {
      if (await committedAnyway(job, error)) return { digest: job.digest, size: job.size, method: "monolithic" };
      if (!isSessionLost(error)) throw error;
      job.session = undefined;
      await budget.wait(error);
    }
  }
}

async function pushStreamed(job: UploadJob): Promise<PushBlobResult> {
  const budget = new RetryBudget(job);
  let offset = 0;
  let failure: unknown;
  for (;;) {
    try {
      const session = await openSession(job);
      if (offset < job.size) job.session = await patchRest(job, session, await job.content.from(offset, failure), offset);
      offset = job.size;
      await completeUpload(job, job.session ?? session, undefined);
      return { digest: job.digest, size: job.size, method: "streamed" };
    } catch (error) {
      if (await committedAnyway(job, error)) return { digest: job.digest, size: job.size, method: "streamed" };
      await afterFailure(job, budget, error, failure);
      failure = error;
      ({ session: job.session, offset } = await resumePoint(job, error));
    }
  }
}

/** The registry refused a PATCH with Content-Range outright (405, 501, …): send the blob in one request instead. */
class ChunkingUnsupported extends Error {}

/** One chunk, resumed within the chunk from the registry's upload status after a failure. */
async function patchChunk(job: UploadJob, chunk: Buffer, start: number, first: boolean, budget: RetryBudget): Promise<void> {
  let sent = 0;
  for (;;) {
    const session = await openSession(job);
    const slice = chunk.subarray(sent);
    const from = start + sent;
    try {
      // Not retried by the transport: a lost answer would make a blind resend collide with its own data (416).
      const res = await job.conn.send({
        method: "PATCH",
        url: session.location,
        headers: { "content-type": "application/octet-stream", "content-range": `${from}-${from + slice.length - 1}`, "content-length": String(slice.length) },
        body: slice,
        scopes: scopes(job),
        retry: false,
        ...signalOf(job),
      });
      if (first && sent === 0 && [400, 405, 411, 413, 415, 501].includes(res.status)) {
        await discard(res);
        throw new ChunkingUnsupported(`status ${res.status}`);
      }
      job.session = await patchAnswer(job, session, res, `upload chunk at ${from} of ${job.name}`);
      return;
    } catch (error) {
      if (error instanceof ChunkingUnsupported) throw error;
      await afterFailure(job, budget, error);
      const next = await resumePoint(job, error);
      if (next.session === undefined) throw error; // lost: the caller starts over from zero
      job.session = next.session;
      const confirmed = next.offset - start;
      if (confirmed < 0 || confirmed > chunk.length) throw error;
      sent = confirmed;
      if (sent === chunk.length) return;
    }
  }
}

async function pushChunked(job: UploadJob): Promise<PushBlobResult> {
  const budget = new RetryBudget(job);
  let failure: unknown;
  for (;;) {
    let offset = 0;
    try {
      const session = await openSession(job);
      const chunkSize = Math.max(job.limits.chunkSize, session.minChunkLength ?? 0);
      const reader = new ChunkReader(await job.content.from(0, failure));
      for (;;) {
        const chunk = await reader.read(chunkSize);
        if (reader.sourceEnded) {
          // The source ended and was verified: the rest goes with the completing PUT (a buffer: retried as it is).
          await completeUpload(job, job.session ?? session, chunk.length > 0 ? { data: chunk, offset, length: chunk.length } : undefined);
          return { digest: job.digest, size: job.size, method: "chunked" };
        }
        try {
          await patchChunk(job, chunk, offset, offset === 0, budget);
        } catch (error) {
          if (!(error instanceof ChunkingUnsupported)) throw error;
          job.conn.logger.log("debug", "registry refused chunked upload; sending the blob in one request", { registry: job.conn.registry, repository: job.repository });
          if (job.session !== undefined) await cancelUpload(job.conn, job.session);
          job.session = undefined;
          const rest = reader.rest();
          return await pushSingleShot(job, (async function* () {
            yield chunk;
            yield* rest;
          })());
        }
        offset += chunk.length;
      }
    } catch (error) {
      if (await committedAnyway(job, error)) return { digest: job.digest, size: job.size, method: "chunked" };
      // A chunk that could not be resumed: start over on a new session, reading the content again.
      await afterFailure(job, budget, error, failure);
      failure = error;
      job.session = undefined;
    }
  }
}

async function pushSingleShot(job: UploadJob, firstBody?: AsyncIterable<Uint8Array>): Promise<PushBlobResult> {
  const budget = new RetryBudget(job);
  let body = firstBody;
  let failure: unknown;
  for (;;) {
    try {
      const session = await openSession(job);
      const data = body ?? (await job.content.from(0, failure));
      body = undefined;
      await completeUpload(job, session, { data: Readable.from(holdLastChunk(data), { objectMode: false }), offset: 0, length: job.size });
      return { digest: job.digest, size: job.size, method: "monolithic" };
    } catch (error) {
      if (await committedAnyway(job, error)) return { digest: job.digest, size: job.size, method: "monolithic" };
      await afterFailure(job, budget, error, failure);
      failure = error;
      // A failed PUT may have left part of the blob in the session: always start on a new one.
      job.session = undefined;
    }
  }
}

/**
 * Uploads a blob: a mount first when `mountFrom` is given, then by size and
 * {@link UploadMode} (see the module comment). The content is verified while
 * read; a mismatch throws ContentVerificationError and the session is
 * cancelled without ever being completed.
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
  const size = descriptor.size;
  if (!Number.isInteger(size) || size < 0) {
    if (typeof source !== "function") source.destroy();
    throw new AirgapError("USAGE", `blob ${digest}: invalid size ${size}`);
  }
  const limits: UploadLimits = { ...DEFAULT_UPLOAD_LIMITS, ...options.limits };
  const name = `blob ${repository}@${digest}`;
  const content = new UploadContent(source, options.reopen, { digest, size, name }, options.onProgress);
  const job: UploadJob = { conn, repository, digest, size, content, limits, signal: options.signal, name, session: undefined };
  try {
    if (options.mountFrom !== undefined && options.mountFrom !== repository) {
      const mount = await mountBlob(conn, repository, digest, options.mountFrom, signalOf(job));
      if (mount.mounted) return { digest, size, method: "mounted" };
      job.session = mount.session;
    }
    if (size <= limits.inMemoryLimit) return await pushInMemory(job);
    switch (limits.mode) {
      case "stream":
        return await pushStreamed(job);
      case "chunked":
        return await pushChunked(job);
      case "single-shot":
        return await pushSingleShot(job);
    }
  } catch (error) {
    // Nothing was completed; the registry would expire the session anyway (cancelling is a courtesy).
    if (job.session !== undefined) await cancelUpload(conn, job.session);
    throw error;
  } finally {
    content.close();
  }
}
