import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { AbortFanout } from "../../../../src/oci/registry/abort.js";

describe("AbortFanout", () => {
  it("gives any number of children one listener on the parent, and aborts them all with its reason", () => {
    const fanout = new AbortFanout();
    const parent = new AbortController();
    const children = Array.from({ length: 50 }, () => fanout.child(parent.signal));
    expect(getEventListeners(parent.signal, "abort")).toHaveLength(1);
    const reason = new Error("interrupted (Ctrl-C)");
    parent.abort(reason);
    expect(children.every((c) => c.signal?.aborted === true && c.signal.reason === reason)).toBe(true);
  });

  it("removes the listener once every child is disposed, and a disposed child no longer follows", () => {
    const fanout = new AbortFanout();
    const parent = new AbortController();
    const a = fanout.child(parent.signal);
    const b = fanout.child(parent.signal);
    a.dispose();
    a.dispose();
    expect(getEventListeners(parent.signal, "abort")).toHaveLength(1);
    b.dispose();
    expect(getEventListeners(parent.signal, "abort")).toHaveLength(0);
    parent.abort(new Error("late"));
    expect([a.signal?.aborted, b.signal?.aborted]).toEqual([false, false]);
  });

  it("a child of an aborted parent starts aborted; no parent means no signal", () => {
    const fanout = new AbortFanout();
    const reason = new Error("already");
    expect(fanout.child(AbortSignal.abort(reason)).signal?.reason).toBe(reason);
    expect(fanout.child(undefined).signal).toBeUndefined();
  });
});
