import { createSign, randomBytes, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One requested or granted access entry, as in the token spec's `access` claim. */
export interface TokenAccess {
  readonly type: string;
  readonly name: string;
  readonly actions: readonly string[];
}

/** What the token server did with one request (for assertions). */
export interface TokenRequestRecord {
  readonly method: string;
  readonly path: string;
  /** Authenticated user, or undefined for anonymous requests. */
  readonly user: string | undefined;
  readonly service: string | undefined;
  readonly requested: readonly TokenAccess[];
  readonly granted: readonly TokenAccess[];
  readonly status: number;
  readonly at: number;
}

/**
 * Anonymous policy: `"deny"` answers 401, `"none"` issues a token without any access (the
 * registry then refuses with 401 insufficient_scope), `"pull"` grants pull only.
 */
export type AnonymousPolicy = "deny" | "none" | "pull";

/** Options for {@link startTokenServer}. */
export interface TokenServerOptions {
  readonly username: string;
  readonly password: string;
  readonly service: string;
  readonly issuer: string;
  /** PEM certificate (sent as `x5c`) and RSA private key used to sign RS256 tokens. */
  readonly certFile: string;
  readonly keyFile: string;
  /** Lifetime reported as `expires_in` and used for `exp`; default 300 s. */
  readonly expiresIn?: number;
  /** Default `"none"`. */
  readonly anonymous?: AnonymousPolicy;
  /** Actions granted to the authenticated user on every repository; default pull, push, delete. */
  readonly userActions?: readonly string[];
  /** Full override of the grant decision. */
  readonly grant?: (user: string | undefined, requested: TokenAccess) => readonly string[];
}

/** A running token server; its behaviour can be changed while tests run. */
export interface TokenServer {
  /** Base URL, e.g. `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** The realm registries are configured with: `<url>/token`. */
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  /** Every request, in arrival order. */
  readonly requests: TokenRequestRecord[];
  /** Number of requests received (any outcome). */
  requestCount(): number;
  /** Number of tokens issued (HTTP 200). */
  issuedCount(): number;
  /** Changes the `expires_in` / `exp` of tokens issued from now on. */
  setExpiresIn(seconds: number): void;
  /** Makes the token endpoint answer `status` (e.g. 500) until called with `undefined`. */
  setFailure(status: number | undefined): void;
  /** Changes the anonymous policy. */
  setAnonymous(policy: AnonymousPolicy): void;
  /** Clears the request log and counters. */
  reset(): void;
  stop(): Promise<void>;
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString("base64url");
}

function pemBody(pem: string): string {
  const match = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem);
  if (!match?.[1]) throw new Error("no certificate in PEM");
  return match[1].replace(/\s+/g, "");
}

/**
 * Parses `scope` query values (each may hold several space-separated scopes) into access entries.
 * The name is everything between the first and the last colon, so `host:5000/repo` survives.
 */
