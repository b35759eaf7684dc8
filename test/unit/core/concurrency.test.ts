import { describe, expect, it } from "vitest";
import { mapLimit } from "../../../src/core/concurrency.js";

describe("mapLimit", () => {
  it("keeps order and never runs more than the limit at once", async () => {
    let running = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3, 0], 2, async (n) => {
      running++;
      peak = Math.max(peak, running);
      // Finish after n turns of the event loop, so calls end out of order (no wall clock).
      for (let turn = 0; turn < n; turn++) await new Promise((r) => setImmediate(r));
      running--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30, 0]);
    expect(peak).toBe(2);
  });

  it("rejects with the first failure after the calls in flight settle", async () => {
    const started: number[] = [];
    await expect(
      mapLimit([1, 2, 3, 4], 2, async (n) => {
        started.push(n);
        if (n === 1) throw new Error("boom");
        await new Promise((r) => setImmediate(r));
        return n;
      }),
    ).rejects.toThrow("boom");
    expect(started).not.toContain(4);
  });
});
