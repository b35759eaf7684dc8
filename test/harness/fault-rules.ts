import { createHash } from "node:crypto";
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

/** Options of {@link randomFaults}. */
export interface RandomFaultOptions {
  /** Same seed, same requests: same faults, whatever order concurrent requests arrive in. */
  readonly seed: string;
  /** Share of requests answered 500/502/503/504 (e.g. 0.08). Half of them reach the upstream first (a lost answer). */
  readonly serverErrors: number;
  /** Share of requests answered 429 with `Retry-After` (e.g. 0.05). */
  readonly tooManyRequests: number;
  /** `Retry-After` values (seconds) to pick from. Default `[0, 1]`. */
  readonly retryAfterSeconds?: readonly number[];
  /** Requests that may fail; default every request. */
  readonly match?: RequestMatcher;
  /**
   * A request (same method, repository, digest, tag, length and range) fails
   * at most this many times in a row, so a client that retries a few times
   * always gets through: the faults are temporary by construction. Default 2.
   */
  readonly maxConsecutive?: number;
}

function unitHash(text: string): number {
  return createHash("sha256").update(text).digest().readUInt32BE(0) / 0x1_0000_0000;
}

/**
 * The identity of a request for {@link randomFaults}: stable across runs
 * (upload session ids and `_state` tokens left out), distinct per blob.
 */
function requestKey(req: ProxiedRequest): string {
  const [path = "", query = ""] = req.path.split("?");
  const params = new URLSearchParams(query);
  const stablePath = req.kind === "blob-upload" ? path.replace(/\/blobs\/uploads\/.*$/, "/blobs/uploads/") : path;
  const header = (name: string): string => String(req.headers[name] ?? "");
  return [req.method, stablePath, params.get("digest") ?? "", params.get("mount") ?? "", header("content-length"), header("content-range")].join("\u0000");
}

/**
 * A seeded fault injector: each request is answered 5xx or 429 (with
 * Retry-After) with the given probabilities, decided by a hash of the seed,
 * the request's identity and how many times that request was seen, so the
 * same run meets the same faults. 5xx answers are sometimes sent after the
 * upstream did the work, as a gateway that lost the answer would.
 */
export function randomFaults(options: RandomFaultOptions): FaultRule {
  const seen = new Map<string, number>();
  const streak = new Map<string, number>();
  const retryAfter = options.retryAfterSeconds ?? [0, 1];
  const maxConsecutive = options.maxConsecutive ?? 2;
  return (req) => {
    if (options.match !== undefined && !matches(options.match, req)) return undefined;
    const key = requestKey(req);
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    if ((streak.get(key) ?? 0) >= maxConsecutive) {
      streak.set(key, 0);
      return undefined;
    }
    const roll = unitHash(`${options.seed}\u0000${key}\u0000${n}`);
    const pick = unitHash(`${options.seed}\u0000pick\u0000${key}\u0000${n}`);
    let action: FaultAction | undefined;
    if (roll < options.serverErrors) {
      const status = [500, 502, 503, 504][Math.floor(pick * 4)] ?? 503;
      action = faults.status(status, { forward: pick * 8 - Math.floor(pick * 8) >= 0.5 });
    } else if (roll < options.serverErrors + options.tooManyRequests) {
      action = faults.tooManyRequests(retryAfter[Math.floor(pick * retryAfter.length)] ?? 0);
    }
    streak.set(key, action === undefined ? 0 : (streak.get(key) ?? 0) + 1);
    return action;
  };
}
