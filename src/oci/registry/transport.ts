/**
 * The HTTP layer under the registry client: undici with pooled keep-alive
 * connections, a per-host concurrency limit, retries of transient failures
 * with jittered backoff (honouring Retry-After), and redirects followed by
 * hand so that credentials never leave the origin they were meant for
 * (S3 presigned URLs reject a second auth mechanism, providers-notes §1.10).
 */
import { Readable } from "node:stream";
import type { Dispatcher } from "undici";
import type { Logger } from "../../core/logger.js";
import { silentLogger } from "../../core/logger.js";
import { redactUrl } from "../../core/redact.js";
import { AirgapError } from "../../core/errors.js";
import { DEFAULT_RETRY_POLICY, parseRetryAfter, retryDelay, sleep, type RetryPolicy } from "./backoff.js";
import { RegistryError, isTemporaryStatus } from "./errors.js";
import { HostLimiter } from "./limiter.js";
import { agentFor, type TlsScope } from "./tls.js";

/** HTTP methods the distribution API uses. */
export type HttpMethod = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";

/** A body factory: called once per attempt, so the request can be retried and redirected. */
export type BodyFactory = () => Readable | Promise<Readable>;

/**
 * A request body. Strings, bytes and factories can be sent again; a plain
 * `Readable` is consumed by the first attempt, so such a request is never
 * retried nor redirected with its body (the caller re-creates the stream).
 */
export type RequestBody = string | Uint8Array | BodyFactory | Readable;

/** The body stream of a response (undici's BodyReadable with `text()`, `json()`, `dump()`). */
export type ResponseBody = Dispatcher.ResponseData["body"];

/** Response headers as undici delivers them (lowercase names). */
export type ResponseHeaders = Dispatcher.ResponseData["headers"];

/** One request to the transport. */
export interface TransportRequest {
  readonly method: HttpMethod;
  readonly url: URL;
  /** Header names are matched case-insensitively; `authorization` is dropped on a cross-origin redirect. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: RequestBody;
  readonly signal?: AbortSignal;
  /** The TLS policy of the registry this request belongs to (applies to its host only). */
  readonly tls?: TlsScope;
  /** False disables retries (the caller handles failures itself, e.g. chunk uploads). Default true. */
  readonly retry?: boolean;
  /** Registry name for errors; defaults to the URL's host. */
  readonly registry?: string;
}

/** A response whose headers have arrived; the caller must consume or `dump()` the body. */
export interface TransportResponse {
  readonly status: number;
  readonly headers: ResponseHeaders;
  /** The URL that answered, after redirects: relative Locations and Links resolve against it. */
  readonly url: URL;
  readonly body: ResponseBody;
  /** Attempts made (1 when the first one answered). */
  readonly attempts: number;
}

/** Settings of a transport; all optional. */
export interface TransportOptions {
  /** Requests in flight per host (`host:port`). Default 6. */
  readonly perHostConcurrency?: number;
  readonly retry?: Partial<RetryPolicy>;
  /** Maximum redirects followed per request. Default 5. */
  readonly maxRedirects?: number;
  /** undici: time to wait for response headers once the request was sent. Default 300 s. */
  readonly headersTimeoutMs?: number;
  /** undici: maximum idle time between body chunks. Default 300 s. */
  readonly bodyTimeoutMs?: number;
  readonly userAgent?: string;
  readonly logger?: Logger;
  /** Randomness for backoff jitter (tests make it deterministic). */
  readonly random?: () => number;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const CREDENTIAL_HEADERS = ["authorization", "cookie", "proxy-authorization"];

const RETRYABLE_NETWORK_CODES = new Set([
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "ECONNABORTED",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETRESET",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_CLOSED",
  "UND_ERR_RES_CONTENT_LENGTH_MISMATCH",
  "ERR_STREAM_PREMATURE_CLOSE",
]);

/** The error code of an error or of its causes (undici wraps system errors). */
export function networkErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === "object" && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && (RETRYABLE_NETWORK_CODES.has(code) || code.startsWith("E") || code.startsWith("UND_ERR"))) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * True for connection failures worth retrying: resets, timeouts, a socket
 * closed mid-response. Refused connections and unknown hosts are not retried:
 * they are configuration errors, and waiting would only delay the message.
 */
export function isRetryableNetworkError(error: unknown): boolean {
  if (error instanceof AirgapError) return false;
  const code = networkErrorCode(error);
  return code !== undefined && RETRYABLE_NETWORK_CODES.has(code);
}

/** First value of a response header. */
export function headerValue(headers: ResponseHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  if (Array.isArray(value)) return value[0];
  return typeof value === "string" ? value : undefined;
}

/** All values of a response header (several lines for Link, WWW-Authenticate). */
export function headerValues(headers: ResponseHeaders, name: string): string[] {
  const value = headers[name.toLowerCase()];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string");
  return typeof value === "string" ? [value] : [];
}

/** True when the body can be sent again (string, bytes or factory). */
export function isReplayableBody(body: RequestBody | undefined): boolean {
  return body === undefined || typeof body === "string" || body instanceof Uint8Array || typeof body === "function";
}

