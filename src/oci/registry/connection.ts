/**
 * One registry endpoint: its base URL, TLS scope, authenticator and request
 * limit, on top of the command's transport. Every distribution API call goes
 * through {@link RegistryConnection.send}, which attaches credentials only to
 * the registry's own origin and answers 401 challenges.
 */
import type { Logger } from "../../core/logger.js";
import { silentLogger } from "../../core/logger.js";
import { redactUrl } from "../../core/redact.js";
import { Authenticator, challengeHeader } from "./auth.js";
import { parseWwwAuthenticate } from "./challenge.js";
import { environmentCredentials, staticCredentials } from "./credentials.js";
import type { Credentials, CredentialsProvider } from "./credentials-types.js";
import { RegistryError } from "./errors.js";
import { discard, readErrorBody, responseError } from "./response.js";
import { HostLimiter } from "./limiter.js";
import type { TlsPolicy, TlsScope } from "./tls.js";
import { headerValue, isReplayableBody, type HttpMethod, type RequestBody, type Transport, type TransportRequest, type TransportResponse } from "./transport.js";

/** Settings of one registry endpoint. */
export interface RegistryEndpointOptions {
  /**
   * `https://host[:port]`, `http://host[:port]` (plain HTTP for this registry
   * only), or a bare `host[:port]` meaning https. `docker.io` maps to Docker
   * Hub's API host.
   */
  readonly url: string;
  readonly tls?: TlsPolicy;
  /** Explicit credentials or a provider; default: the user's docker/containers auth files, consulted on the first challenge. */
  readonly credentials?: Credentials | CredentialsProvider;
  readonly logger?: Logger;
  /** The command's transport (connection pools, clock, retries); one per run, shared by every client. */
  readonly transport: Transport;
  /**
   * Requests in flight per host for THIS client (default: the transport's,
   * 6). Another client of the same registry keeps its own limit.
   */
  readonly concurrency?: number;
}

/** Result of `GET /v2/`: the registry speaks the API, and how it authenticates. */
export interface PingResult {
  readonly registry: string;
  /** `anonymous`, `basic` or `bearer` after authentication (if any) succeeded. */
  readonly auth: "anonymous" | "basic" | "bearer";
  /** `Docker-Distribution-API-Version`, informational only (spec: clients should not depend on it). */
  readonly apiVersion: string | undefined;
}

/** One request through the connection. */
export interface RegistrySendRequest {
  readonly method: HttpMethod;
  /** Absolute URL (upload Locations, next pages) or a path on the registry (`/v2/...`). */
  readonly url: URL | string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: RequestBody;
  /** Token scopes the request needs (`repository:team/app:pull`). */
  readonly scopes: readonly string[];
  readonly signal?: AbortSignal;
  readonly retry?: boolean;
  /** The response body is streamed to a consumer (blob downloads); see {@link TransportRequest.streamed}. */
  readonly streamed?: boolean;
}

/**
 * Normalises a registry URL setting to the API base (scheme, host, port).
 * A bare host means https; only an explicit `http://` selects plain HTTP.
 */
export function registryBaseUrl(url: string): URL {
  const text = url.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`;
  let parsed: URL;
  try {
    parsed = new URL(withScheme);
  } catch {
    throw new RegistryError({ code: "REGISTRY_PROTOCOL", message: `invalid registry URL "${url}"`, registry: url, method: "-", url, temporary: false });
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new RegistryError({ code: "REGISTRY_PROTOCOL", message: `registry URL "${url}" must use https:// or http://`, registry: url, method: "-", url, temporary: false });
  }
  if (parsed.hostname === "docker.io" || parsed.hostname === "index.docker.io") parsed.hostname = "registry-1.docker.io";
  return new URL(parsed.origin);
}

/** The registry name used in messages and for credential lookup (`docker.io` for Docker Hub). */
export function registryDisplayName(base: URL): string {
  return base.hostname === "registry-1.docker.io" ? "docker.io" : base.host;
}

/** Turns the `credentials` option into a provider. */
export function credentialsProvider(option: Credentials | CredentialsProvider | undefined, logger: Logger): CredentialsProvider {
  if (typeof option === "function") return option;
  if (option !== undefined) return staticCredentials(option);
  return environmentCredentials({ logger });
}

/** A registry endpoint with authentication; the base of {@link RegistryClient}. */
export class RegistryConnection {
  /** Registry name for messages (`127.0.0.1:5000`, `docker.io`). */
  readonly registry: string;
  readonly baseUrl: URL;
  readonly transport: Transport;
  readonly logger: Logger;
  readonly auth: Authenticator;
  readonly tls: TlsScope | undefined;
  /** This client's own per-host request limit. */
  readonly limiter: HostLimiter;

