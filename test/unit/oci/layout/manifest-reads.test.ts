/**
 * Many manifest reads at once on one run's AbortSignal (a lock of eleven or
 * more images from a layout or an archive) add no abort listener to it: each
 * manifest is read whole with a positioned read instead of a file stream,
 * which registered a listener per read and made Node print
 * MaxListenersExceededWarning. The bytes are still verified.
 */
import { getEventListeners } from "node:events";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Digest } from "../../../../src/core/digest.js";
import { layoutTarInput, OciLayoutDirectory, OciLayoutTar, readManifest, writeLayoutTar } from "../../../../src/oci/layout/index.js";
import { ContentVerificationError } from "../../../../src/oci/verify.js";
import { tempDir } from "../../../helpers/config.js";

const quickstart = new URL("../../../../examples/quickstart/content", import.meta.url).pathname;

describe("manifest reads from a layout", () => {
  it("twenty at once, from a directory and from a tar, leave no listener on the signal", async () => {
    const directory = await OciLayoutDirectory.open(quickstart);
    const tarPath = join(tempDir(), "layout.tar");
    await writeLayoutTar(tarPath, await layoutTarInput(directory));
    const tar = await OciLayoutTar.open(tarPath);
    for (const store of [directory, tar]) {
      const controller = new AbortController();
      const [root] = (await store.readIndex()).manifests;
      const reads = Array.from({ length: 20 }, () => readManifest(store, root!, { signal: controller.signal }));
      expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
      const read = await Promise.all(reads);
      expect(new Set(read.map((m) => m.descriptor.digest))).toEqual(new Set([root!.digest]));
      expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    }
  });

  it("still refuses bytes that do not match the descriptor, and stops when the run is interrupted", async () => {
    const directory = await OciLayoutDirectory.open(quickstart);
    const [root] = (await directory.readIndex()).manifests;
    const wrong = { ...root!, digest: `sha256:${"0".repeat(64)}` as Digest };
    await expect(directory.readBlobBytes({ ...root!, size: root!.size + 1 })).rejects.toBeInstanceOf(ContentVerificationError);
    await expect(readManifest(directory, wrong)).rejects.toThrow(/is not in the layout/);
    const controller = new AbortController();
    controller.abort(new Error("interrupted (Ctrl-C)"));
    await expect(readManifest(directory, root!, { signal: controller.signal })).rejects.toThrow("interrupted (Ctrl-C)");
  });
});
