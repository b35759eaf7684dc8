/**
 * Interop with real skopeo (the independent client): skopeo reads the layout
 * directories and archives airgap writes, and airgap reads what skopeo writes.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Annotation } from "../../../src/core/oci-types.js";
import { layoutTarInput, OciLayoutDirectory, OciLayoutTar, writeLayoutTar } from "../../../src/oci/layout/index.js";
import { readAllLimited } from "../../../src/oci/verify.js";
import { copy, inspectRaw } from "../../harness/skopeo.js";
import { makeTempDir, type TempDir } from "../../harness/tmp.js";
import { makeImage, makeMultiArch, streamOf } from "../../unit/oci/layout/fixtures.js";

const APP = "127.0.0.1:5000/team/app";
const MULTI = "127.0.0.1:5000/team/multi";

describe("OCI layouts and skopeo", () => {
  let tmp: TempDir;
  let ours: string;
  let oursTar: string;
  const single = makeImage(100, { layerCount: 3, layerSize: 200 * 1024 });
  const multi = makeMultiArch(200);

  beforeAll(async () => {
    tmp = await makeTempDir("layoutskopeo");
    ours = join(tmp.path, "ours");
    const layout = await OciLayoutDirectory.open(ours, { create: true });
    for (const b of single.blobs) await layout.repository(APP).push(b.descriptor, streamOf(b.bytes));
    for (const b of multi.blobs) await layout.repository(MULTI).push(b.descriptor, streamOf(b.bytes));
    await layout.repository(APP).tag(single.manifest.descriptor, "1.0");
    await layout.repository(MULTI).tag(multi.index.descriptor, "2.0");
    oursTar = join(tmp.path, "ours.tar");
    await writeLayoutTar(oursTar, await layoutTarInput(layout));
  });
  afterAll(async () => {
    await tmp?.remove();
  });

  it("skopeo inspects our directory by the full name in ref.name", async () => {
    const raw = await inspectRaw(`oci:${ours}:${APP}:1.0`);
    expect(raw.bytes.equals(single.manifest.bytes)).toBe(true);
    expect(raw.digest).toBe(single.manifest.descriptor.digest);
    const index = await inspectRaw(`oci:${ours}:${MULTI}:2.0`);
    expect(index.digest).toBe(multi.index.descriptor.digest);
  });

  it("skopeo copies out of our directory; we read its layout (full-name and bare-tag refs)", async () => {
    const other = join(tmp.path, "skopeo-dir");
    await copy(`oci:${ours}:${APP}:1.0`, `oci:${other}:${APP}:1.0`);
    await copy(`oci:${ours}:${MULTI}:2.0`, `oci:${other}:2.0`, { all: true });
    const layout = await OciLayoutDirectory.open(other);
    const names = (await layout.entries()).map((d) => d.annotations?.[Annotation.RefName]);
    expect(names.sort()).toEqual(["2.0", `${APP}:1.0`].sort());
    expect((await layout.repository(APP).resolve("1.0"))?.digest).toBe(single.manifest.descriptor.digest);
    // skopeo wrote a bare tag: any repository view resolves it.
    expect((await layout.repository(MULTI).resolve("2.0"))?.digest).toBe(multi.index.descriptor.digest);
    const walked = await layout.walk();
    expect(walked.descriptors.map((d) => d.digest).sort()).toEqual([...single.blobs, ...multi.blobs].map((b) => b.descriptor.digest).sort());
    const fetched = await readAllLimited(await layout.repository(APP).fetch(single.layers[2]!.descriptor), 1 << 20, "layer");
    expect(fetched.equals(single.layers[2]!.bytes)).toBe(true);
  });

  it("skopeo reads our tar as oci-archive:", async () => {
    const raw = await inspectRaw(`oci-archive:${oursTar}:${APP}:1.0`);
    expect(raw.digest).toBe(single.manifest.descriptor.digest);
    const copied = join(tmp.path, "from-archive");
    await copy(`oci-archive:${oursTar}:${MULTI}:2.0`, `oci:${copied}:${MULTI}:2.0`, { all: true });
    const layout = await OciLayoutDirectory.open(copied);
    expect((await layout.repository(MULTI).resolve("2.0"))?.digest).toBe(multi.index.descriptor.digest);
    expect((await layout.walk()).descriptors).toHaveLength(multi.blobs.length);
  });

  it("we read the oci-archive: skopeo writes, and every digest matches", async () => {
    const archive = join(tmp.path, "skopeo.tar");
    await copy(`oci:${ours}:${MULTI}:2.0`, `oci-archive:${archive}:${MULTI}:2.0`, { all: true });
    const tar = await OciLayoutTar.open(archive);
    try {
      const resolved = await tar.repository(MULTI).resolve("2.0");
      expect(resolved?.digest).toBe(multi.index.descriptor.digest);
      const verified = await tar.verifyAll();
      expect(verified.problems).toEqual([]);
      expect(verified.ok).toBe(true);
      const { descriptors } = await tar.walk();
      expect(descriptors.map((d) => d.digest).sort()).toEqual(multi.blobs.map((b) => b.descriptor.digest).sort());
      const manifest = await tar.readManifest(multi.images[1]!.manifest.descriptor);
      expect(manifest.bytes.equals(multi.images[1]!.manifest.bytes)).toBe(true);

      // And our writer re-packs skopeo's archive into one skopeo reads back.
      const repacked = join(tmp.path, "repacked.tar");
      await writeLayoutTar(repacked, await layoutTarInput(tar));
      expect((await inspectRaw(`oci-archive:${repacked}:${MULTI}:2.0`)).digest).toBe(multi.index.descriptor.digest);
    } finally {
      await tar.close();
    }
  });
});
