/**
 * The lock a bundle carries: an image the bundle holds platform-filtered is
 * recorded with its rewritten root, and its referrers keep naming the
 * upstream root they refer to, so the far side leaves them out (with a
 * warning) instead of copying them dangling; an image carried whole keeps
 * its referrers as they are.
 */
import { describe, expect, it } from "vitest";
import { lockForBundle } from "../../../src/bundle/bundle-lock.js";
import type { Descriptor } from "../../../src/core/oci-types.js";
import type { AirgapLock, LockedImage } from "../../../src/lock/model.js";
import { referrerContent } from "../../../src/referrers/desired.js";

const D = (c: string) => `sha256:${c.repeat(64)}` as Descriptor["digest"];
const M = "application/vnd.oci.image.manifest.v1+json";
const I = "application/vnd.oci.image.index.v1+json";

const image = (ref: string, digest: string): LockedImage => ({ ref, digest, mediaType: I, size: 100, referrers: [{ digest: D("9"), mediaType: M, size: 5, artifactType: "application/spdx+json" }] });

describe("lockForBundle and referrers", () => {
  it("says which root a referrer names when the bundle rewrote its image, and leaves whole images alone", () => {
    const lock: AirgapLock = { lockVersion: 1, generated: "2026-01-01T00:00:00.000Z", images: [image("r.example/a:1", D("a")), image("r.example/b:1", D("b"))], charts: [], files: [] };
    const carried = new Map([
      ["r.example/a:1", { root: { mediaType: I, digest: D("c"), size: 80 }, content: [] }],
      ["r.example/b:1", { root: { mediaType: I, digest: D("b"), size: 100 }, content: [] }],
    ]);
    const [a, b] = lockForBundle(lock, carried).images as LockedImage[];
    expect(a?.digest).toBe(D("c"));
    expect(a?.referrers?.[0]?.subject).toBe(D("a"));
    expect(b).toEqual(lock.images[1]);

    // On the far side the referrer still refers to the upstream root, not to the bundle's rewritten one.
    const bundle = { name: "site", referrers: true } as unknown as Parameters<typeof referrerContent>[0];
    const content = referrerContent(bundle, a!, { registry: "r.example", repository: "a", tag: "1" }, "bundle.site.image[\"r.example/a:1\"]");
    expect(content.map((c) => [c.subject, c.locked.digest])).toEqual([[D("a"), D("9")]]);
  });
});
