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
    expect(limiter.active("h:1")).toBe(2);
    a();
    a(); // a second release of the same permit is ignored
    (await c)();
    b();
    (await d)();
    other();
    expect(order).toEqual(["c", "d"]);
    expect(limiter.active("h:1")).toBe(0);
  });

  it("applies per-host limits and drops aborted waiters", async () => {
    const limiter = new HostLimiter(6);
    limiter.setLimit("slow:1", 1);
    const held = await limiter.acquire("slow:1");
    const controller = new AbortController();
    const waiting = limiter.acquire("slow:1", controller.signal);
    controller.abort(new Error("cancelled"));
    await expect(waiting).rejects.toThrow("cancelled");
    held();
    const next = await limiter.acquire("slow:1");
    expect(limiter.active("slow:1")).toBe(1);
    next();
    expect(() => limiter.setLimit("x", 0)).toThrow(RangeError);
  });
});
