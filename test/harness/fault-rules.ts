import type { IncomingHttpHeaders } from "node:http";

/** What the proxy does with one request. */
export type FaultAction =
  /** Forward unchanged. */
  | { readonly kind: "pass" }
  /**
   * Answer `status` instead of the upstream. With `forward: true` the request is still sent
   * upstream (and takes effect there) but the client sees the injected status.
   */
  | {
      readonly kind: "status";
      readonly status: number;
      readonly headers?: Readonly<Record<string, string>>;
      readonly body?: string;
      readonly forward?: boolean;
    }
  /** Reset the client connection (TCP RST) before any response. */
  | { readonly kind: "reset" }
  /**
   * Forward, but cut the connection after `bytes` body bytes of the response (default) or of the
   * request (upload); `graceful` closes with FIN instead of RST (a truncated body).
   */
  | { readonly kind: "reset-after"; readonly bytes: number; readonly direction?: "response" | "request"; readonly graceful?: boolean }
  /** Forward, pacing the response (default) or request body to `bytesPerSecond`. */
  | { readonly kind: "throttle"; readonly bytesPerSecond: number; readonly direction?: "response" | "request" }
  /** Wait `ms` before forwarding. */
  | { readonly kind: "delay"; readonly ms: number };

/** Coarse classification of a registry request, for rules and assertions. */
export type RequestKind = "ping" | "blob" | "blob-upload" | "manifest" | "tags" | "referrers" | "catalog" | "other";

/** A request as seen by rules. */
export interface ProxiedRequest {
  /** 1-based arrival number. */
  readonly seq: number;
  readonly method: string;
  /** Path plus query string. */
  readonly path: string;
  readonly kind: RequestKind;
  readonly repository: string | undefined;
  readonly headers: IncomingHttpHeaders;
}

/** Chooses the fault for a request; `undefined` means pass. */
export type FaultRule = (req: ProxiedRequest) => FaultAction | undefined;

/** Constructors for {@link FaultAction}s. */
export const faults = {
  pass: (): FaultAction => ({ kind: "pass" }),
  status: (status: number, extra: { headers?: Record<string, string>; body?: string; forward?: boolean } = {}): FaultAction => ({
    kind: "status",
    status,
    ...extra,
  }),
  /** 429 with `Retry-After: <seconds>` and a distribution-style TOOMANYREQUESTS body. */
  tooManyRequests: (retryAfterSeconds: number): FaultAction => ({
    kind: "status",
    status: 429,
    headers: { "Retry-After": String(retryAfterSeconds) },
    body: JSON.stringify({ errors: [{ code: "TOOMANYREQUESTS", message: "injected rate limit" }] }),
  }),
  reset: (): FaultAction => ({ kind: "reset" }),
  resetAfter: (bytes: number, options: { direction?: "response" | "request"; graceful?: boolean } = {}): FaultAction => ({
    kind: "reset-after",
    bytes,
    ...options,
  }),
  throttle: (bytesPerSecond: number, direction: "response" | "request" = "response"): FaultAction => ({
    kind: "throttle",
    bytesPerSecond,
    direction,
  }),
  delay: (ms: number): FaultAction => ({ kind: "delay", ms }),
} as const;

/** Which requests a {@link when} rule applies to. */
export interface RequestMatcher {
  readonly method?: string | readonly string[];
  readonly kind?: RequestKind | readonly RequestKind[];
  /** Substring of path+query, or a RegExp tested against it. */
  readonly path?: string | RegExp;
  readonly repository?: string;
}

function matches(m: RequestMatcher, req: ProxiedRequest): boolean {
  if (m.method !== undefined && !(typeof m.method === "string" ? [m.method] : m.method).includes(req.method)) return false;
  if (m.kind !== undefined && !(typeof m.kind === "string" ? [m.kind] : m.kind).includes(req.kind)) return false;
  if (m.repository !== undefined && m.repository !== req.repository) return false;
  if (m.path !== undefined && !(typeof m.path === "string" ? req.path.includes(m.path) : m.path.test(req.path))) return false;
  return true;
}

/**
 * A rule applying `action` to matching requests: skips the first `skip` matches, then applies
 * to the next `times` matches (default: all).
 */
export function when(
  match: RequestMatcher,
  action: FaultAction | ((req: ProxiedRequest) => FaultAction),
  options: { times?: number; skip?: number } = {},
): FaultRule {
  let seen = 0;
  const skip = options.skip ?? 0;
  const times = options.times ?? Number.POSITIVE_INFINITY;
  return (req) => {
    if (!matches(match, req)) return undefined;
    seen++;
    if (seen <= skip || seen > skip + times) return undefined;
    return typeof action === "function" ? action(req) : action;
  };
}

/** Combines rules: the first one returning an action wins. */
export function firstMatch(...rules: readonly FaultRule[]): FaultRule {
  return (req) => {
    for (const rule of rules) {
      const action = rule(req);
      if (action !== undefined) return action;
    }
    return undefined;
  };
}

/** Classifies a distribution API path. */
export function classifyRequest(path: string): { kind: RequestKind; repository: string | undefined } {
  const p = path.split("?")[0] ?? "";
  if (p === "/v2/" || p === "/v2") return { kind: "ping", repository: undefined };
  if (p === "/v2/_catalog") return { kind: "catalog", repository: undefined };
  const m = /^\/v2\/(.+?)\/(blobs\/uploads|blobs|manifests|tags|referrers)(\/|$)/.exec(p);
  if (!m) return { kind: "other", repository: undefined };
  const kinds: Record<string, RequestKind> = {
    "blobs/uploads": "blob-upload",
    blobs: "blob",
    manifests: "manifest",
    tags: "tags",
    referrers: "referrers",
  };
  return { kind: kinds[m[2] ?? ""] ?? "other", repository: m[1] };
}
