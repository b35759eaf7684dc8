/**
 * The HTTP layer under the registry client: undici with pooled keep-alive
 * connections, per-host concurrency limits, retries of transient failures
 * with jittered backoff (honouring Retry-After), and redirects followed by
 * hand so that credentials never leave the origin they were meant for
 * (S3 presigned URLs reject a second auth mechanism, providers-notes §1.10).
 *
 * One {@link Transport} per command run: it owns the connection pools, the
 * TLS contexts, the clock and the counters; nothing here is process-wide.
 */
import { Readable } from "node:stream";
import type { Dispatcher } from "undici";
import type { Logger } from "../../core/logger.js";
import { silentLogger } from "../../core/logger.js";
import { redactUrl } from "../../core/redact.js";
import { AirgapError } from "../../core/errors.js";
import { AbortFanout } from "./abort.js";
import { DEFAULT_RETRY_POLICY, parseRetryAfter, retryDelay, type RetryPolicy } from "./backoff.js";
import { systemClock, type Clock } from "./clock.js";
import { RegistryError, isTemporaryStatus } from "./errors.js";
import { HostLimiter } from "./limiter.js";
import { isRetryableNetworkError, isSourceFailure, networkErrorCode } from "./network-errors.js";
import { AgentPool, type TlsScope } from "./tls.js";
import { describeTlsFailure, tlsProblem } from "./tls-errors.js";
import { StatsCounter, type TransportStats } from "./transport-stats.js";
import { request } from "./undici.js";

export { isRetryableNetworkError, networkErrorCode } from "./network-errors.js";

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
  /** Whose per-host limit the request counts against (a registry client's own); default: the transport's. */
  readonly limiter?: HostLimiter;
  /**
   * True when the response body is streamed to a consumer that may itself wait
   * for other requests (a blob download feeding an upload): its permit is given
   * back once the headers arrive, so such chains cannot deadlock. Otherwise the
   * permit is held until the body is consumed, which keeps the number of
   * connections at the limit (a connection is busy until its body is read).
   */
  readonly streamed?: boolean;
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
  /** The answer's `Retry-After`, in milliseconds, when it had one. */
  readonly retryAfterMs: number | undefined;
}

