/**
 * Discovery of referrers at the source, against the real distribution
 * registry (2.8 answers the referrers API with 404, so the `sha256-<hex>`
 * fallback tag is read for real) and an OCI layout on disk (no API: the
 * fallback tag only): OCI 1.1 referrers by subject, cosign's classic
 * `.sig` tag, the artifactType filter, and the two bad inputs a source can
 * hold: a referrer whose subject is another image, and a fallback tag that
 * is not an index.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OciLayoutDirectory } from "../../../src/oci/layout/index.js";
import { RegistryClient, Transport, anonymousCredentials } from "../../../src/oci/registry/index.js";
import { discoverReferrers } from "../../../src/resolve/referrers.js";
import { ReferrerError } from "../../../src/core/referrer-errors.js";
import { LayoutSourceRepository, RegistrySourceRepository, type SourceRepository } from "../../../src/sources/source-repository.js";
import { generateImages, pushImages, writeOciLayout } from "../../harness/images.js";
import { startRegistry, type RunningRegistry } from "../../harness/registry.js";
import { makeTempDir, type TempDir } from "../../harness/tmp.js";
import { ArtifactTypes, asImage, attachedSbom, attachedSignature, fallbackIndex, fallbackTag, taggedSignature } from "../../helpers/referrer-artifacts.js";

const images = generateImages("referrers-discover");
const app = images.get("library/oci-single", "1.0");
const other = images.get("team/sub/app", "v1");
const REPO = app.repository;
const signature = attachedSignature(app.root, "app");
const sbom = attachedSbom(app.root, "app");
const classic = taggedSignature(app.root, "app");
// Bad input: a fallback index of `app` that lists a signature of another image.
const stray = attachedSignature(other.root, "other");

const content = [app, other, fallbackIndex(REPO, app.root, [signature, sbom]), asImage(REPO, classic, [`${fallbackTag(app.root)}.sig`])];

let registry: RunningRegistry;
let layoutDir: TempDir;
const transport = new Transport();
let client: RegistryClient;

beforeAll(async () => {
  registry = await startRegistry();
  layoutDir = await makeTempDir("referrerlayout");
  await pushImages(registry, content);
  // The two bad repositories: a wrong subject in the list, and a fallback tag holding an image.
  await pushImages(registry, [{ ...app, repository: "bad/subject" }, fallbackIndex("bad/subject", app.root, [stray])]);
  await pushImages(registry, [{ ...app, repository: "bad/tag" }, asImage("bad/tag", classic, [fallbackTag(app.root)])]);
  await writeOciLayout(layoutDir.path, content);
  client = new RegistryClient({ url: registry.url, credentials: anonymousCredentials, transport });
});

afterAll(async () => {
  await transport.close();
  await registry?.stop();
  await layoutDir?.remove();
});

const expected = () =>
  [
    { digest: signature.digest, mediaType: signature.mediaType, size: signature.size, contentSize: 2 + (signature.layers[0]?.size ?? 0), artifactType: ArtifactTypes.cosignSignature },
    { digest: sbom.digest, mediaType: sbom.mediaType, size: sbom.size, contentSize: 2 + (sbom.layers[0]?.size ?? 0), artifactType: ArtifactTypes.spdx },
    { digest: classic.digest, mediaType: classic.mediaType, size: classic.size, contentSize: classic.config.size + (classic.layers[0]?.size ?? 0), artifactType: ArtifactTypes.cosignSignature, tag: `${fallbackTag(app.root)}.sig` },
  ].sort((a, b) => (`${a.digest} ${a.tag ?? ""}` < `${b.digest} ${b.tag ?? ""}` ? -1 : 1));

async function sources(): Promise<{ name: string; repo: SourceRepository }[]> {
  const layout = await OciLayoutDirectory.open(layoutDir.path);
  return [
    { name: "registry", repo: new RegistrySourceRepository(client, REPO) },
    { name: "layout", repo: new LayoutSourceRepository(layout, [REPO]) },
  ];
}

describe("referrer discovery", () => {
  it("finds attached referrers through the fallback tag after the API's 404, and cosign's .sig tag, on a registry and in a layout", async () => {
    for (const { name, repo } of await sources()) {
      expect(await discoverReferrers(repo, app.root.digest, { filter: true }), name).toEqual(expected());
    }
    // The registry was asked through the API first, and answered 404 (distribution 2.8).
    expect(await registry.readLog()).toMatch(new RegExp(`"GET /v2/${REPO}/referrers/${app.root.digest} HTTP/1.1" 404`));
  });

  it("an artifactType filter keeps only those types (cosign's tag counts as its signature type)", async () => {
    for (const { name, repo } of await sources()) {
      expect((await discoverReferrers(repo, app.root.digest, { filter: [ArtifactTypes.spdx] })).map((r) => r.digest), name).toEqual([sbom.digest]);
      const sigs = await discoverReferrers(repo, app.root.digest, { filter: [ArtifactTypes.cosignSignature] });
      expect(sigs.map((r) => r.digest).sort(), name).toEqual([signature.digest, classic.digest].sort());
    }
    expect(await registry.readLog()).toContain(`/referrers/${app.root.digest}?artifactType=application/spdx%2Bjson`);
  });

  it("an image with no referrers has none", async () => {
    for (const { name, repo } of await sources()) expect(await discoverReferrers(repo, other.root.digest, { filter: true }), name).toEqual([]);
  });

  it("refuses a referrer whose subject is another image, naming it", async () => {
    const error = await discoverReferrers(new RegistrySourceRepository(client, "bad/subject"), app.root.digest, { filter: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReferrerError);
    expect((error as ReferrerError).code).toBe("REFERRER_SUBJECT_MISMATCH");
    expect((error as ReferrerError).message).toContain(`bad/subject@${stray.digest}`);
    expect((error as ReferrerError).message).toContain(`its subject is ${other.root.digest}`);
  });

  it("refuses a fallback tag that holds an image instead of an index, naming the tag", async () => {
    const error = await discoverReferrers(new RegistrySourceRepository(client, "bad/tag"), app.root.digest, { filter: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReferrerError);
    expect((error as ReferrerError).code).toBe("REFERRER_TAG_NOT_INDEX");
    expect((error as ReferrerError).message).toContain(`bad/tag:${fallbackTag(app.root)}`);
    expect((error as ReferrerError).message).toContain(`holds a ${classic.mediaType} (${classic.digest}), not the image index`);
  });
});
