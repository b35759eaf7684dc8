import { describe, expect, it } from "vitest";
import { formatAddress, matchesTarget, parseAddress } from "../../../src/plan/address.js";
import { diff, ObservationError, type DesiredItem, type Observation } from "../../../src/plan/diff.js";
import { hasChanges } from "../../../src/plan/model.js";

const d = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;
const item = (tag: string, digest: string, blobs: [string, number][], repository = "mke/library/nginx"): DesiredItem => ({
  address: formatAddress({ scope: "bundle", name: "platform", kind: "image", key: `docker.io/library/nginx:${tag}` }),
  kind: "image",
  registry: "mirror",
  repository,
  tag,
  source: `docker.io/library/nginx:${tag}`,
  digest,
  size: blobs.reduce((n, [, s]) => n + s, 0),
  blobs: blobs.map(([digest, size]) => ({ digest, size })),
});

describe("addresses", () => {
  it("round-trip any key, and match --target prefixes", () => {
    const a = formatAddress({ scope: "bundle", name: "k0s", kind: "image", key: 'quay.io/k0sproject/coredns:1.11.3"x' });
    expect(a).toBe('bundle.k0s.image["quay.io/k0sproject/coredns:1.11.3\\"x"]');
    expect(parseAddress(a)).toEqual({ scope: "bundle", name: "k0s", kind: "image", key: 'quay.io/k0sproject/coredns:1.11.3"x' });
    expect(parseAddress("bundle.k0s.nope[\"x\"]")).toBeUndefined();
    expect(matchesTarget(a, "bundle.k0s")).toBe(true);
    expect(matchesTarget(a, "bundle.k0s.image")).toBe(true);
    expect(matchesTarget(a, "bundle.k0")).toBe(false);
  });
});

describe("the pure diff", () => {
  it("creates what is absent, updates moved tags, leaves the rest, and counts shared blobs once", () => {
    const desired = [item("1.25", d(1), [[d(7), 100], [d(8), 10]]), item("1.26", d(2), [[d(7), 100], [d(9), 20]]), item("1.24", d(3), [[d(6), 5]])];
    const observed = new Map<string, Observation>([
      [desired[0]!.address, { state: "absent" }],
      [desired[1]!.address, { state: "present", digest: d(4) }],
      [desired[2]!.address, { state: "present", digest: d(3) }],
    ]);
    const plan = diff({ desired, observed, presentBlobs: new Map([["mirror", new Set([d(6)])]]) });
    expect(plan.changes.map((c) => [c.tag, c.action, c.transfer])).toEqual([
      ["1.24", "no-op", 0],
      ["1.25", "create", 110],
      ["1.26", "update", 20],
    ]);
    expect(plan.changes.find((c) => c.tag === "1.26")).toMatchObject({ before: d(4), after: d(2), reason: "tag points at another digest" });
    expect(plan.summary).toEqual({ add: 1, change: 1, destroy: 0, unchanged: 1, transferBytes: 130, presentBytes: 5 });
    expect(hasChanges(plan)).toBe(true);
  });

  it("deletes only pruned tags nothing desires, and puts prerequisites first", () => {
    const desired = [item("1.25", d(1), [])];
    const plan = diff({
      desired,
      observed: new Map([[desired[0]!.address, { state: "present", digest: d(1) }]]),
      pruneCandidates: [
        { address: "bundle.platform.image[\"mirror/mke/library/nginx:old\"]", kind: "image", registry: "mirror", repository: "mke/library/nginx", tag: "old", digest: d(5) },
        { address: "bundle.platform.image[\"mirror/mke/library/nginx:1.25\"]", kind: "image", registry: "mirror", repository: "mke/library/nginx", tag: "1.25", digest: d(1) },
        // an alias of a desired digest: deleting it by digest would delete 1.25 too
        { address: "bundle.platform.image[\"mirror/mke/library/nginx:alias\"]", kind: "image", registry: "mirror", repository: "mke/library/nginx", tag: "alias", digest: d(1) },
      ],
      prerequisites: [{ address: 'registry.mirror.prerequisite["project mke"]', registry: "mirror", reason: "project mke does not exist", provider: { name: "harbor", data: { project: "mke" } } }],
    });
    expect(plan.changes.map((c) => [c.kind, c.action, c.tag])).toEqual([
      ["prerequisite", "create", undefined],
      ["image", "no-op", "1.25"],
      ["image", "delete", "old"],
    ]);
    expect(plan.summary.destroy).toBe(1);
  });

  it("refuses to plan over objects it could not observe", () => {
    const desired = [item("1.25", d(1), [])];
    expect(() => diff({ desired, observed: new Map([[desired[0]!.address, { state: "unknown", error: "500 Internal Server Error" }]]) })).toThrow(ObservationError);
  });

  it("is deterministic: the same input in another order gives the same plan", () => {
    const desired = [item("b", d(1), [[d(7), 1]]), item("a", d(2), [[d(7), 1]])];
    const one = diff({ desired, observed: new Map() });
    const two = diff({ desired: [...desired].reverse(), observed: new Map() });
    expect(JSON.stringify(one.changes.map((c) => c.address))).toBe(JSON.stringify(two.changes.map((c) => c.address)));
    expect(one.summary).toEqual(two.summary);
    expect(hasChanges(diff({ desired: [], observed: new Map() }))).toBe(false);
  });
});
