import { describe, expect, it } from "vitest";
import { MediaType } from "../../../src/core/media-types.js";
import type { Observation } from "../../../src/core/observation.js";
import { formatAddress, matchesTarget, parseAddress } from "../../../src/plan/address.js";
import { diff, ImmutableTagError, ObservationError, protectedContent, type DesiredArtifact } from "../../../src/plan/diff.js";
import { hasChanges, isArtifactChange, type PlannedChange } from "../../../src/plan/model.js";

const d = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;
const layer = (digest: string, size: number) => ({ digest, size, mediaType: MediaType.OciLayerGzip });
const manifest = (digest: string, size: number) => ({ digest, size, mediaType: MediaType.OciManifest });
const copy = { sourceDigest: d(0), sourceMediaType: MediaType.OciManifest, sourceSize: 1, preserveDigests: false };
const item = (tag: string, digest: string, blobs: [string, number][], repository = "mke/library/nginx", bundle = "platform"): DesiredArtifact => ({
  address: formatAddress({ scope: "bundle", name: bundle, kind: "image", key: `docker.io/library/nginx:${tag}` }),
  kind: "image",
  registry: "mirror",
  repository,
  tag,
  source: `docker.io/library/nginx:${tag}`,
  digest,
  content: blobs.map(([digest, size]) => layer(digest, size)),
  copy,
});
const tagOf = (c: PlannedChange) => (isArtifactChange(c) ? c.tag : undefined);
const transfer = (c: PlannedChange) => ("transfer" in c ? c.transfer : undefined);

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
    expect(plan.changes.map((c) => [tagOf(c), c.action, transfer(c)])).toEqual([
      ["1.24", "no-op", undefined],
      ["1.25", "create", 110],
      ["1.26", "update", 20],
    ]);
    expect(plan.changes.find((c) => tagOf(c) === "1.26")).toMatchObject({ before: d(4), after: d(2), reason: "tag points at another digest" });
    expect(plan.summary).toEqual({ add: 1, change: 1, destroy: 0, unchanged: 1, transferBytes: 130, presentBytes: 5 });
    expect(hasChanges(plan)).toBe(true);
  });

  it("gives each shared blob to exactly one change, the first in plan order, and the summary is their sum", () => {
    const desired = [item("b", d(1), [[d(7), 100], [d(8), 1]]), item("a", d(2), [[d(7), 100], [d(9), 2]])];
    const plan = diff({ desired, observed: new Map() });
    const uploads = plan.changes.map((c) => (c.action === "create" && isArtifactChange(c) ? c.uploads.map((u) => u.digest) : []));
    expect(plan.changes.map(tagOf)).toEqual(["a", "b"]);
    expect(uploads).toEqual([[d(7), d(9)], [d(8)]]);
    expect(plan.summary.transferBytes).toBe(103);
    expect(plan.changes.map(transfer)).toEqual([102, 1]);
  });

  it("shapes each change by its action: a create has no before, a delete nothing to copy", () => {
    const desired = [item("1.25", d(1), [[d(7), 1]])];
    const plan = diff({
      desired,
      observed: new Map(),
      pruneCandidates: [{ address: 'bundle.platform.image["mirror/mke/library/nginx:old"]', kind: "image", registry: "mirror", repository: "mke/library/nginx", tag: "old", digest: d(5) }],
    });
    const create = plan.changes.find((c) => c.action === "create")!;
    const remove = plan.changes.find((c) => c.action === "delete")!;
    expect(create).not.toHaveProperty("before");
    expect(create).toHaveProperty("copy");
    expect(remove).toHaveProperty("before", d(5));
    expect(remove).not.toHaveProperty("copy");
    expect(remove).not.toHaveProperty("uploads");
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
      prerequisites: [{ address: 'registry.mirror.prerequisite["project mke"]', kind: "prerequisite", action: "create", registry: "mirror", reason: "project mke does not exist", provider: { name: "harbor", data: { project: "mke" } } }],
    });
    expect(plan.changes.map((c) => [c.kind, c.action, tagOf(c)])).toEqual([
      ["prerequisite", "create", undefined],
      ["image", "no-op", "1.25"],
      ["image", "delete", "old"],
    ]);
    expect(plan.summary.destroy).toBe(1);
  });

  it("never deletes a manifest that a desired index contains, even when an unwanted tag points at it", () => {
    const index: DesiredArtifact = { ...item("multi", d(1), []), content: [{ digest: d(1), size: 10, mediaType: MediaType.OciIndex }, manifest(d(2), 5), manifest(d(3), 5), layer(d(7), 100)] };
    const plan = diff({
      desired: [index],
      observed: new Map([[index.address, { state: "present", digest: d(1) }]]),
      pruneCandidates: [
        { address: 'bundle.platform.image["mirror/mke/library/nginx:amd64-only"]', kind: "image", registry: "mirror", repository: "mke/library/nginx", tag: "amd64-only", digest: d(2) },
        { address: 'bundle.platform.image["mirror/mke/library/nginx:stale"]', kind: "image", registry: "mirror", repository: "mke/library/nginx", tag: "stale", digest: d(4) },
      ],
    });
    expect(plan.changes.filter((c) => c.action === "delete").map(tagOf)).toEqual(["stale"]);
  });

  it("protects what the whole configuration wants when the desired set was narrowed (--target)", () => {
    const a = item("1.25", d(1), [], "shared/nginx", "a");
    const b = item("1.24", d(2), [], "shared/nginx", "b");
    const candidates = [
      { address: 'bundle.a.image["mirror/shared/nginx:1.24"]', kind: "image" as const, registry: "mirror", repository: "shared/nginx", tag: "1.24", digest: d(2) },
      { address: 'bundle.a.image["mirror/shared/nginx:old"]', kind: "image" as const, registry: "mirror", repository: "shared/nginx", tag: "old", digest: d(5) },
    ];
    const narrowed = { desired: [a], observed: new Map([[a.address, { state: "present" as const, digest: d(1) }]]), pruneCandidates: candidates };
    // Without the whole configuration's protection, bundle b's tag would be deleted.
    expect(diff(narrowed).changes.filter((c) => c.action === "delete").map(tagOf)).toEqual(["1.24", "old"]);
    expect(diff({ ...narrowed, protected: protectedContent([a, b]) }).changes.filter((c) => c.action === "delete").map(tagOf)).toEqual(["old"]);
  });

  it("refuses to plan over objects it could not observe, keeping the failure's facts", () => {
    const desired = [item("1.25", d(1), [])];
    const error = { message: "GET …: 503 Service Unavailable", status: 503, temporary: true, code: "REGISTRY_HTTP" };
    let thrown: unknown;
    try {
      diff({ desired, observed: new Map([[desired[0]!.address, { state: "unknown", error }]]) });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ObservationError);
    expect((thrown as ObservationError).failures).toEqual([{ address: desired[0]!.address, error }]);
  });

  it("refuses a new digest under an immutable tag, and accepts the identical one", () => {
    const desired = [item("1.25", d(1), [])];
    expect(() => diff({ desired, observed: new Map([[desired[0]!.address, { state: "present", digest: d(9), immutable: true }]]) })).toThrow(ImmutableTagError);
    expect(diff({ desired, observed: new Map([[desired[0]!.address, { state: "present", digest: d(1), immutable: true }]]) }).changes[0]!.action).toBe("no-op");
  });

  it("is deterministic: the same input in another order gives the same plan", () => {
    const desired = [item("b", d(1), [[d(7), 1]]), item("a", d(2), [[d(7), 1]])];
    const one = diff({ desired, observed: new Map() });
    const two = diff({ desired: [...desired].reverse(), observed: new Map() });
    expect(JSON.stringify(one)).toBe(JSON.stringify(two));
    expect(hasChanges(diff({ desired: [], observed: new Map() }))).toBe(false);
  });
});

describe("observation failures", () => {
  it("are said once per cause, with how many objects it hit", () => {
    const error = new ObservationError([
      { address: "a", error: { message: "registry m: TLS certificate signed by an unknown CA; set tls.caFile" } },
      { address: "b", error: { message: "registry m: TLS certificate signed by an unknown CA; set tls.caFile" } },
      { address: "c", error: { message: "403 denied" } },
    ]);
    expect(error.message.split("\n")).toEqual([
      "could not observe 3 target object(s):",
      "  registry m: TLS certificate signed by an unknown CA; set tls.caFile (2 objects, e.g. a)",
      "  c: 403 denied",
    ]);
    expect(error.failures).toHaveLength(3);
  });
});
