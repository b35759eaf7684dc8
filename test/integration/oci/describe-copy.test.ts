/**
 * describeCopy predicts, without writing, exactly the root digest and the
 * content copyGraph then produces in a real registry.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeCopy } from "../../../src/oci/copy/describe-graph.js";
import { copyGraph } from "../../../src/oci/copy/index.js";
import { RegistryClient, RegistryRepository, Transport } from "../../../src/oci/registry/index.js";
import { generateImages, pushImages } from "../../harness/images.js";
import { startRegistry, type RunningRegistry } from "../../harness/registry.js";

let registry: RunningRegistry;
let client: RegistryClient;
const transport = new Transport();
const images = generateImages("describe");

beforeAll(async () => {
  registry = await startRegistry({});
  await pushImages(registry, images);
  client = new RegistryClient({ url: registry.url, credentials: async () => undefined, transport });
});
afterAll(async () => {
  await registry?.stop();
  await transport.close();
});

describe("describeCopy", () => {
  it("predicts the filtered root digest and content of a multi-arch copy", async () => {
    const image = images.images.find((i) => i.repository === "team/sub/app" && i.root.kind === "index");
    if (!image) throw new Error("generator has no multi-arch image under team/sub/app");
    const source = new RegistryRepository(client, image.repository);
    const root = await source.resolve(image.tags[0]!);
    if (!root) throw new Error("pushed image not found");
    const platforms = [{ os: "linux", architecture: "arm64" }];
    const predicted = await describeCopy(source, root, { platforms, preserveDigests: false });
    expect(predicted.root.digest).not.toBe(root.digest);

    const target = new RegistryRepository(client, "described/app");
    const copied = await copyGraph(source, target, root, { platforms, preserveDigests: false });
    expect(copied.root.digest).toBe(predicted.root.digest);
    for (const d of predicted.content) expect(await target.exists(d)).toBe(true);

    const whole = await describeCopy(source, root, { platforms, preserveDigests: true });
    expect(whole.root.digest).toBe(root.digest);
    expect(whole.content.length).toBeGreaterThan(predicted.content.length);
  });
});
