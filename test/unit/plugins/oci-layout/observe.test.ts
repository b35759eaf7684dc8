/**
 * The oci-layout provider observes a plan's images in one read of
 * index.json, resolving each tag the way a layout's repository view does:
 * airgap's full-name entries, containerd's image name, and skopeo's bare
 * tags. Its tag list names only airgap's own entries (what prune may delete),
 * so the core's list-first observation (issue 14) must not decide for it:
 * with 8 or more tags wanted, a containerd-style tag was once planned as
 * absent and would have been written a second time.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Annotation } from "../../../../src/core/oci-types.js";
import { OciLayoutDirectory } from "../../../../src/oci/layout/index.js";
import { observeTargets, LIST_TAGS_FROM } from "../../../../src/observe/observe.js";
import type { DesiredArtifact } from "../../../../src/plan/diff.js";
import { plugin } from "../../../../plugins/oci-layout/index.js";
import { makeTempDir, type TempDir } from "../../../harness/tmp.js";
import { makeImage, streamOf } from "../../oci/layout/fixtures.js";

const REPO = "registry.example/team/app";

function item(tag: string, digest: string): DesiredArtifact {
  return {
    address: `bundle.b.image["${REPO}:${tag}"]`,
    kind: "image",
    registry: "local",
    repository: REPO,
    tag,
    source: `${REPO}:${tag}`,
    digest,
    content: [{ digest, mediaType: "application/vnd.oci.image.manifest.v1+json", size: 1 }],
    copy: { sourceDigest: digest, sourceMediaType: "application/vnd.oci.image.manifest.v1+json", sourceSize: 1, preserveDigests: true },
  };
}

describe("oci-layout observation", () => {
  let tmp: TempDir;
  beforeEach(async () => {
    tmp = await makeTempDir("layoutobserve");
  });
  afterEach(async () => {
    await tmp?.remove();
  });

  it("finds containerd-style and bare-tag entries however many tags are wanted, and its tag list still names only airgap's own", async () => {
    const dir = join(tmp.path, "layout");
    const layout = await OciLayoutDirectory.open(dir, { create: true });
    const images = Array.from({ length: LIST_TAGS_FROM + 2 }, (_, i) => makeImage(40 + i));
    for (const image of images) for (const b of image.blobs) await layout.repository(REPO).push(b.descriptor, streamOf(b.bytes));
    const tags = images.map((_, i) => `t${i}`);
    // t0–t2 not there (so the first tag a list leaves out is really absent), t3–t7 as containerd
    // exports them, t8–t9 as skopeo writes a bare tag.
    const present = (i: number) => i >= 3;
    const entries = images.flatMap((image, i) =>
      present(i) ? [{ ...image.manifest.descriptor, annotations: i < 8 ? { [Annotation.RefName]: tags[i]!, [Annotation.ContainerdImageName]: `${REPO}:${tags[i]!}` } : { [Annotation.RefName]: tags[i]! } }] : [],
    );
    const before = JSON.stringify({ schemaVersion: 2, manifests: entries });
    await writeFile(join(dir, "index.json"), before);

    const provider = await plugin.create({ path: dir }, undefined as never);
    const desired = images.map((image, i) => item(tags[i]!, image.manifest.descriptor.digest));
    const state = await observeTargets({ desired, providers: new Map([["local", provider]]), concurrency: 4 });
    images.forEach((image, i) => {
      expect(state.observed.get(desired[i]!.address), tags[i]).toEqual(present(i) ? { state: "present", digest: image.manifest.descriptor.digest } : { state: "absent" });
    });
    // What prune may delete is airgap's own full-name entries only: none here.
    expect(await provider.listTags!(REPO)).toEqual([]);
    // Observing wrote nothing.
    expect(await readFile(join(dir, "index.json"), "utf8")).toBe(before);
  });
});
