/**
 * Referrers in airgap.lock: written in a fixed order and read back exactly,
 * refused when malformed, and a lock whose referrers do not cover what a
 * bundle asks for (none looked up, or other artifact types) is out of date.
 */
import { describe, expect, it } from "vitest";
import { normalizeConfig } from "../../../src/config/normalize.js";
import { parseLockFile, serializeLock } from "../../../src/lock/file.js";
import { compareLock } from "../../../src/lock/lookup.js";
import type { AirgapLock, LockedImage } from "../../../src/lock/model.js";
import { bundleReferrers, lockCovers, mergeFilters } from "../../../src/lock/referrer-filter.js";
import { loadYaml } from "../../helpers/config.js";

const D = (c: string): string => `sha256:${c.repeat(64)}`;
const M = "application/vnd.oci.image.manifest.v1+json";
const SIG = "application/vnd.dev.cosign.artifact.sig.v1+json";
const SPDX = "application/spdx+json";

const image: LockedImage = {
  ref: "registry.example/team/app:1.0",
  digest: D("a"),
  mediaType: M,
  size: 10,
  referrers: [
    { digest: D("c"), mediaType: M, size: 3, artifactType: SPDX },
    { digest: D("b"), mediaType: M, size: 2, contentSize: 7, artifactType: SIG, tag: `sha256-${"a".repeat(64)}.sig` },
  ],
  referrerTypes: [SPDX, SIG],
};
const lock: AirgapLock = { lockVersion: 1, generated: "2026-01-01T00:00:00.000Z", images: [image], charts: [], files: [] };

async function config(referrers: string): Promise<ReturnType<typeof normalizeConfig>> {
  const loaded = await loadYaml(`apiVersion: airgap/v1
registries:
  mirror: { provider: oci, url: "http://127.0.0.1:5000" }
bundles:
  b:
    registry: mirror
${referrers}
    images:
      - registry.example/team/app:1.0
`);
  if (!loaded.ok) throw new Error(loaded.lines.join("\n"));
  return normalizeConfig(loaded.loaded.config, loaded.loaded.baseDir);
}

describe("referrers in airgap.lock", () => {
  it("serialises them sorted by digest with their types sorted, and reads them back", () => {
    const text = serializeLock(lock);
    const parsed = parseLockFile(text, "airgap.lock");
    const back = parsed.images[0] as LockedImage;
    expect(back.referrers?.map((r) => r.digest)).toEqual([D("b"), D("c")]);
    expect(back.referrers?.[0]).toEqual({ digest: D("b"), mediaType: M, size: 2, contentSize: 7, artifactType: SIG, tag: `sha256-${"a".repeat(64)}.sig` });
    expect(back.referrerTypes).toEqual([SPDX, SIG].sort());
    expect(serializeLock(parsed)).toBe(text);
  });

  it("refuses a referrer with an unknown field or a bad digest, naming where", () => {
    const bad = JSON.parse(serializeLock(lock)) as { images: { referrers: Record<string, unknown>[] }[] };
    bad.images[0]!.referrers[0]!["signedBy"] = "me";
    expect(() => parseLockFile(JSON.stringify(bad), "airgap.lock")).toThrow(/images\[0\]\.referrers\[0\] has unknown field "signedBy"/);
    bad.images[0]!.referrers[0] = { digest: "sha256:nope", mediaType: M, size: 1 };
    expect(() => parseLockFile(JSON.stringify(bad), "airgap.lock")).toThrow(/images\[0\]\.referrers\[0\]\.digest is not a digest/);
  });

  it("merges wishes: all wins, else the union of types", () => {
    expect(mergeFilters([false, false])).toBeUndefined();
    expect(mergeFilters([[SPDX], true])).toBe(true);
    expect(mergeFilters([[SPDX], false, [SIG, SPDX]])).toEqual([SPDX, SIG].sort());
    expect(lockCovers(image, [SIG])).toBe(true);
    expect(lockCovers(image, true)).toBe(false);
    expect(lockCovers({ referrers: [] }, true)).toBe(true);
    expect(lockCovers({}, [SIG])).toBe(false);
  });

  it("a lock without the referrers a bundle asks for is out of date; one that covers them is not", async () => {
    const all = await config("    referrers: true");
    expect(bundleReferrers(all.bundles[0]!)).toBe(true);
    const result = compareLock(all, lock);
    expect(result.upToDate).toBe(false);
    expect(result.missing).toEqual([{ pointer: "/bundles/b/images/0", subject: image.ref, reason: `airgap.lock does not record the referrers of ${image.ref} that bundle b asks for` }]);
    expect(compareLock(await config(`    referrers: { artifactTypes: ["${SIG}"] }`), lock)).toEqual({ upToDate: true, missing: [], unused: [] });
    const { referrers: _r, referrerTypes: _t, ...bare } = image;
    expect(compareLock(await config(`    referrers: { artifactTypes: ["${SIG}"] }`), { ...lock, images: [bare] }).upToDate).toBe(false);
    expect(compareLock(await config("    referrers: false"), { ...lock, images: [bare] }).upToDate).toBe(true);
  });
});
