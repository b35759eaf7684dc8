import { describe, expect, it } from "vitest";
import { CopyCoordinator, Semaphore, targetIdentity } from "../../../../src/oci/copy/index.js";
import { MemoryRegistry, type MemoryStore } from "./memory-store.js";

describe("Semaphore", () => {
  it("grants at most `limit` slots, first come first served, and releases idempotently", async () => {
    const s = new Semaphore(2);
    const r1 = await s.acquire();
    const r2 = await s.acquire();
    const order: number[] = [];
    const w3 = s.acquire().then((r) => (order.push(3), r));
    const w4 = s.acquire().then((r) => (order.push(4), r));
    expect(s.waiting).toBe(2);
    r1();
    r1();
    const r3 = await w3;
    expect(s.active).toBe(2);
    r2();
    const r4 = await w4;
    expect(order).toEqual([3, 4]);
    r3();
    r4();
    expect(s.active).toBe(0);
    expect(() => new Semaphore(0)).toThrow(RangeError);
  });

  it("a waiter that aborts leaves the queue with the signal's reason", async () => {
    const s = new Semaphore(1);
    const held = await s.acquire();
    const controller = new AbortController();
    const waiting = s.acquire(controller.signal);
    controller.abort(new Error("stop"));
    await expect(waiting).rejects.toThrow("stop");
    expect(s.waiting).toBe(0);
    held();
    expect(s.active).toBe(0);
  });
});

describe("CopyCoordinator", () => {
  it("serialises claims of the same blob in one store, whatever the repository, and not across stores", async () => {
    const c = new CopyCoordinator();
    const first = await c.claim("blob", "reg", "a", "sha256:1");
    let second = false;
    const pending = c.claim("blob", "reg", "b", "sha256:1").then((r) => ((second = true), r));
    const other = await c.claim("blob", "other-reg", "a", "sha256:1");
    // Let every queued callback run: a claim that could be granted now would be.
    await new Promise((r) => setImmediate(r));
    expect(second).toBe(false);
    c.recordPresent("blob", "reg", "a", "sha256:1");
    first();
    (await pending)();
    other();
    expect(second).toBe(true);
    expect(c.locations("reg", "sha256:1")).toEqual(["a"]);
    expect(c.isPresent("blob", "reg", "b", "sha256:1")).toBe(false);
    expect(c.claimsInFlight).toBe(0);
  });

  it("manifests are claimed per repository", async () => {
    const c = new CopyCoordinator();
    const a = await c.claim("manifest", "reg", "a", "sha256:m");
    const b = await c.claim("manifest", "reg", "b", "sha256:m");
    a();
    b();
    c.recordPresent("manifest", "reg", "a", "sha256:m");
    expect(c.isPresent("manifest", "reg", "a", "sha256:m")).toBe(true);
    expect(c.isPresent("manifest", "reg", "b", "sha256:m")).toBe(false);
  });

  it("a waiter can abort", async () => {
    const c = new CopyCoordinator();
    const held = await c.claim("blob", "reg", "a", "sha256:1");
    const controller = new AbortController();
    const waiting = c.claim("blob", "reg", "a", "sha256:1", controller.signal);
    controller.abort(new Error("bye"));
    await expect(waiting).rejects.toThrow("bye");
    held();
  });
});

describe("targetIdentity", () => {
  it("splits registry-style and layout-style names, and honours an override", () => {
    expect(targetIdentity(new MemoryRegistry("reg.example:5000").repository("team/app"))).toEqual({ store: "reg.example:5000", repository: "team/app" });
    const layoutLike = Object.assign(Object.create(new MemoryRegistry().repository("x")) as MemoryStore, { name: "oci:/srv/mirror:team/app", repository: "team/app" });
    expect(targetIdentity(layoutLike)).toEqual({ store: "oci:/srv/mirror", repository: "team/app" });
    const anonymous = Object.assign(Object.create(new MemoryRegistry().repository("x")) as MemoryStore, { name: "somewhere", repository: "" });
    expect(targetIdentity(anonymous)).toEqual({ store: "somewhere", repository: "somewhere" });
    expect(targetIdentity(anonymous, { store: "s", repository: "r" })).toEqual({ store: "s", repository: "r" });
  });
});