  constructor(options: RegistryEndpointOptions) {
    this.baseUrl = registryBaseUrl(options.url);
    this.registry = registryDisplayName(this.baseUrl);
    this.transport = options.transport;
    this.logger = options.logger ?? silentLogger;
    this.tls = options.tls !== undefined ? { hostname: this.baseUrl.hostname, policy: options.tls } : undefined;
    this.limiter = new HostLimiter(options.concurrency ?? this.transport.defaultConcurrency);
    this.auth = new Authenticator({
      registry: this.registry,
      send: (req) => this.transport.request({ ...req, ...(this.tls !== undefined ? { tls: this.tls } : {}), limiter: this.limiter, registry: this.registry }),
      credentials: credentialsProvider(options.credentials, this.logger),
      logger: this.logger,
      now: () => this.transport.clock.now(),
    });
  }

  /** An absolute URL for a path on the registry. */
  url(path: string): URL {
    return new URL(path, this.baseUrl);
  }

  /**
   * `GET /v2/`: checks that the endpoint is a registry and that the
   * credentials work (a token with no scope is fetched for Bearer registries).
   */
  async ping(options: { readonly signal?: AbortSignal } = {}): Promise<PingResult> {
    const res = await this.send({ method: "GET", url: "/v2/", scopes: [], ...(options.signal !== undefined ? { signal: options.signal } : {}) });
    if (res.status !== 200) {
      const error = await responseError(res, { registry: this.registry, method: "GET", action: `${this.registry} does not look like an OCI registry` });
      throw error;
    }
    await discard(res);
    if (/html/i.test(headerValue(res.headers, "content-type") ?? "")) {
      // A catch-all web server (or a login page) answers 200 to anything; a registry answers JSON.
      throw new RegistryError({
        code: "REGISTRY_PROTOCOL",
        message: `${this.registry} answered GET /v2/ with an HTML page, not the registry API (wrong URL, or a proxy/login page in front of it?)`,
        registry: this.registry,
        method: "GET",
        url: redactUrl(res.url),
        status: res.status,
        temporary: false,
      });
    }
    const scheme = this.auth.authScheme.kind;
    return { registry: this.registry, auth: scheme === "basic" || scheme === "bearer" ? scheme : "anonymous", apiVersion: headerValue(res.headers, "docker-distribution-api-version") };
  }

  /**
   * Sends a request with the right credentials. On a 401 from the registry
   * it learns the challenge, obtains fresh credentials and retries once (for
   * replayable bodies); a second 401 is "authentication failed for …".
   */
  async send(req: RegistrySendRequest): Promise<TransportResponse> {
    const url = typeof req.url === "string" ? this.url(req.url) : req.url;
    const own = url.origin === this.baseUrl.origin;
    const replayable = isReplayableBody(req.body);
    if (own && !replayable && !this.auth.known) await this.learnAuth(req.signal);
    let authorization = own ? await this.auth.authorization(req.scopes, req.signal) : undefined;
    let res = await this.transport.request(this.transportRequest(req, url, authorization));
    if (res.status === 401 && own) {
      const body = await readErrorBody(res);
      const outcome = await this.auth.handleUnauthorized(challengeHeader(res.headers), body, req.scopes, authorization, { method: req.method, url, status: 401 });
      if (!outcome.retry) throw outcome.error;
      if (!replayable) {
        throw new RegistryError({
          code: "REGISTRY_AUTH",
          message: `${req.method} ${redactUrl(url)}: ${this.registry} asked for new credentials during a streamed upload; the upload must be started again`,
          registry: this.registry,
          method: req.method,
          url: redactUrl(url),
          status: 401,
          temporary: true,
        });
      }
      authorization = await this.auth.authorization(req.scopes, req.signal);
      res = await this.transport.request(this.transportRequest(req, url, authorization));
      if (res.status === 401) {
        const again = await readErrorBody(res);
        // Fresh credentials and still refused: these credentials have no access to what the request needs.
        throw await this.auth.authFailed(again, { method: req.method, url, status: 401 }, undefined, req.scopes);
      }
    }
    if (own && authorization === undefined && res.status < 400) this.auth.noteAnonymousSuccess();
    return res;
  }

  /** Learns how the registry authenticates before a request whose body cannot be sent twice. */
  private async learnAuth(signal: AbortSignal | undefined): Promise<void> {
    const res = await this.transport.request({
      method: "GET",
      url: this.url("/v2/"),
      ...(signal !== undefined ? { signal } : {}),
      ...(this.tls !== undefined ? { tls: this.tls } : {}),
      limiter: this.limiter,
      registry: this.registry,
    });
    if (res.status === 401) this.auth.learn(parseWwwAuthenticate(challengeHeader(res.headers)));
    else if (res.status < 400) this.auth.noteAnonymousSuccess();
    await discard(res);
  }

  private transportRequest(req: RegistrySendRequest, url: URL, authorization: string | undefined): TransportRequest {
    return {
      method: req.method,
      url,
      headers: { ...req.headers, ...(authorization !== undefined ? { authorization } : {}) },
      ...(req.body !== undefined ? { body: req.body } : {}),
      ...(req.signal !== undefined ? { signal: req.signal } : {}),
      ...(this.tls !== undefined ? { tls: this.tls } : {}),
      ...(req.retry !== undefined ? { retry: req.retry } : {}),
      ...(req.streamed !== undefined ? { streamed: req.streamed } : {}),
      limiter: this.limiter,
      registry: this.registry,
    };
  }
}
