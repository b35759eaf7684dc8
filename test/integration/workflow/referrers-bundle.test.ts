/**
 * Referrers across the gap: `airgap bundle` carries an image's signatures
 * and SBOM (found through the fallback tag and cosign's tag of a real
 * distribution registry), and on the far side, with the upstream gone,
 * `apply --from` restores them byte for byte into a fresh registry, with
 * the fallback index written there. Inside the bundle they are listed
 * under an airgap annotation, not as image names, so containerd does not
 * import them as images.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateImages, pushImages } from "../../harness/images.js";
import { startRegistry, type RunningRegistry } from "../../harness/registry.js";
import { ArtifactTypes, asImage, attachedSbom, attachedSignature, fallbackIndex, fallbackTag, taggedSignature } from "../../helpers/referrer-artifacts.js";
import { createWorkspace, inspect, type Workspace } from "./workflow.js";

const images = generateImages("wf-referrers-bundle");
const app = images.get("library/oci-single", "1.0");
const signature = attachedSignature(app.root, "bundle");
const sbom = attachedSbom(app.root, "bundle");
const classic = taggedSignature(app.root, "bundle");

let upstream: RunningRegistry;
let far: RunningRegistry;
let ws: Workspace;

beforeAll(async () => {
  [upstream, far] = await Promise.all([startRegistry(), startRegistry()]);
  await pushImages(upstream, [app, fallbackIndex(app.repository, app.root, [signature, sbom]), asImage(app.repository, classic, [`${fallbackTag(app.root)}.sig`])]);
  ws = createWorkspace("referrers-bundle");
});
afterAll(async () => {
  await Promise.all([upstream?.stop(), far?.stop()]);
  ws?.remove();
});

describe("referrers through a bundle", () => {
  it("the bundle carries them, and apply --from restores them on the far side without the upstream", async () => {
    ws.writeConfig(`apiVersion: airgap/v1
sources:
  upstream: { type: registry, host: "${upstream.host}", url: "${upstream.url}" }
registries:
  far: { provider: oci, url: "${far.url}" }
bundles:
  site:
    registry: far
    path: site
    referrers: true
    images:
      - ${upstream.host}/${app.repository}:1.0
`);
    const bundled = await ws.run(["bundle", "-o", "site.tar"]);
    expect(bundled.stderr).toContain("Wrote site.tar: 1 image(s) and chart(s)");
    expect(bundled.code).toBe(0);
    // index.json of the bundle: the image by name, the three referrers by airgap's annotation only.
    const index = JSON.parse(execFileSync("tar", ["-xOf", join(ws.dir, "site.tar"), "index.json"]).toString("utf8")) as { manifests: { digest: string; annotations?: Record<string, string> }[] };
    const byDigest = new Map(index.manifests.map((m) => [m.digest, m.annotations ?? {}] as const));
    expect(byDigest.get(app.root.digest)?.["org.opencontainers.image.ref.name"]).toBe(`${upstream.host}/${app.repository}:1.0`);
    for (const m of [signature, sbom, classic]) {
      expect(byDigest.get(m.digest)?.["dev.airgap.referrer.name"], m.digest).toBeDefined();
      expect(byDigest.get(m.digest)?.["org.opencontainers.image.ref.name"], m.digest).toBeUndefined();
    }

    await upstream.stop();
    const apply = await ws.run(["apply", "--from", "site.tar", "--auto-approve"]);
    expect(apply.stderr).toContain("Apply complete: 4 done, 0 failed");
    expect(apply.code).toBe(0);
    const target = `site/${app.repository}`;
    expect((await inspect(far.host, `${target}:1.0`)).digest).toBe(app.root.digest);
    for (const m of [signature, sbom]) expect((await inspect(far.host, `${target}@${m.digest}`)).bytes.equals(m.bytes), m.digest).toBe(true);
    expect((await inspect(far.host, `${target}:${fallbackTag(app.root)}.sig`)).bytes.equals(classic.bytes)).toBe(true);
    const listed = (await inspect(far.host, `${target}:${fallbackTag(app.root)}`)).json as { manifests: { digest: string; artifactType?: string }[] };
    expect(listed.manifests.map((m) => [m.digest, m.artifactType]).sort()).toEqual(
      [
        [signature.digest, ArtifactTypes.cosignSignature],
        [sbom.digest, ArtifactTypes.spdx],
      ].sort(),
    );
    expect((await ws.run(["plan", "--from", "site.tar", "--detailed-exitcode"])).code).toBe(0);
  });
});