export function parseScopes(values: readonly string[]): TokenAccess[] {
  const out: TokenAccess[] = [];
  for (const value of values) {
    for (const scope of value.split(" ").filter((s) => s.length > 0)) {
      const first = scope.indexOf(":");
      const last = scope.lastIndexOf(":");
      if (first < 0 || last <= first) continue;
      const type = scope.slice(0, first).replace(/\(.*\)$/, "");
      out.push({ type, name: scope.slice(first + 1, last), actions: scope.slice(last + 1).split(",").filter((a) => a.length > 0) });
    }
  }
  return out;
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

/**
 * Starts a Docker token server (distribution `auth-token.md` / `auth-jwt.md`) on a random
 * 127.0.0.1 port: `GET /token?service=&scope=` with optional HTTP Basic credentials, and the
 * OAuth2 `POST /token` form (grant_type=password | refresh_token). Tokens are RS256 JWTs whose
 * header carries `x5c` with the signing certificate, which is what docker-registry 2.8 checks
 * against `auth.token.rootcertbundle`.
 *
 * Why: token auth is what Docker Hub, Harbor and most private registries use; tests of the
 * product's auth flow (scope handling, expiry, refresh, token endpoint failures) need a real one
 * they can count and break.
 */
export async function startTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  const keyPem = await readFile(options.keyFile, "utf8");
  const x5c = [pemBody(await readFile(options.certFile, "utf8"))];
  let expiresIn = options.expiresIn ?? 300;
  let failure: number | undefined;
  let anonymous: AnonymousPolicy = options.anonymous ?? "none";
  const userActions = options.userActions ?? ["pull", "push", "delete"];
  const requests: TokenRequestRecord[] = [];
  const refreshTokens = new Map<string, string>();

  const grant = (user: string | undefined, access: TokenAccess): string[] => {
    const allowed = options.grant
      ? options.grant(user, access)
      : access.type === "registry" && access.name === "catalog"
        ? user === undefined ? [] : ["*"]
        : user === undefined
          ? anonymous === "pull" ? ["pull"] : []
          : userActions.includes("*") ? [...access.actions] : userActions;
    return access.actions.filter((a) => allowed.includes(a) || allowed.includes("*"));
  };

  const sign = (user: string | undefined, access: readonly TokenAccess[]): { token: string; issuedAt: string } => {
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: "JWT", alg: "RS256", x5c };
    const claims = {
      iss: options.issuer,
      sub: user ?? "",
      aud: options.service,
      exp: now + expiresIn,
      nbf: now - 5,
      iat: now,
      jti: randomBytes(12).toString("hex"),
      access,
    };
    const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    const signature = createSign("RSA-SHA256").update(signingInput).sign(keyPem);
    return { token: `${signingInput}.${base64url(signature)}`, issuedAt: new Date(now * 1000).toISOString() };
  };

  const basicUser = (req: IncomingMessage): { user: string | undefined; bad: boolean } => {
    const header = req.headers.authorization;
    if (header === undefined) return { user: undefined, bad: false };
    const match = /^Basic\s+(.+)$/i.exec(header);
    if (!match?.[1]) return { user: undefined, bad: true };
    const decoded = Buffer.from(match[1], "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    const name = decoded.slice(0, colon);
    const pass = decoded.slice(colon + 1);
    if (colon < 0 || !safeEqual(name, options.username) || !safeEqual(pass, options.password)) return { user: undefined, bad: true };
    return { user: name, bad: false };
  };

  const readBody = async (req: IncomingMessage): Promise<string> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  };

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), ...headers });
    res.end(text);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://token.invalid");
    const record = (user: string | undefined, requested: TokenAccess[], granted: TokenAccess[], status: number): void => {
      requests.push({ method: req.method ?? "", path: url.pathname + url.search, user, service: url.searchParams.get("service") ?? undefined, requested, granted, status, at: Date.now() });
    };
    if (url.pathname !== "/token" || (req.method !== "GET" && req.method !== "POST")) {
      await readBody(req);
      record(undefined, [], [], 404);
      json(res, 404, { errors: [{ code: "NOT_FOUND", message: "only /token exists here" }] });
      return;
    }
    let user: string | undefined;
    let scopes: TokenAccess[];
    let wantRefresh = false;
    if (req.method === "GET") {
      const auth = basicUser(req);
      scopes = parseScopes(url.searchParams.getAll("scope"));
      if (failure !== undefined) {
        record(auth.user, scopes, [], failure);
        json(res, failure, { errors: [{ code: "UNKNOWN", message: "injected token server failure" }] });
        return;
      }
      if (auth.bad || (auth.user === undefined && anonymous === "deny")) {
        record(undefined, scopes, [], 401);
        json(res, 401, { errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }, { "WWW-Authenticate": 'Basic realm="airgap-test-token"' });
        return;
      }
      user = auth.user;
      wantRefresh = url.searchParams.get("offline_token") === "true" && user !== undefined;
    } else {
      const form = new URLSearchParams(await readBody(req));
      scopes = parseScopes(form.getAll("scope"));
      if (failure !== undefined) {
        record(undefined, scopes, [], failure);
        json(res, failure, { error: "server_error", error_description: "injected token server failure" });
        return;
      }
      const grantType = form.get("grant_type");
      if (grantType === "password" && safeEqual(form.get("username") ?? "", options.username) && safeEqual(form.get("password") ?? "", options.password)) {
        user = options.username;
        wantRefresh = form.get("access_type") === "offline";
      } else if (grantType === "refresh_token" && refreshTokens.has(form.get("refresh_token") ?? "")) {
        user = refreshTokens.get(form.get("refresh_token") ?? "");
      } else {
        record(undefined, scopes, [], 401);
        json(res, 401, { error: "invalid_grant" });
        return;
      }
    }
    const granted = scopes
      .map((s) => ({ type: s.type, name: s.name, actions: grant(user, s) }))
      .filter((s) => s.actions.length > 0);
    const { token, issuedAt } = sign(user, granted);
    const body: Record<string, unknown> = { token, access_token: token, expires_in: expiresIn, issued_at: issuedAt };
    if (wantRefresh && user !== undefined) {
      const refresh = randomBytes(16).toString("hex");
      refreshTokens.set(refresh, user);
      body["refresh_token"] = refresh;
    }
    record(user, scopes, granted, 200);
    json(res, 200, body);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) json(res, 500, { errors: [{ code: "UNKNOWN", message: String(err) }] });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  let stopped = false;
  return {
    url,
    realm: `${url}/token`,
    service: options.service,
    issuer: options.issuer,
    requests,
    requestCount: () => requests.length,
    issuedCount: () => requests.filter((r) => r.status === 200).length,
    setExpiresIn: (seconds) => {
      expiresIn = seconds;
    },
    setFailure: (status) => {
      failure = status;
    },
    setAnonymous: (policy) => {
      anonymous = policy;
    },
    reset: () => {
      requests.length = 0;
    },
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
