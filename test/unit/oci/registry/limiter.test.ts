import { describe, expect, it } from "vitest";
import { HostLimiter } from "../../../../src/oci/registry/limiter.js";

describe("HostLimiter", () => {
  it("limits per host and hands permits over in order", async () => {
    const limiter = new HostLimiter(2);
    const a = await limiter.acquire("h:1");
    const b = await limiter.acquire("h:1");
    const other = await limiter.acquire("h:2");
    const order: string[] = [];
    const c = limiter.acquire("h:1").then((r) => (order.push("c"), r));
    const d = limiter.acquire("h:1").then((r) => (order.push("d"), r));
    await Promise.resolve();
    expect([limiter.active("h:1"), limiter.waiting("h:1")]).toEqual([2, 2]);
    a();
    a(); // a second release of the same permit is ignored
    (await c)();
    b();
    (await d)();
    other();
    expect(order).toEqual(["c", "d"]);
    expect(limiter.active("h:1")).toBe(0);
  });

  it("drops aborted waiters, and two limiters never share permits", async () => {
    const one = new HostLimiter(1);
    const other = new HostLimiter(1);
    const held = await one.acquire("slow:1");
    const controller = new AbortController();
    const waiting = one.acquire("slow:1", controller.signal);
    // The other client's limit is its own: its slot for the same host is free.
    const free = await other.acquire("slow:1");
    expect([one.active("slow:1"), other.active("slow:1")]).toEqual([1, 1]);
    controller.abort(new Error("cancelled"));
    await expect(waiting).rejects.toThrow("cancelled");
    held();
    free();
    const next = await one.acquire("slow:1");
    expect(one.active("slow:1")).toBe(1);
    next();
    expect(() => new HostLimiter(0)).toThrow(RangeError);
  });
});