/** Settings of a transport; all optional. */
export interface TransportOptions {
  /** Requests in flight per host (`host:port`) for clients that set no limit of their own. Default 6. */
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
  /** Time for token expiry, Retry-After dates and backoff waits. Default: the system clock. */
  readonly clock?: Clock;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const CREDENTIAL_HEADERS = ["authorization", "cookie", "proxy-authorization"];

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
 * Sends registry requests. Create one per command run and hand it to every
 * registry client (and HTTP download) of that run: its connection pools are
 * shared, so keep-alive connections are reused across repositories and
 * registries, and {@link close} ends them all.
 *
 * Concurrency: a request holds a permit of its limiter (the registry
 * client's own, see {@link TransportRequest.limiter}) from sending until its
 * response body is consumed, or only until the headers for a
 * {@link TransportRequest.streamed} body.
 */
export class Transport {
  /** Time as the registry clients of this transport see it. */
  readonly clock: Clock;
  private readonly defaultLimiter: HostLimiter;
  private readonly retryPolicy: RetryPolicy;
  private readonly maxRedirects: number;
  private readonly headersTimeoutMs: number | undefined;
  private readonly bodyTimeoutMs: number | undefined;
  private readonly userAgent: string;
  private readonly logger: Logger;
  private readonly random: () => number;
  private readonly counters = new StatsCounter();
  private readonly agents = new AgentPool((host) => this.counters.connection(host));
  private readonly aborts = new AbortFanout();

  constructor(options: TransportOptions = {}) {
    this.defaultLimiter = new HostLimiter(options.perHostConcurrency ?? 6);
    this.retryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.maxRedirects = options.maxRedirects ?? 5;
    this.headersTimeoutMs = options.headersTimeoutMs;
    this.bodyTimeoutMs = options.bodyTimeoutMs;
    this.userAgent = options.userAgent ?? "airgap";
    this.logger = options.logger ?? silentLogger;
    this.random = options.random ?? Math.random;
    this.clock = options.clock ?? systemClock;
  }

  /** The retry policy in force (uploads reuse it for their own resume loops). */
  get retry(): RetryPolicy {
    return this.retryPolicy;
  }

  /** Requests in flight per host for a client that sets no limit of its own. */
  get defaultConcurrency(): number {
    return this.defaultLimiter.limit;
  }

  /** Requests sent (per method) and connections opened so far, in total and per host. */
  stats(): TransportStats {
    return this.counters.snapshot();
  }

  /** The jittered backoff before retry number `retry` (1 for the first), or the registry's Retry-After. */
  retryDelay(retry: number, retryAfterMs?: number): number {
    return retryDelay(retry, this.retryPolicy, retryAfterMs, this.random);
  }

  /**
   * Waits on this transport's clock. Aborting `signal` rejects at once; many
   * waits on one signal cost it a single listener.
   */
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    const scope = this.aborts.child(signal);
    try {
      await this.clock.sleep(ms, scope.signal);
    } finally {
      scope.dispose();
    }
  }

  /** Closes every pooled connection. The transport cannot be used afterwards. */
  close(): Promise<void> {
    return this.agents.close();
  }

  /**
   * Sends a request, retrying 408/429/5xx answers and connection failures
   * when the body can be replayed, and following up to `maxRedirects`
   * redirects. Returns the final response, whatever its status (the caller
   * decides what is an error, and must consume or dump its body); throws
   * {@link RegistryError} when no response could be obtained.
   */
  async request(req: TransportRequest): Promise<TransportResponse> {
    // The request's own signal: undici, the limiter and backoff waits listen on it, not on the
    // caller's signal, which many requests share (issue 9: MaxListenersExceededWarning).
    const scope = this.aborts.child(req.signal);
    const signal = scope.signal;
    try {
      const maxAttempts = req.retry === false || !isReplayableBody(req.body) ? 1 : Math.max(1, this.retryPolicy.maxAttempts);
      for (let attempt = 1; ; attempt++) {
        let outcome: { res: Dispatcher.ResponseData; url: URL };
        try {
          outcome = await this.followRedirects(req, signal, attempt);
        } catch (error) {
          if (req.signal?.aborted) throw req.signal.reason ?? error;
          if (error instanceof BodySourceError) throw error.cause; // the caller's content failed, not the network
          if (error instanceof AirgapError) throw error;
          if (attempt < maxAttempts && isRetryableNetworkError(error)) {
            const delay = this.retryDelay(attempt);
            this.debug("retrying after a connection failure", req, { attempt, delayMs: delay, error: networkErrorCode(error) ?? String(error) });
            await this.clock.sleep(delay, signal);
            continue;
          }
          throw this.networkError(req, error, attempt);
        }
        const { res, url } = outcome;
        const retryAfterMs = parseRetryAfter(headerValue(res.headers, "retry-after"), this.clock.now());
        if (attempt < maxAttempts && isTemporaryStatus(res.statusCode) && (retryAfterMs === undefined || retryAfterMs <= this.retryPolicy.maxRetryAfterMs)) {
          await res.body.dump().catch(() => undefined);
          const delay = this.retryDelay(attempt, retryAfterMs);
          this.debug("retrying after a temporary failure", req, { attempt, status: res.statusCode, delayMs: delay });
          await this.clock.sleep(delay, signal);
          continue;
        }
        // The caller reads the body; the request is over (and stops following the caller's signal) when it closes.
        res.body.once("close", () => scope.dispose());
        return { status: res.statusCode, headers: res.headers, url, body: res.body, attempts: attempt, retryAfterMs };
      }
    } catch (error) {
      scope.dispose();
      throw error;
    }
  }

  private async followRedirects(req: TransportRequest, signal: AbortSignal | undefined, attempt: number): Promise<{ res: Dispatcher.ResponseData; url: URL }> {
    let url = req.url;
    let method: HttpMethod = req.method;
    let headers = lowerCaseHeaders(req.headers);
    headers["user-agent"] ??= this.userAgent;
    let body: RequestBody | undefined = req.body;
    for (let hop = 0; ; hop++) {
      const res = await this.send(req, signal, method, url, headers, body, attempt);
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
    signal: AbortSignal | undefined,
    method: HttpMethod,
    url: URL,
    headers: Record<string, string>,
    body: RequestBody | undefined,
    attempt: number,
  ): Promise<Dispatcher.ResponseData> {
    const agent = await this.agents.agentFor(url, req.tls);
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
    let permit: () => void;
    try {
      permit = await (req.limiter ?? this.defaultLimiter).acquire(url.host, signal);
    } catch (error) {
      if (payload instanceof Readable) payload.destroy();
      throw error;
    }
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      permit();
    };
    // undici makes a finished connection reusable only on the next turn of the event loop; a
    // request dispatched before that would open a new connection beside the idle one (issue 14).
    await new Promise<void>((resolve) => setImmediate(resolve));
    const started = this.clock.now();
    this.counters.request(url.host, method);
    try {
      const res = await request(agent, {
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method,
        headers,
        body: payload ?? null,
        signal: signal ?? null,
        // undici closes the connection after every HEAD unless told otherwise (issue 14: 1,000 HEADs, 1,000 connects).
        ...(method === "HEAD" ? { reset: false } : {}),
        ...(this.headersTimeoutMs !== undefined ? { headersTimeout: this.headersTimeoutMs } : {}),
        ...(this.bodyTimeoutMs !== undefined ? { bodyTimeout: this.bodyTimeoutMs } : {}),
      });
      if (req.streamed === true) release();
      else res.body.once("close", release);
      if (this.logger.enabled("debug")) {
        this.logger.log("debug", "registry request", { method, url: redactUrl(url), status: res.statusCode, ms: this.clock.now() - started, attempt });
      }
      return res;
    } catch (error) {
      release();
      if (sourceError !== undefined && !(signal?.aborted ?? false)) throw new BodySourceError(sourceError);
      if (this.logger.enabled("debug")) {
        this.logger.log("debug", "registry request failed", { method, url: redactUrl(url), ms: this.clock.now() - started, attempt, error: networkErrorCode(error) ?? String((error as Error)?.message ?? error) });
      }
      throw error;
    }
  }

  private networkError(req: TransportRequest, error: unknown, attempts: number): RegistryError {
    const registry = req.registry ?? req.url.host;
    const tls = tlsProblem(error);
    if (tls !== undefined) {
      return new RegistryError({
        code: "REGISTRY_TLS",
        message: describeTlsFailure(req.url.host, tls, req.tls?.hostname === req.url.hostname ? req.tls.policy : undefined),
        registry,
        method: req.method,
        url: redactUrl(req.url),
        temporary: false,
        cause: error,
      });
    }
    const code = networkErrorCode(error);
    const detail = error instanceof Error ? error.message : String(error);
    const tries = attempts > 1 ? ` (after ${attempts} attempts)` : "";
    return new RegistryError({
      code: "REGISTRY_NETWORK",
      message: `${req.method} ${redactUrl(req.url)}: ${detail}${code !== undefined && !detail.includes(code) ? ` (${code})` : ""}${tries}`,
      registry,
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

/** Marks a failure of the request body's own source (a file read error, a digest mismatch) so it is rethrown as is. */
class BodySourceError extends Error {
  constructor(cause: unknown) {
    super("request body failed", { cause });
  }
}
