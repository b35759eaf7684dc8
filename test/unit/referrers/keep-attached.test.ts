/**
 * Which referrers land: those naming the image as it lands in the target,
 * or another referrer that lands; never one that would refer to nothing
 * there (its image rewritten by the platform filter, or its own subject
 * left out), and each left out says why.
 */
import { describe, expect, it } from "vitest";
import type { DesiredArtifact } from "../../../src/plan/diff.js";
import { keepAttached } from "../../../src/referrers/desired.js";

const D = (c: string) => `sha256:${c.repeat(64)}`;
const M = "application/vnd.oci.image.manifest.v1+json";

function image(address: string, digest: string, sourceDigest: string): DesiredArtifact {
  return { address, kind: "image", registry: "r", repository: "app", tag: "1", source: `up/${address}`, digest, content: [], copy: { sourceDigest, sourceMediaType: M, sourceSize: 1, preserveDigests: false } };
}
function referrer(address: string, digest: string, subject: string, subjectAddress: string): DesiredArtifact {
  return { address, kind: "referrer", registry: "r", repository: "app", subject, subjectAddress, source: `up/${address}`, digest, content: [], copy: { sourceDigest: digest, sourceMediaType: M, sourceSize: 1, preserveDigests: true } };
}

describe("keepAttached", () => {
  it("keeps referrers of an image that lands as it is, and their own referrers, in any order", () => {
    const items = [referrer("sbom-sig", D("3"), D("2"), "img"), image("img", D("1"), D("1")), referrer("sbom", D("2"), D("1"), "img"), referrer("sig", D("4"), D("1"), "img")];
    const { kept, dangling } = keepAttached(items, () => ({ pointer: "/bundles/b/images/0" }));
    expect(kept.map((i) => i.address)).toEqual(["sbom-sig", "img", "sbom", "sig"]);
    expect(dangling).toEqual([]);
  });

  it("leaves out every referrer of a rewritten image, nested ones too, saying why", () => {
    const items = [image("img", D("9"), D("1")), referrer("sbom", D("2"), D("1"), "img"), referrer("sbom-sig", D("3"), D("2"), "img")];
    const { kept, dangling } = keepAttached(items, () => ({ pointer: "/bundles/b/images/0" }));
    expect(kept.map((i) => i.address)).toEqual(["img"]);
    expect(dangling.map((d) => [d.address, d.pointer])).toEqual([
      ["sbom", "/bundles/b/images/0"],
      ["sbom-sig", "/bundles/b/images/0"],
    ]);
    expect(dangling[0]?.message).toContain(`up/sbom refers to ${D("1")}, but the platform filter rewrites up/img to ${D("9")}`);
  });

  it("keeps referrers whose image is not being planned (narrowed by --target)", () => {
    const items = [referrer("sig", D("4"), D("1"), "elsewhere")];
    expect(keepAttached(items, () => undefined).kept).toEqual(items);
  });
});
