import { createHttpClient } from "./http.js";
import type { HttpClient } from "./http.js";
import type { Response } from "undici";

/** Where and as whom to talk to a registry; a `RunningRegistry` fits. */
export interface RegistryTarget {
  readonly url: string;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  readonly caFile?: string | undefined;
}

/** Options of one {@link TestRegistryClient.request}. */
export interface RegistryRequest {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: Uint8Array;
  /** Token scope to ask for if challenged; default derived from the path (pull, or pull,push for writes). */
  readonly scope?: string;
}

/** A deliberately small registry client for test setup and verification. */
export interface TestRegistryClient {
  /** Sends a request (path like `/v2/...` or absolute URL), answering Basic/Bearer challenges once. */
  request(pathOrUrl: string, init?: RegistryRequest): Promise<Response>;
  close(): Promise<void>;
}

/** Parses one `WWW-Authenticate` challenge into its scheme and parameters. */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const space = header.indexOf(" ");
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const params: Record<string, string> = {};
  const re = /([A-Za-z_]+)="([^"]*)"/g;
  for (let m = re.exec(header); m !== null; m = re.exec(header)) {
    if (m[1] !== undefined && m[2] !== undefined) params[m[1].toLowerCase()] = m[2];
  }
  return { scheme, params };
}

function defaultScope(path: string, method: string): string | undefined {
  const m = /^\/v2\/(.+?)\/(?:blobs|manifests|tags|referrers)\//.exec(path);
  if (!m?.[1]) return undefined;
  const write = method !== "GET" && method !== "HEAD";
  return `repository:${m[1]}:${write ? "pull,push" : "pull"}`;
}

/**
 * Creates a minimal registry client (fetch + Basic + Docker token flow), independent of the
 * product's client on purpose, so test setup and verification cannot share its bugs.
 *
 * Why: tests need to seed registries and read back results over HTTP, including against the
 * authenticated and TLS variants.
 */
export function createRegistryClient(target: RegistryTarget): TestRegistryClient {
  const http: HttpClient = createHttpClient({ caFile: target.caFile });
  const base = target.url.replace(/\/$/, "");
  const basic =
    target.username === undefined ? undefined : `Basic ${Buffer.from(`${target.username}:${target.password ?? ""}`).toString("base64")}`;
  let useBasic = false;
  const tokens = new Map<string, string>();

  const fetchToken = async (params: Record<string, string>, scope: string | undefined): Promise<string> => {
    const realm = params["realm"];
    if (realm === undefined) throw new Error("Bearer challenge without realm");
    const url = new URL(realm);
    if (params["service"] !== undefined) url.searchParams.set("service", params["service"]);
    const scopes = new Set<string>();
    if (params["scope"] !== undefined) for (const s of params["scope"].split(" ")) scopes.add(s);
    if (scope !== undefined) scopes.add(scope);
    for (const s of scopes) url.searchParams.append("scope", s);
    const res = await http.fetch(url, { headers: basic === undefined ? {} : { authorization: basic } });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`token request ${url.href} -> HTTP ${res.status}: ${text}`);
    const body = JSON.parse(text) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (token === undefined) throw new Error(`token response without token: ${text}`);
    return token;
  };

  return {
    async request(pathOrUrl, init = {}) {
      const method = init.method ?? "GET";
      const url = pathOrUrl.startsWith("/") ? `${base}${pathOrUrl}` : pathOrUrl;
      const path = new URL(url).pathname;
      const scope = init.scope ?? defaultScope(path, method);
      const tokenKey = scope ?? "";
      const send = (authorization: string | undefined): Promise<Response> =>
        http.fetch(url, {
          method,
          headers: { ...(init.headers ?? {}), ...(authorization === undefined ? {} : { authorization }) },
          ...(init.body === undefined ? {} : { body: init.body }),
          redirect: "follow",
        });
      const current = (): string | undefined => {
        const token = tokens.get(tokenKey);
        if (token !== undefined) return `Bearer ${token}`;
        return useBasic ? basic : undefined;
      };
      const first = await send(current());
      if (first.status !== 401) return first;
      const challenge = first.headers.get("www-authenticate");
      await first.body?.cancel();
      if (challenge === null) return send(current());
      const { scheme, params } = parseChallenge(challenge);
      if (scheme === "basic") {
        if (basic === undefined) throw new Error(`${method} ${url}: Basic auth required but no credentials`);
        useBasic = true;
      } else if (scheme === "bearer") {
        tokens.set(tokenKey, await fetchToken(params, scope));
      } else {
        throw new Error(`${method} ${url}: unsupported challenge ${challenge}`);
      }
      return send(current());
    },
    close: () => http.close(),
  };
}
