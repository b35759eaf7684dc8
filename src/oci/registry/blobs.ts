/**
 * Blob reads (distribution-spec end-2): HEAD, and a streamed GET verified
 * while it streams, which resumes with `Range: bytes=N-` when the connection
 * breaks mid-body so a reset near the end of a multi-GiB layer costs seconds,
 * not the whole transfer.
 */
import { Readable, pipeline } from "node:stream";
import type { Digest } from "../../core/digest.js";
import { parseDigest } from "../../core/digest.js";
import { redactUrl } from "../../core/redact.js";
import { ContentVerificationError, VerifyingStream } from "../verify.js";
import type { RegistryConnection } from "./connection.js";
import { RegistryError } from "./errors.js";
import type { CallSignal } from "./manifests.js";
import { checkDigest, checkRepository } from "./names.js";
import { discard, responseError } from "./response.js";
import { repositoryScope } from "./scope.js";
import { isRetryableNetworkError, networkErrorCode } from "./network-errors.js";
import { headerValue, type TransportResponse } from "./transport.js";

/** HEAD outcome for a blob. */
export type BlobHeadResult = { readonly found: true; readonly size: number | undefined; readonly digest: Digest | undefined } | { readonly found: false };

/** GET outcome: a verifying stream, or absent. */
export type BlobOpenResult = { readonly found: true; readonly stream: Readable; readonly size: number | undefined } | { readonly found: false };

/** Options of a blob download. */
export interface BlobFetchOptions extends CallSignal {
  /** How many times a broken body is resumed. Default 5. */
  readonly maxResumes?: number;
  /** Running byte count, for progress events. */
  readonly onProgress?: (bytes: number) => void;
}

/** The start offset of a `Content-Range: bytes START-END/TOTAL` header. */
export function parseContentRangeStart(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(value);
  return match ? Number(match[1]) : undefined;
}

/** HEAD a blob in a repository (blobs are per repository until mounted). Absent is a result. */
export async function headBlob(conn: RegistryConnection, repository: string, digest: string, options: CallSignal = {}): Promise<BlobHeadResult> {
  checkRepository(repository);
  const checked = checkDigest(digest);
  const res = await conn.send({
    method: "HEAD",
    url: `/v2/${repository}/blobs/${checked}`,
    scopes: [repositoryScope(repository, ["pull"])],
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
  });
  if (res.status === 404) {
    await discard(res);
    return { found: false };
  }
  if (res.status !== 200) throw await responseError(res, { registry: conn.registry, method: "HEAD", action: `check blob ${repository}@${checked}` });
  await discard(res);
  const length = Number(headerValue(res.headers, "content-length"));
  const header = headerValue(res.headers, "docker-content-digest");
  const parsed = header !== undefined ? parseDigest(header) : undefined;
  return { found: true, size: Number.isInteger(length) && length >= 0 ? length : undefined, digest: parsed?.ok ? parsed.digest : undefined };
}

/**
 * Opens a blob for reading. The returned stream fails unless the bytes
 * match `expected.digest` (and `expected.size` when given). When the
 * connection breaks mid-body the download continues from the last byte
 * received with `Range: bytes=N-`, feeding the same hash; a registry that
 * answers 200 to the range request is read again from the start and its
 * first N bytes are skipped, so the consumer still sees each byte once.
 */
export async function openBlob(
  conn: RegistryConnection,
  repository: string,
  expected: { readonly digest: string; readonly size?: number },
  options: BlobFetchOptions = {},
): Promise<BlobOpenResult> {
  checkRepository(repository);
  const digest = checkDigest(expected.digest);
  const path = `/v2/${repository}/blobs/${digest}`;
  const scopes = [repositoryScope(repository, ["pull"])];
  const signalPart = options.signal !== undefined ? { signal: options.signal } : {};
  // Streamed: the body feeds a consumer (an upload) that may wait on this client's other requests.
  const first = await conn.send({ method: "GET", url: path, scopes, streamed: true, ...signalPart });
  if (first.status === 404) {
    await discard(first);
    return { found: false };
  }
  if (first.status !== 200) throw await responseError(first, { registry: conn.registry, method: "GET", action: `get blob ${repository}@${digest}` });
  const declared = Number(headerValue(first.headers, "content-length"));
  const contentLength = Number.isInteger(declared) && declared >= 0 ? declared : undefined;
  if (expected.size !== undefined && contentLength !== undefined && contentLength !== expected.size) {
    first.body.destroy();
    throw new ContentVerificationError(`blob ${repository}@${digest} on ${conn.registry} is ${contentLength} bytes, expected ${expected.size}`, digest);
  }
  const total = expected.size ?? contentLength;
  const maxResumes = options.maxResumes ?? 5;

  async function* chunks(): AsyncGenerator<Buffer> {
    let res: TransportResponse = first;
    let offset = 0;
    let skip = 0;
    let resumes = 0;
    try {
      for (;;) {
        try {
          for await (const chunk of res.body as AsyncIterable<Buffer>) {
            let buf = chunk;
            if (skip > 0) {
              if (buf.length <= skip) {
                skip -= buf.length;
                continue;
              }
              buf = buf.subarray(skip);
              skip = 0;
            }
            offset += buf.length;
            yield buf;
          }
          return;
        } catch (error) {
          if (options.signal?.aborted) throw options.signal.reason ?? error;
          if (!isRetryableNetworkError(error)) throw error;
          if (resumes >= maxResumes) {
            throw new RegistryError({
              code: "REGISTRY_NETWORK",
              message: `get blob ${repository}@${digest} from ${conn.registry}: the connection broke ${resumes + 1} times (last: ${networkErrorCode(error) ?? String(error)}) at byte ${offset}`,
              registry: conn.registry,
              method: "GET",
              url: redactUrl(conn.url(path)),
              temporary: true,
              cause: error,
            });
          }
          resumes++;
          res.body.destroy();
          conn.logger.log("debug", "resuming blob download", { registry: conn.registry, repository, digest, offset, resume: resumes, error: networkErrorCode(error) ?? "" });
          await conn.transport.sleep(conn.transport.retryDelay(resumes), options.signal);
          if (total !== undefined && offset >= total) return; // everything arrived; the break came after the last byte
          res = await conn.send({ method: "GET", url: path, headers: { range: `bytes=${offset}-` }, scopes, streamed: true, ...signalPart });
          if (res.status === 206) {
            const start = parseContentRangeStart(headerValue(res.headers, "content-range"));
            if (start !== undefined && start !== offset) {
              res.body.destroy();
              throw new RegistryError({
                code: "REGISTRY_PROTOCOL",
                message: `get blob ${repository}@${digest}: asked ${conn.registry} for bytes from ${offset}, it sent bytes from ${start}`,
                registry: conn.registry,
                method: "GET",
                url: redactUrl(res.url),
                status: 206,
                temporary: true,
              });
            }
            continue;
          }
          if (res.status === 200) {
            // No range support: the whole blob again; skip what the consumer already has.
            skip = offset;
            continue;
          }
          throw await responseError(res, { registry: conn.registry, method: "GET", action: `resume blob ${repository}@${digest} at byte ${offset}` });
        }
      }
    } finally {
      res.body.destroy();
    }
  }

  const verifier = new VerifyingStream({ digest, ...(total !== undefined ? { size: total } : {}), name: `blob ${repository}@${digest} from ${conn.registry}` }, options.onProgress);
  pipeline(Readable.from(chunks(), { objectMode: false }), verifier, () => undefined);
  return { found: true, stream: verifier, size: total };
}
