import { describe, expect, it } from "vitest";
import { Semaphore } from "../../../src/core/semaphore.js";

describe("Semaphore", () => {
  it("never runs more than its limit, and runs everything", async () => {
    const limiter = new Semaphore(3);
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        limiter.run(async () => {
          running++;
          peak = Math.max(peak, running);
          // Finish after 0–2 turns of the event loop, so tasks end out of order (no wall clock).
          for (let turn = 0; turn < i % 3; turn++) await new Promise((r) => setImmediate(r));
          running--;
          done.push(i);
        }),
      ),
    );
    expect(peak).toBe(3);
    expect(done).toHaveLength(20);
    expect(limiter.active).toBe(0);
  });

  it("does not start tasks once the signal is aborted", async () => {
    const limiter = new Semaphore(1);
    const controller = new AbortController();
    let started = 0;
    const first = limiter.run(async () => {
      started++;
      controller.abort();
    }, controller.signal);
    const second = limiter.run(async () => {
      started++;
    }, controller.signal);
    await first;
    await expect(second).rejects.toThrow();
    expect(started).toBe(1);
    expect(limiter.active).toBe(0);
  });
});
