/**
 * Registry authentication: anonymous, Basic, and the Bearer token flow of
 * the distribution token spec (auth-token.md). Learns the scheme from the
 * registry's first 401 challenge, caches tokens per scope set, refreshes them
 * shortly before expiry or when the registry rejects one, and never runs two
 * refreshes for the same key at once.
 */
import type { Logger } from "../../core/logger.js";
import { silentLogger } from "../../core/logger.js";
import { redactUrl } from "../../core/redact.js";
import { bearerChallenge, hasBasicChallenge, parseWwwAuthenticate, type AuthChallenge } from "./challenge.js";
import { describeCredentials, isPasswordCredentials, type Credentials, type CredentialsProvider } from "./credentials-types.js";
import { RegistryError, describeErrorBody, errorBodyFields, isTemporaryStatus, registryMessage, type ParsedErrorBody } from "./errors.js";
import { withQuery } from "./location.js";
import { readBodyText, readErrorBody } from "./response.js";
import { mergeScopes, scopeKey } from "./scope.js";
import { headerValues, type TransportRequest, type TransportResponse } from "./transport.js";

/** How a registry wants to be authenticated, as learnt from its answers. */
export type AuthScheme =
  | { readonly kind: "unknown" }
  | { readonly kind: "anonymous" }
  | { readonly kind: "basic" }
  | { readonly kind: "bearer"; readonly realm: string; readonly service: string | undefined };

/** A bearer token and when to stop using it. */
export interface BearerToken {
  readonly value: string;
  /** Epoch ms after which the token is treated as expired (refreshed a little before). */
  readonly expiresAt: number;
  readonly lifetimeMs: number;
  readonly scopes: readonly string[];
}

/** Lifetime assumed when the token response has no `expires_in` (auth-token.md). */
export const DEFAULT_TOKEN_LIFETIME_S = 60;

/** Sends a request to a token endpoint (through the registry's transport, TLS policy and limit). */
export type TokenRequestSender = (req: Pick<TransportRequest, "method" | "url" | "headers" | "body" | "signal">) => Promise<TransportResponse>;

/** Settings of an {@link Authenticator}. */
export interface AuthenticatorOptions {
  /** Registry host, for messages and credential lookup. */
  readonly registry: string;
  readonly send: TokenRequestSender;
  readonly credentials: CredentialsProvider;
  readonly logger?: Logger;
  /** `client_id` sent to token endpoints (auth-token.md asks for a meaningful value). */
  readonly clientId?: string;
  /** The clock for token expiry (the transport's). Default `Date.now`. */
  readonly now?: () => number;
}

/** What the caller of {@link Authenticator.handleUnauthorized} should do next. */
export type UnauthorizedOutcome = { readonly retry: true } | { readonly retry: false; readonly error: RegistryError };

/** The parsed token endpoint answer (auth-token.md "Token Response Fields"). */
export interface TokenResponse {
  readonly token: string;
  readonly expiresInS: number;
  readonly issuedAt: number | undefined;
}

/** Parses a token endpoint JSON answer: `token` or `access_token`, `expires_in` (default 60 s), `issued_at`. */
export function parseTokenResponse(json: unknown): TokenResponse | undefined {
  if (typeof json !== "object" || json === null) return undefined;
  const record = json as Record<string, unknown>;
  const token = typeof record.token === "string" && record.token !== "" ? record.token : typeof record.access_token === "string" && record.access_token !== "" ? record.access_token : undefined;
  if (token === undefined) return undefined;
  const expires = typeof record.expires_in === "number" && Number.isFinite(record.expires_in) && record.expires_in > 0 ? record.expires_in : DEFAULT_TOKEN_LIFETIME_S;
  const issued = typeof record.issued_at === "string" ? Date.parse(record.issued_at) : Number.NaN;
  return { token, expiresInS: expires, issuedAt: Number.isNaN(issued) ? undefined : issued };
}

/**
 * When a token expires: `issued_at + expires_in` if the server's clock looks
 * sane (not in the future, not so far back that the token would already be
 * dead), else `now + expires_in`, so clock skew cannot cause a refresh loop.
 */
