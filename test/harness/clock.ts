import type { Clock } from "../../src/oci/registry/clock.js";

/**
 * A clock for tests: time moves only when the code under test sleeps (each
 * sleep resolves at once and advances `now` by its length) or when the test
 * calls {@link ManualClock.advance}. Every requested wait is recorded, so a
 * test asserts "waited 1000 ms as Retry-After asked" without waiting.
 */
export class ManualClock implements Clock {
  private current: number;
  /** Every wait requested through {@link sleep}, in milliseconds, in order. */
  readonly sleeps: number[] = [];

  constructor(start = Date.parse("2030-01-01T00:00:00Z")) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  /** Moves time forward without anyone sleeping (a token gets older). */
  advance(ms: number): void {
    this.current += ms;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.sleeps.push(ms);
    this.current += ms;
    return Promise.resolve();
  }
}