function lowerCaseHeaders(headers: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) out[k.toLowerCase()] = v;
  return out;
}

/**
 * Sends registry requests. One instance per process is the norm
 * ({@link sharedTransport}); its connection pools are shared by every
 * registry client so keep-alive connections are reused across repositories.
 *
 * Concurrency: a per-host permit is held from sending a request until its
 * response headers arrive (so an upload holds it while its body is sent).
 * A streamed response body does not hold a permit: a copy that reads a blob
 * from a host and uploads it to the same host would otherwise deadlock once
 * every permit was held by a download waiting for its upload.
 */
export class Transport {
  private readonly limiter: HostLimiter;
  private readonly retryPolicy: RetryPolicy;
  private readonly maxRedirects: number;
  private readonly headersTimeoutMs: number | undefined;
  private readonly bodyTimeoutMs: number | undefined;
  private readonly userAgent: string;
  private readonly logger: Logger;
  private readonly random: () => number;

  constructor(options: TransportOptions = {}) {
    this.limiter = new HostLimiter(options.perHostConcurrency ?? 6);
    this.retryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.maxRedirects = options.maxRedirects ?? 5;
    this.headersTimeoutMs = options.headersTimeoutMs;
    this.bodyTimeoutMs = options.bodyTimeoutMs;
    this.userAgent = options.userAgent ?? "airgap";
    this.logger = options.logger ?? silentLogger;
    this.random = options.random ?? Math.random;
  }

  /** The retry policy in force (uploads reuse it for their own resume loops). */
  get retry(): RetryPolicy {
    return this.retryPolicy;
  }

  /** Sets the concurrency limit of one host (`host:port`), e.g. a registry's `concurrency` setting. */
  setHostLimit(host: string, limit: number): void {
    this.limiter.setLimit(host, limit);
  }

  /** Requests currently holding a permit for a host. */
  activeRequests(host: string): number {
    return this.limiter.active(host);
  }

  /**
   * Sends a request, retrying 408/429/5xx answers and connection failures
   * when the body can be replayed, and following up to `maxRedirects`
   * redirects. Returns the final response, whatever its status (the caller
   * decides what is an error); throws {@link RegistryError} when no response
   * could be obtained.
   */
  async request(req: TransportRequest): Promise<TransportResponse> {
    const maxAttempts = req.retry === false || !isReplayableBody(req.body) ? 1 : Math.max(1, this.retryPolicy.maxAttempts);
    for (let attempt = 1; ; attempt++) {
      let outcome: { res: Dispatcher.ResponseData; url: URL };
      try {
        outcome = await this.followRedirects(req, attempt);
      } catch (error) {
        if (req.signal?.aborted) throw req.signal.reason ?? error;
        if (error instanceof BodySourceError) throw error.cause; // the caller's content failed, not the network
        if (error instanceof AirgapError) throw error;
        if (attempt < maxAttempts && isRetryableNetworkError(error)) {
          const delay = retryDelay(attempt, this.retryPolicy, undefined, this.random);
          this.debug("retrying after a connection failure", req, { attempt, delayMs: delay, error: networkErrorCode(error) ?? String(error) });
          await sleep(delay, req.signal);
          continue;
        }
        throw this.networkError(req, error, attempt);
      }
      const { res, url } = outcome;
      if (attempt < maxAttempts && isTemporaryStatus(res.statusCode)) {
        const retryAfter = parseRetryAfter(headerValue(res.headers, "retry-after"));
        if (retryAfter === undefined || retryAfter <= this.retryPolicy.maxRetryAfterMs) {
          await res.body.dump().catch(() => undefined);
          const delay = retryDelay(attempt, this.retryPolicy, retryAfter, this.random);
          this.debug("retrying after a temporary failure", req, { attempt, status: res.statusCode, delayMs: delay });
          await sleep(delay, req.signal);
          continue;
        }
      }
      return { status: res.statusCode, headers: res.headers, url, body: res.body, attempts: attempt };
    }
  }

