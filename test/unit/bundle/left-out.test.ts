/**
 * What a bundle left out on purpose, and what is damage: the record's format,
 * and the walk of a real layout tar with a layer left out, missing, cut
 * short, or absent from a bundle that keeps no record.
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { blobInBundle, walkBundle } from "../../../src/bundle/read-bundle.js";
import { LEFT_OUT_FILE, parseLeftOut, serializeLeftOut } from "../../../src/bundle/left-out.js";
import { MediaType } from "../../../src/core/media-types.js";
import { OciLayoutTar } from "../../../src/oci/layout/index.js";
import { ustar, type TarEntry } from "../../harness/tar.js";
import { tempDir } from "../../helpers/config.js";

const sha = (bytes: Buffer) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
const layerA = Buffer.from("layer a ".repeat(50));
const layerB = Buffer.from("layer b ".repeat(70));
const manifest = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, digest: sha(config), size: config.length },
    layers: [layerA, layerB].map((l) => ({ mediaType: MediaType.OciLayerGzip, digest: sha(l), size: l.length })),
  }),
);
const index = JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [{ mediaType: MediaType.OciManifest, digest: sha(manifest), size: manifest.length }] });

const opened: OciLayoutTar[] = [];
afterEach(async () => {
  for (const tar of opened.splice(0)) await tar.close();
});

/** A layout tar of the one image; `blobs` overrides or drops (undefined) a blob's bytes. */
async function layout(blobs: Map<Buffer, Buffer | undefined> = new Map()): Promise<OciLayoutTar> {
  const entries: TarEntry[] = [
    { name: "oci-layout", type: "file", data: Buffer.from('{"imageLayoutVersion":"1.0.0"}') },
    { name: "index.json", type: "file", data: Buffer.from(index) },
    { name: "blobs", type: "dir" },
    { name: "blobs/sha256", type: "dir" },
  ];
  for (const blob of [config, layerA, layerB, manifest]) {
    const data = blobs.has(blob) ? blobs.get(blob) : blob;
    if (data !== undefined) entries.push({ name: `blobs/sha256/${sha(blob).slice(7)}`, type: "file", data });
  }
  const path = join(tempDir(), "bundle.tar");
  writeFileSync(path, ustar(entries));
  const tar = await OciLayoutTar.open(path);
  opened.push(tar);
  return tar;
}

describe("the record of what a bundle left out", () => {
  it("is sorted and deduplicated (the bundle stays reproducible), and reads back", () => {
    const text = serializeLeftOut(["sha256:b", "sha256:a", "sha256:b"]);
    expect(JSON.parse(text)).toEqual({ formatVersion: 1, leftOut: ["sha256:a", "sha256:b"] });
    expect([...parseLeftOut(text, "x.tar")]).toEqual(["sha256:a", "sha256:b"]);
  });

  it("refuses a record it cannot trust, saying what to do on this side", () => {
    expect(() => parseLeftOut("{", "x.tar")).toThrow(new RegExp(`x\\.tar: ${LEFT_OUT_FILE} is not JSON .*damaged: copy it across again`));
    expect(() => parseLeftOut('{"formatVersion":2,"leftOut":[]}', "x.tar")).toThrow(/formatVersion 2, which this airgap does not read: use the airgap version that wrote the bundle/);
    expect(() => parseLeftOut('{"formatVersion":1,"leftOut":[1]}', "x.tar")).toThrow(/no list of digests/);
  });
});

describe("walking a bundle", () => {
  it("counts a blob left out on purpose as delivered, and a missing or cut-short one as damage, naming each", async () => {
    const tar = await layout(new Map([[layerA, undefined], [layerB, layerB.subarray(0, 100)]]));
    const leftOut = new Set<string>();
    const full = await walkBundle({ tar, leftOut, path: "full.tar" });
    expect(full.problems.map((p) => p.message)).toEqual([
      expect.stringMatching(new RegExp(`^blobs/sha256/${sha(layerA).slice(7)} \\(${layerA.length} bytes\\) is missing from the bundle \\(referenced by blobs/sha256/`)),
      expect.stringMatching(new RegExp(`^blobs/sha256/${sha(layerB).slice(7)} is 100 bytes in the bundle, but ${layerB.length} are expected \\(cut short\\)`)),
    ]);
    expect(await blobInBundle({ tar, leftOut }, { digest: sha(layerA), size: layerA.length })).toEqual({ state: "missing" });

    const differential = await walkBundle({ tar, leftOut: new Set([sha(layerA)]), path: "diff.tar" });
    expect(differential.problems).toHaveLength(1);
    expect(differential.descriptors.map((d) => d.digest)).toEqual([sha(config), sha(layerA), sha(manifest)]);
    expect(await blobInBundle({ tar, leftOut: new Set([sha(layerA)]) }, { digest: sha(layerA), size: layerA.length })).toEqual({ state: "left-out" });
  });

  it("reports blobs absent from a bundle without a record as unknown, and a missing manifest as damage always", async () => {
    const withoutLayer = await layout(new Map([[layerA, undefined]]));
    const old = await walkBundle({ tar: withoutLayer, leftOut: undefined, path: "old.tar" });
    expect(old.problems).toEqual([]);
    expect(old.absent.map((d) => d.digest)).toEqual([sha(layerA)]);

    const withoutManifest = await layout(new Map([[manifest, undefined]]));
    const walked = await walkBundle({ tar: withoutManifest, leftOut: new Set([sha(manifest)]), path: "x.tar" });
    expect(walked.problems.map((p) => p.entry)).toEqual([`blobs/sha256/${sha(manifest).slice(7)}`]);
  });
});