export function tokenExpiry(response: TokenResponse, now: number): number {
  const lifetime = response.expiresInS * 1000;
  const fromNow = now + lifetime;
  if (response.issuedAt === undefined || response.issuedAt > now) return fromNow;
  const fromIssued = response.issuedAt + lifetime;
  return fromIssued - now < Math.min(lifetime / 2, 10_000) ? fromNow : fromIssued;
}

/** How long before expiry a token is refreshed: a quarter of its life, between 5 s and 60 s. */
export function refreshMargin(lifetimeMs: number): number {
  return Math.max(5_000, Math.min(60_000, lifetimeMs / 4));
}

function basicHeader(credentials: Credentials): string | undefined {
  if (!isPasswordCredentials(credentials)) return undefined;
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, "utf8").toString("base64")}`;
}

/**
 * Authenticates requests to one registry. Shared by every repository of a
 * {@link RegistryClient}; tokens are cached per scope set, so pull and push
 * tokens of different repositories do not evict each other.
 *
 * A refusal is final for the credentials that got it: the error is kept and
 * thrown again for later requests that would only be refused the same way,
 * so one wrong password is one 401 (and one message), not one per image,
 * and never enough attempts to lock the account.
 */
export class Authenticator {
  private readonly options: AuthenticatorOptions;
  private readonly logger: Logger;
  private readonly now: () => number;
  private scheme: AuthScheme = { kind: "unknown" };
  private credentialsPromise: Promise<Credentials | undefined> | undefined;
  private readonly tokens = new Map<string, BearerToken>();
  private readonly inflight = new Map<string, Promise<BearerToken>>();
  /** Scopes a challenge asked for beyond what the caller named, per scope key. */
  private readonly extraScopes = new Map<string, readonly string[]>();
  /** The realm of the last challenge (Basic realm name or token endpoint), for messages. */
  private realm: string | undefined;
  /** Refusals of the credentials: for every request (`*`, wrong password) or per scope key (no access). */
  private readonly refusals = new Map<string, RegistryError>();

  constructor(options: AuthenticatorOptions) {
    this.options = options;
    this.logger = options.logger ?? silentLogger;
    this.now = options.now ?? Date.now;
  }

  /** The scheme learnt so far. */
  get authScheme(): AuthScheme {
    return this.scheme;
  }

  /** True once the registry has told how it authenticates (or that it does not). */
  get known(): boolean {
    return this.scheme.kind !== "unknown";
  }

  /** Records that an unauthenticated request succeeded: the registry is anonymous (for that request at least). */
  noteAnonymousSuccess(): void {
    if (this.scheme.kind === "unknown") this.scheme = { kind: "anonymous" };
  }

  /** Learns the scheme from a challenge without a failed request (the answer of `GET /v2/`). */
  learn(challenges: readonly AuthChallenge[]): void {
    const bearer = bearerChallenge(challenges);
    if (bearer !== undefined) {
      this.scheme = { kind: "bearer", realm: bearer.realm, service: bearer.service };
      this.realm = bearer.realm;
    } else if (hasBasicChallenge(challenges)) {
      this.scheme = { kind: "basic" };
      this.realm = challenges.find((c) => c.scheme === "basic")?.params.realm;
    }
  }

  /** The credentials for this registry (looked up once, lazily). */
  credentials(): Promise<Credentials | undefined> {
    this.credentialsPromise ??= this.options.credentials(this.options.registry);
    return this.credentialsPromise;
  }

  /**
   * The `Authorization` header for a request that needs `scopes`, fetching
   * or refreshing a token when needed. Undefined while the scheme is unknown
   * or the registry is anonymous.
   */
  async authorization(scopes: readonly string[], signal?: AbortSignal): Promise<string | undefined> {
    const refused = this.refusals.get("*") ?? this.refusals.get(scopeKey(scopes));
    if (refused !== undefined) throw refused;
    const scheme = this.scheme;
    switch (scheme.kind) {
      case "unknown":
      case "anonymous":
        return undefined;
      case "basic": {
        const credentials = await this.credentials();
        return credentials === undefined ? undefined : basicHeader(credentials);
      }
      case "bearer": {
        const token = await this.token(scheme, scopes, signal);
        return `Bearer ${token.value}`;
      }
    }
  }

  /**
   * Handles a 401 answer to a request that carried `sent` (or no
   * Authorization). Returns `retry` when fresh authentication may help
   * (first challenge seen, token expired or lacking a scope), or the
   * "authentication failed for <registry>: <message>" error when it will not.
   */
  async handleUnauthorized(
    challengeHeader: string | readonly string[] | undefined,
    body: ParsedErrorBody,
    scopes: readonly string[],
    sent: string | undefined,
    request: { readonly method: string; readonly url: URL; readonly status: number },
  ): Promise<UnauthorizedOutcome> {
    const challenges = parseWwwAuthenticate(challengeHeader);
    const bearer = bearerChallenge(challenges);
    this.learn(challenges);
    const fail = async (why?: string): Promise<UnauthorizedOutcome> => ({
      retry: false,
      error: await this.authFailed(body, request, why),
    });
    if (bearer !== undefined) {
      const key = scopeKey(scopes);
      const extra = bearer.scopes.length > 0 ? mergeScopes(this.extraScopes.get(key) ?? [], bearer.scopes) : this.extraScopes.get(key);
      if (extra !== undefined) this.extraScopes.set(key, extra);
      const cached = this.tokens.get(key);
      if (cached !== undefined && `Bearer ${cached.value}` === sent) {
        // The registry rejected our token: expired early, revoked, or missing a scope. Fetch a new one
        // (the caller retries once; another request may already have replaced it, then that one is used).
        this.tokens.delete(key);
      }
      return { retry: true };
    }
    if (hasBasicChallenge(challenges)) {
      const credentials = await this.credentials();
      if (credentials === undefined) return fail();
      if (sent !== undefined && sent.startsWith("Basic ")) return fail();
      if (basicHeader(credentials) === undefined) return fail("the registry wants a username and password, but only an identity token is configured");
      return { retry: true };
    }
    return fail(challenges.length === 0 ? "the registry sent no WWW-Authenticate challenge" : `unsupported authentication scheme "${challenges[0]?.scheme ?? ""}"`);
  }

  /**
   * The "authentication failed for <registry> (realm …): <registry's own
   * message>; tried <credentials by kind and origin>" error, remembered so
   * that later requests fail with it without asking again. `scopes` limits
   * the refusal to those scopes (a token without access to one repository);
   * without it the credentials themselves were refused.
   */
  async authFailed(body: ParsedErrorBody, request: { readonly method: string; readonly url: URL; readonly status: number }, why?: string, scopes?: readonly string[]): Promise<RegistryError> {
    const credentials = await this.credentials().catch(() => undefined);
    const hint = why;
    // A HEAD answer has no body: say what happened instead of "no message".
    const own =
      body.kind !== "empty" ? registryMessage(body) : credentials === undefined ? "authentication required" : `the registry refused the credentials (HTTP ${request.status})`;
    const realm = this.realm !== undefined ? ` (realm "${this.realm}")` : "";
    const error = new RegistryError({
      code: "REGISTRY_AUTH",
      message: `authentication failed for ${this.options.registry}${realm}: ${own}${hint !== undefined ? ` (${hint})` : ""}; tried ${describeCredentials(credentials)}`,
      registry: this.options.registry,
      method: request.method,
      url: redactUrl(request.url),
      status: request.status,
      ...errorBodyFields(body),
      temporary: false,
    });
    // Basic credentials are the same for every request; a bearer token is refused per scope set.
    this.refusals.set(scopes === undefined || this.scheme.kind !== "bearer" ? "*" : scopeKey(scopes), error);
    return error;
  }

  /** A cached token for the scopes, or a new one; concurrent callers share one refresh. */
  private async token(scheme: Extract<AuthScheme, { kind: "bearer" }>, scopes: readonly string[], signal?: AbortSignal): Promise<BearerToken> {
    const key = scopeKey(scopes);
    const cached = this.tokens.get(key);
    if (cached !== undefined && this.now() < cached.expiresAt - refreshMargin(cached.lifetimeMs)) return cached;
    let pending = this.inflight.get(key);
    if (pending === undefined) {
      const wanted = mergeScopes(scopes, this.extraScopes.get(key) ?? []);
      pending = this.fetchToken(scheme, wanted, signal).then(
        (token) => {
          this.tokens.set(key, token);
          return token;
        },
      );
      const settled = pending.finally(() => this.inflight.delete(key));
      settled.catch(() => undefined);
      this.inflight.set(key, pending);
    }
    return pending;
  }

  private async fetchToken(scheme: Extract<AuthScheme, { kind: "bearer" }>, scopes: readonly string[], signal?: AbortSignal): Promise<BearerToken> {
    const credentials = await this.credentials();
    let realm: URL;
    try {
      realm = new URL(scheme.realm);
    } catch {
      throw new RegistryError({
        code: "REGISTRY_PROTOCOL",
        message: `${this.options.registry} named an invalid token endpoint "${scheme.realm}" in its challenge`,
        registry: this.options.registry,
        method: "GET",
        url: scheme.realm,
        temporary: false,
      });
    }
    const clientId = this.options.clientId ?? "airgap";
    const useOauth = credentials !== undefined && !isPasswordCredentials(credentials);
    const started = this.now();
    const url = useOauth ? realm : withQuery(realm, { ...(scheme.service !== undefined ? { service: scheme.service } : {}), scope: [...scopes], client_id: clientId });
    const headers: Record<string, string> = { accept: "application/json" };
    let body: string | undefined;
    if (credentials !== undefined && isPasswordCredentials(credentials)) {
      headers.authorization = basicHeader(credentials) ?? "";
    } else if (credentials !== undefined) {
      // Identity token from `docker login` with an identity provider: the OAuth2 refresh-token grant (auth-oauth.md).
      const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: credentials.identityToken, client_id: clientId });
      if (scheme.service !== undefined) form.set("service", scheme.service);
      if (scopes.length > 0) form.set("scope", scopes.join(" "));
      body = form.toString();
      headers["content-type"] = "application/x-www-form-urlencoded";
    }
    const method = body !== undefined ? "POST" : "GET";
    const res = await this.options.send({
      method,
      url,
      headers,
      ...(body !== undefined ? { body } : {}),
      ...(signal !== undefined ? { signal } : {}),
    });
    const endpoint = redactUrl(realm);
    if (res.status === 401 || res.status === 403) {
      const parsed = await readErrorBody(res);
      throw await this.authFailed(parsed, { method, url: realm, status: res.status }, credentials === undefined ? `token endpoint ${endpoint} refused anonymous access` : `token endpoint ${endpoint} refused the credentials`);
    }
    if (res.status !== 200) {
      const parsed = await readErrorBody(res);
      throw new RegistryError({
        code: "REGISTRY_HTTP",
        message: `token endpoint ${endpoint} of ${this.options.registry} answered ${res.status}: ${describeErrorBody(parsed)}${res.attempts > 1 ? ` (after ${res.attempts} attempts)` : ""}`,
        registry: this.options.registry,
        method,
        url: endpoint,
        status: res.status,
        ...errorBodyFields(parsed),
        temporary: isTemporaryStatus(res.status),
      });
    }
    const text = await readBodyText(res, 1024 * 1024, `token from ${endpoint}`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const parsed = parseTokenResponse(json);
    if (parsed === undefined) {
      throw new RegistryError({
        code: "REGISTRY_PROTOCOL",
        message: `token endpoint ${endpoint} of ${this.options.registry} answered 200 without a "token" or "access_token" (${json === undefined ? "the body is not JSON" : "JSON without a token"})`,
        registry: this.options.registry,
        method,
        url: endpoint,
        status: 200,
        temporary: false,
      });
    }
    const now = this.now();
    const expiresAt = tokenExpiry(parsed, started <= now ? started : now);
    this.logger.log("debug", "registry token obtained", { registry: this.options.registry, scopes: scopes.join(" "), expiresInS: parsed.expiresInS });
    return { value: parsed.token, expiresAt, lifetimeMs: parsed.expiresInS * 1000, scopes };
  }
}

/** The challenge header(s) of a response, for {@link Authenticator.handleUnauthorized}. */
export function challengeHeader(headers: Parameters<typeof headerValues>[0]): string[] {
  return headerValues(headers, "www-authenticate");
}