  private async followRedirects(req: TransportRequest, attempt: number): Promise<{ res: Dispatcher.ResponseData; url: URL }> {
    let url = req.url;
    let method: HttpMethod = req.method;
    let headers = lowerCaseHeaders(req.headers);
    headers["user-agent"] ??= this.userAgent;
    let body: RequestBody | undefined = req.body;
    for (let hop = 0; ; hop++) {
      const res = await this.send(req, method, url, headers, body, attempt);
      if (!REDIRECT_STATUSES.has(res.statusCode)) return { res, url };
      const location = headerValue(res.headers, "location");
      if (location === undefined) return { res, url };
      await res.body.dump().catch(() => undefined);
      const registry = req.registry ?? req.url.host;
      const protocolError = (message: string): RegistryError =>
        new RegistryError({ code: "REGISTRY_PROTOCOL", message, registry, method: req.method, url: redactUrl(req.url), status: res.statusCode, temporary: false });
      if (hop >= this.maxRedirects) throw protocolError(`${req.method} ${redactUrl(req.url)}: more than ${this.maxRedirects} redirects`);
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        throw protocolError(`${req.method} ${redactUrl(url)}: redirect to an invalid URL`);
      }
      if (next.protocol !== "https:" && next.protocol !== "http:") throw protocolError(`${req.method} ${redactUrl(url)}: redirect to unsupported scheme ${next.protocol}`);
      if (url.protocol === "https:" && next.protocol === "http:") {
        throw protocolError(`${req.method} ${redactUrl(url)}: refusing a redirect from https to plain http (${redactUrl(next)})`);
      }
      if (next.origin !== url.origin) {
        // Credentials belong to the origin they were issued for; S3/GCS presigned URLs carry their own.
        headers = Object.fromEntries(Object.entries(headers).filter(([k]) => !CREDENTIAL_HEADERS.includes(k)));
      }
      const status = res.statusCode;
      if ((status === 303 && method !== "HEAD") || ((status === 301 || status === 302) && method === "POST")) {
        method = "GET";
        body = undefined;
        headers = Object.fromEntries(Object.entries(headers).filter(([k]) => k !== "content-type" && k !== "content-length" && k !== "content-range"));
      } else if (body !== undefined && !isReplayableBody(body)) {
        throw protocolError(`${req.method} ${redactUrl(url)}: the registry redirected an upload whose stream cannot be sent twice`);
      }
      this.debug("following redirect", req, { status, to: redactUrl(next) });
      url = next;
    }
  }

  private async send(
    req: TransportRequest,
    method: HttpMethod,
    url: URL,
    headers: Record<string, string>,
    body: RequestBody | undefined,
    attempt: number,
  ): Promise<Dispatcher.ResponseData> {
    const agent = await agentFor(url, req.tls);
    let payload: string | Uint8Array | Readable | undefined;
    try {
      payload = typeof body === "function" ? await body() : body;
    } catch (error) {
      throw new BodySourceError(error);
    }
    let sourceError: unknown;
    // undici destroys the body with the socket's error when the connection fails: only errors that
    // are not connection errors come from the source itself (a digest mismatch, a file read error).
    if (payload instanceof Readable) payload.once("error", (error) => (sourceError ??= isSourceFailure(error) ? error : undefined));
    let release: () => void;
    try {
      release = await this.limiter.acquire(url.host, req.signal);
    } catch (error) {
      if (payload instanceof Readable) payload.destroy();
      throw error;
    }
    const started = Date.now();
    try {
      const res = await agent.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method,
        headers,
        body: payload ?? null,
        signal: req.signal ?? null,
        ...(this.headersTimeoutMs !== undefined ? { headersTimeout: this.headersTimeoutMs } : {}),
        ...(this.bodyTimeoutMs !== undefined ? { bodyTimeout: this.bodyTimeoutMs } : {}),
      });
      if (this.logger.enabled("debug")) {
        this.logger.log("debug", "registry request", { method, url: redactUrl(url), status: res.statusCode, ms: Date.now() - started, attempt });
      }
      return res;
    } catch (error) {
      if (sourceError !== undefined && !(req.signal?.aborted ?? false)) throw new BodySourceError(sourceError);
      if (this.logger.enabled("debug")) {
        this.logger.log("debug", "registry request failed", { method, url: redactUrl(url), ms: Date.now() - started, attempt, error: networkErrorCode(error) ?? String((error as Error)?.message ?? error) });
      }
      throw error;
    } finally {
      release();
    }
  }

  private networkError(req: TransportRequest, error: unknown, attempts: number): RegistryError {
    const code = networkErrorCode(error);
    const detail = error instanceof Error ? error.message : String(error);
    const tries = attempts > 1 ? ` (after ${attempts} attempts)` : "";
    return new RegistryError({
      code: "REGISTRY_NETWORK",
      message: `${req.method} ${redactUrl(req.url)}: ${detail}${code !== undefined && !detail.includes(code) ? ` (${code})` : ""}${tries}`,
      registry: req.registry ?? req.url.host,
      method: req.method,
      url: redactUrl(req.url),
      temporary: isRetryableNetworkError(error),
      cause: error,
    });
  }

  private debug(message: string, req: TransportRequest, fields: Record<string, string | number>): void {
    if (this.logger.enabled("debug")) this.logger.log("debug", message, { method: req.method, url: redactUrl(req.url), ...fields });
  }
}

function isSourceFailure(error: unknown): boolean {
  if (error instanceof AirgapError) return true;
  const code = networkErrorCode(error);
  return code === undefined || !(RETRYABLE_NETWORK_CODES.has(code) || code.startsWith("UND_ERR") || code === "ABORT_ERR");
}

/** Marks a failure of the request body's own source (a file read error, a digest mismatch) so it is rethrown as is. */
class BodySourceError extends Error {
  constructor(cause: unknown) {
    super("request body failed", { cause });
  }
}

let shared: Transport | undefined;

/** The process-wide transport (one pool of connections for every registry client). */
export function sharedTransport(): Transport {
  shared ??= new Transport();
  return shared;
}

/** Wraps an async iterable or buffer list as a Readable (for bodies built from chunks). */
export function readableFrom(chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Readable {
  return Readable.from(chunks, { objectMode: false });
}
