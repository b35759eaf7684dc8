/**
 * A copy told what the target lacks (apply passes what its plan saw missing)
 * writes it without asking first: every blob goes up in POST + one PUT and
 * the manifest in one PUT, with no HEAD before them (issue 14: one round trip
 * less per blob). Without the hint the same copy checks each one first.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Descriptor } from "../../../src/core/oci-types.js";
import { RegistryClient, RegistryRepository, Transport, anonymousCredentials } from "../../../src/oci/registry/index.js";
import { copyGraph } from "../../../src/oci/copy/index.js";
import { startCountingProxy, type CountingProxy } from "../../harness/counting-proxy.js";
import { generateImages, pushImages } from "../../harness/images.js";
import { startRegistry, type RunningRegistry } from "../../harness/registry.js";

const images = generateImages("copy-known-absent", [{ repository: "absent/app", tags: ["1"], format: "oci", layers: 2, sharedBase: false }]);
const image = images.images[0]!;

let source: RunningRegistry;
let target: RunningRegistry;
let targetProxy: CountingProxy;

beforeAll(async () => {
  [source, target] = await Promise.all([startRegistry(), startRegistry()]);
  await pushImages(source, images);
  targetProxy = await startCountingProxy(target);
});
afterAll(async () => {
  await targetProxy?.stop();
  await Promise.all([source?.stop(), target?.stop()]);
});

async function copyInto(repository: string, knownAbsent: ((d: Descriptor) => boolean) | undefined): Promise<Record<string, number>> {
  if (image.root.kind !== "manifest") throw new Error("expected a single manifest");
  const root = { mediaType: image.root.mediaType, digest: image.root.digest, size: image.root.size } as Descriptor;
  const transport = new Transport();
  try {
    const from = new RegistryClient({ url: source.url, credentials: anonymousCredentials, transport });
    const to = new RegistryClient({ url: targetProxy.url, credentials: anonymousCredentials, transport });
    targetProxy.reset();
    await copyGraph(new RegistryRepository(from, image.repository), new RegistryRepository(to, repository), root, { preserveDigests: true, ...(knownAbsent ? { knownAbsent } : {}) });
    return targetProxy.counts((r) => r.path !== "/v2/");
  } finally {
    await transport.close();
  }
}

describe("copyGraph with knownAbsent", () => {
  it("writes what the caller saw missing without a HEAD first: each blob in POST + one PUT", async () => {
    if (image.root.kind !== "manifest") throw new Error("expected a single manifest");
    const blobs = 1 + image.root.layers.length;
    expect(await copyInto("hinted/app", () => true)).toEqual({ "POST uploads": blobs, "PUT uploads": blobs, "PUT manifests": 1 });
  });

  it("without the hint, checks each blob and the manifest first", async () => {
    if (image.root.kind !== "manifest") throw new Error("expected a single manifest");
    const blobs = 1 + image.root.layers.length;
    expect(await copyInto("plain/app", undefined)).toEqual({ "HEAD manifests": 1, "HEAD blobs": blobs, "POST uploads": blobs, "PUT uploads": blobs, "PUT manifests": 1 });
  });
});
