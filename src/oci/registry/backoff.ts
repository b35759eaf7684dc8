/**
 * Retry timing: jittered exponential backoff and the registry's own
 * `Retry-After`, kept pure (clock and randomness injected) so tests need no timers.
 */

/** How the transport retries transient failures (429, 5xx, connection resets). */
export interface RetryPolicy {
  /** Total attempts including the first; 1 disables retries. */
  readonly maxAttempts: number;
  /** Delay scale of the first retry; doubles per attempt. */
  readonly baseDelayMs: number;
  /** Upper bound of one computed backoff delay. */
  readonly maxDelayMs: number;
  /** A `Retry-After` longer than this is not waited for: the request fails as temporary instead. */
  readonly maxRetryAfterMs: number;
}

/** Defaults in the range go-containerregistry and regclient use (about 0.5 s, 1 s, 2 s, 4 s, with jitter). */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 10_000,
  maxRetryAfterMs: 60_000,
};

/**
 * Parses a `Retry-After` value (RFC 9110 §10.2.3): delay-seconds or an
 * HTTP-date. Returns milliseconds to wait (0 for a date in the past), or
 * undefined when absent or unparseable.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === "") return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (/^\d+\.\d+$/.test(text)) return Math.round(Number(text) * 1000);
  if (!/[a-z]/i.test(text)) return undefined; // an HTTP-date has a day and month name
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * The delay before retry number `retry` (1 for the first retry): "equal
 * jitter" exponential backoff, half fixed and half random, so that many
 * clients released by one outage do not retry in lockstep but each still waits.
 */
export function backoffDelay(retry: number, policy: Pick<RetryPolicy, "baseDelayMs" | "maxDelayMs">, random: () => number = Math.random): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  const half = exponential / 2;
  return Math.round(half + random() * half);
}

/** The wait before the next attempt: the registry's Retry-After when it sent one, else backoff. */
export function retryDelay(retry: number, policy: RetryPolicy, retryAfterMs: number | undefined, random?: () => number): number {
  if (retryAfterMs !== undefined) return retryAfterMs;
  return backoffDelay(retry, policy, random);
}
