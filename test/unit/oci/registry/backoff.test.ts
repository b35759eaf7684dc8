import { describe, expect, it } from "vitest";
import { DEFAULT_RETRY_POLICY, backoffDelay, parseRetryAfter, retryDelay } from "../../../../src/oci/registry/backoff.js";
import { sleep } from "../../../../src/oci/registry/clock.js";

describe("parseRetryAfter", () => {
  const now = Date.parse("2024-01-01T00:00:00Z");

  it("parses delay-seconds", () => {
    expect(parseRetryAfter("0", now)).toBe(0);
    expect(parseRetryAfter(" 7 ", now)).toBe(7000);
    expect(parseRetryAfter("1.5", now)).toBe(1500);
  });

  it("parses an HTTP date relative to now, never negative", () => {
    expect(parseRetryAfter("Mon, 01 Jan 2024 00:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Sun, 31 Dec 2023 23:00:00 GMT", now)).toBe(0);
  });

  it("ignores absent and garbage values", () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter("", now)).toBeUndefined();
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter("-5", now)).toBeUndefined();
  });
});

describe("backoffDelay", () => {
  const policy = { baseDelayMs: 100, maxDelayMs: 1000 };

  it("doubles per retry with equal jitter between half and full", () => {
    expect(backoffDelay(1, policy, () => 0)).toBe(50);
    expect(backoffDelay(1, policy, () => 1)).toBe(100);
    expect(backoffDelay(2, policy, () => 0)).toBe(100);
    expect(backoffDelay(3, policy, () => 1)).toBe(400);
  });

  it("is capped", () => {
    expect(backoffDelay(20, policy, () => 1)).toBe(1000);
    expect(backoffDelay(20, policy, () => 0)).toBe(500);
  });

  it("prefers the registry's Retry-After", () => {
    expect(retryDelay(1, DEFAULT_RETRY_POLICY, 3000, () => 0)).toBe(3000);
    expect(retryDelay(1, { ...DEFAULT_RETRY_POLICY, baseDelayMs: 10 }, undefined, () => 1)).toBe(10);
  });
});

describe("sleep", () => {
  it("rejects as soon as the signal aborts", async () => {
    const controller = new AbortController();
    const pending = sleep(60_000, controller.signal);
    controller.abort(new Error("stop"));
    await expect(pending).rejects.toThrow("stop");
  });
});
