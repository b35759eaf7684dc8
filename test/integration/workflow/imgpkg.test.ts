/**
 * imgpkg bundles are relocated as a whole, through the built CLI against
 * real registries: the bundle (made here as `imgpkg push -b` makes it)
 * lands under its tag, and every image of its `.imgpkg/images.yml` lands in
 * the SAME target repository by digest, byte for byte (skopeo reads them
 * back), as `imgpkg copy -b … --to-repo` leaves them for kapp-controller.
 * A bundle naming an image its registry lacks cannot be locked or planned,
 * and the error names the image.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateImages, pushImages } from "../../harness/images.js";
import { imgpkgBundle } from "../../helpers/referrer-artifacts.js";
import { inspect, useRegistryPair, type JsonChange } from "./workflow.js";

const images = generateImages("wf-imgpkg");
const single = images.get("library/oci-single", "1.0");
const multi = images.get("team/sub/app", "v1");
const pair = useRegistryPair(images);

function config(host: string, upstreamUrl: string, mirrorUrl: string, bundleRef: string): string {
  return `apiVersion: airgap/v1
sources:
  upstream: { type: registry, host: "${host}", url: "${upstreamUrl}" }
registries:
  mirror: { provider: oci, url: "${mirrorUrl}" }
bundles:
  packages:
    registry: mirror
    path: pkgs
    images:
      - ${host}/${bundleRef}
`;
}

describe("imgpkg bundles", () => {
  it("relocates the bundle and every image of its ImagesLock into one target repository, by digest", async () => {
    const host = pair.upstream.host;
    // A nested bundle (an imgpkg bundle listing another) brings its images too, as imgpkg copies them.
    const inner = imgpkgBundle("pkg/inner-bundle", "0.1.0", [`${host}/${multi.repository}@${multi.root.digest}`]);
    const listed = [`${host}/${single.repository}@${single.root.digest}`, `${host}/pkg/inner-bundle@${inner.root.digest}`];
    const bundle = imgpkgBundle("pkg/app-bundle", "1.0.0", listed);
    await pushImages(pair.upstream, [inner, bundle]);
    const innerImage = `${host}/${multi.repository}@${multi.root.digest}`;
    const ws = pair.workspace("imgpkg");
    ws.writeConfig(config(host, pair.upstream.url, pair.mirror.url, "pkg/app-bundle:1.0.0"));

    const lock = await ws.run(["lock"]);
    expect(lock.code, lock.stderr).toBe(0);
    const written = JSON.parse(readFileSync(join(ws.dir, "airgap.lock"), "utf8")) as { images: { ref: string; imgpkgImages?: { ref: string; digest: string }[] }[] };
    expect(written.images[0]?.imgpkgImages?.map((i) => [i.ref, i.digest])).toEqual([
      [listed[0], single.root.digest],
      [listed[1], inner.root.digest],
      [innerImage, multi.root.digest],
    ]);

    const run = await ws.run(["plan", "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const plan = JSON.parse(run.stdout) as { changes: JsonChange[] };
    expect(plan.changes.map((c) => [c.address, c.repository, c.tag, c.after])).toEqual(
      expect.arrayContaining([
        [`bundle.packages.image["${host}/pkg/app-bundle:1.0.0"]`, "pkgs/pkg/app-bundle", "1.0.0", bundle.root.digest],
        [`bundle.packages.image["${listed[0]} (imgpkg bundle ${host}/pkg/app-bundle:1.0.0)"]`, "pkgs/pkg/app-bundle", `${single.root.digest.replace(":", "-")}.imgpkg`, single.root.digest],
        [`bundle.packages.image["${listed[1]} (imgpkg bundle ${host}/pkg/app-bundle:1.0.0)"]`, "pkgs/pkg/app-bundle", `${inner.root.digest.replace(":", "-")}.imgpkg`, inner.root.digest],
        [`bundle.packages.image["${innerImage} (imgpkg bundle ${host}/pkg/app-bundle:1.0.0)"]`, "pkgs/pkg/app-bundle", `${multi.root.digest.replace(":", "-")}.imgpkg`, multi.root.digest],
      ]),
    );
    expect(plan.changes).toHaveLength(4);

    const apply = await ws.run(["apply", "--auto-approve"]);
    expect(apply.stderr).toContain("Apply complete: 4 done, 0 failed");
    for (const root of [bundle.root, single.root, inner.root, multi.root]) {
      const landed = await inspect(pair.mirror.host, `pkgs/pkg/app-bundle@${root.digest}`);
      expect(landed.bytes.equals(root.bytes), root.digest).toBe(true);
    }
    // Every platform of the multi-arch image came along whole (imgpkg copies by digest, nothing filtered).
    for (const child of multi.root.kind === "index" ? multi.root.manifests : []) expect((await inspect(pair.mirror.host, `pkgs/pkg/app-bundle@${child.digest}`)).digest).toBe(child.digest);
    expect((await ws.run(["plan", "--detailed-exitcode"])).code).toBe(0);
  });

  it("a bundle whose images.yml names an image the registry lacks cannot be locked or planned, and the error names it", async () => {
    const host = pair.upstream.host;
    const missing = `${host}/library/gone@sha256:${"0".repeat(64)}`;
    await pushImages(pair.upstream, [imgpkgBundle("pkg/broken", "1.0.0", [`${host}/${single.repository}@${single.root.digest}`, missing])]);
    const ws = pair.workspace("imgpkgbad");
    ws.writeConfig(config(host, pair.upstream.url, pair.mirror.url, "pkg/broken:1.0.0"));
    for (const command of [["lock"], ["plan"]]) {
      const run = await ws.run(command);
      expect(run.code, command[0]).not.toBe(0);
      expect(run.stderr, command[0]).toContain(`imgpkg bundle ${host}/pkg/broken:1.0.0 lists ${missing} in .imgpkg/images.yml, which ${host}/library/gone does not have`);
      expect(run.stderr, command[0]).toMatch(/airgap\.yaml:\d+:\d+/);
    }
  });
});
