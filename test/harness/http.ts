import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { Agent, fetch as undiciFetch } from "undici";
import type { Headers, RequestInit, Response } from "undici";

/** `fetch` as used by the harness: undici's, so a per-server CA can be trusted. */
export type HarnessFetch = (input: string | URL, init?: RequestInit) => Promise<Response>;

/** A fetch function bound to one connection pool, and the way to close that pool. */
export interface HttpClient {
  readonly fetch: HarnessFetch;
  close(): Promise<void>;
}

/**
 * Creates an HTTP client that trusts the given CA file (in addition to nothing else).
 *
 * Why: the TLS registry uses a throw-away CA; Node's global fetch cannot be given a CA per call,
 * and the harness must not weaken TLS globally (NODE_TLS_REJECT_UNAUTHORIZED) because the code
 * under test shares the process.
 */
export function createHttpClient(options: { caFile?: string | undefined } = {}): HttpClient {
  const ca = options.caFile === undefined ? undefined : readFileSync(options.caFile, "utf8");
  const agent = new Agent({
    connect: ca === undefined ? {} : { ca },
    keepAliveTimeout: 1000,
    keepAliveMaxTimeout: 2000,
  });
  return {
    fetch: (input, init = {}) => undiciFetch(input, { ...init, dispatcher: agent }),
    close: () => agent.close(),
  };
}

/** Options for {@link waitForHttp}. */
export interface WaitForHttpOptions {
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  readonly fetch?: HarnessFetch;
  /** Which answers mean "up"; default: any HTTP answer. */
  readonly isUp?: (status: number, headers: Headers) => boolean;
  /** Called between attempts; throw from it to abort early (e.g. the process died). */
  readonly check?: () => void;
}

/**
 * Polls `url` until it answers, or throws after the timeout with the last error.
 *
 * Why: external servers (registry, nginx) are ready only once they accept requests, which a
 * fixed sleep would either over- or under-estimate.
 */
export async function waitForHttp(url: string, options: WaitForHttpOptions = {}): Promise<number> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const intervalMs = options.intervalMs ?? 50;
  const doFetch = options.fetch ?? ((input: string | URL, init?: RequestInit) => undiciFetch(input, init));
  const isUp = options.isUp ?? (() => true);
  const deadline = Date.now() + timeoutMs;
  let last = "no attempt";
  for (;;) {
    options.check?.();
    try {
      const res = await doFetch(url, { signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      if (isUp(res.status, res.headers)) return res.status;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? `${err.message}${err.cause instanceof Error ? `: ${err.cause.message}` : ""}` : String(err);
    }
    if (Date.now() > deadline) {
      throw new Error(`${url} did not come up within ${timeoutMs} ms (last: ${last})`);
    }
    await sleep(intervalMs);
  }
}
