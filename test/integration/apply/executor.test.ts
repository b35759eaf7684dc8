/**
 * The executor on real stores: the quickstart's OCI layout as the source,
 * an oci-layout target created by the built-in provider, skopeo as the
 * independent reader of the result.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/core/logger.js";
import { StalePlanError, assertNotStale } from "../../../src/apply/stale.js";
import { executePlan } from "../../../src/apply/executor.js";
import type { ApplyEvent } from "../../../src/apply/events.js";
import { describeCopy } from "../../../src/oci/copy/index.js";
import { OciLayoutDirectory } from "../../../src/oci/layout/index.js";
import { diff, type DesiredArtifact } from "../../../src/plan/diff.js";
import { createProvider } from "../../../src/providers/load.js";
import { createOciToolkit } from "../../../src/providers/toolkit.js";
import { Transport } from "../../../src/oci/registry/index.js";
import { inspectRaw } from "../../harness/skopeo.js";
import { tempDir } from "../../helpers/config.js";

const content = new URL("../../../examples/quickstart/content", import.meta.url).pathname;

async function setup() {
  const source = (await OciLayoutDirectory.open(content)).repository("docker.io/library/hello");
  const root = await source.resolve("1.0");
  if (!root) throw new Error("quickstart content lacks hello:1.0");
  const described = await describeCopy(source, root, { platforms: [{ os: "linux", architecture: "amd64" }], preserveDigests: false });
  const path = join(tempDir(), "mirror");
  const provider = await createProvider("oci-layout", { path }, { registryName: "local", baseDir: tempDir(), logger: silentLogger, oci: createOciToolkit({ logger: silentLogger, transport: new Transport(), env: {} }) });
  const providers = new Map([["local", provider]]);
  const item: DesiredArtifact = {
    address: 'bundle.hello.image["docker.io/library/hello:1.0"]',
    kind: "image",
    registry: "local",
    repository: "quickstart/library/hello",
    tag: "1.0",
    source: "docker.io/library/hello:1.0",
    digest: described.root.digest,
    content: described.content.map((d) => ({ digest: d.digest, size: d.size, mediaType: d.mediaType })),
    copy: { sourceDigest: root.digest, sourceMediaType: root.mediaType, sourceSize: root.size, platforms: ["linux/amd64"], preserveDigests: false },
  };
  return { source, root, described, path, providers, item };
}

describe("executor", () => {
  it("applies a plan exactly, tag last, and skopeo reads the result; a second plan is empty", async () => {
    const { source, described, path, providers, item } = await setup();
    const plan = diff({ desired: [item], observed: new Map([[item.address, { state: "absent" }]]) });
    const events: ApplyEvent[] = [];
    const summary = await executePlan(plan, { providers, openSource: async () => source, parallelism: 4, signal: new AbortController().signal, onEvent: (e) => events.push(e) });
    expect(summary).toMatchObject({ done: 1, failed: 0, notStarted: 0, interrupted: false });
    // One definition of bytes to transfer: what the plan said this change moves is what apply moved.
    const doneEvent = events.find((e) => e.type === "change-done");
    expect(plan.summary.transferBytes).toBeGreaterThan(0);
    expect(doneEvent).toMatchObject({ bytesMoved: plan.summary.transferBytes });
    expect(summary.bytesMoved).toBe(plan.summary.transferBytes);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(["apply-start", "change-start", "change-done", "apply-done"]));
    const raw = await inspectRaw(`oci:${path}:quickstart/library/hello:1.0`);
    expect(raw.digest).toBe(described.root.digest);

    const target = providers.get("local")!.repository!("quickstart/library/hello");
    const now = await target.resolve("1.0");
    const again = diff({ desired: [item], observed: new Map([[item.address, { state: "present", digest: now!.digest }]]) });
    expect(again.summary).toMatchObject({ add: 0, change: 0, destroy: 0, unchanged: 1 });
  });

  it("refuses a stale plan when the target moved after planning", async () => {
    const { source, root, providers, item } = await setup();
    const plan = diff({ desired: [item], observed: new Map() });
    // someone else writes the tag between plan and apply
    const target = providers.get("local")!.repository!("quickstart/library/hello");
    await executePlan(diff({ desired: [{ ...item, digest: root.digest, copy: { ...item.copy, preserveDigests: true } }], observed: new Map() }), {
      providers,
      openSource: async () => source,
      parallelism: 1,
      signal: new AbortController().signal,
      onEvent: () => undefined,
    });
    expect((await target.resolve("1.0"))?.digest).toBe(root.digest);
    await expect(assertNotStale(plan.changes, providers)).rejects.toThrow(StalePlanError);
    await expect(assertNotStale(plan.changes, providers)).rejects.toThrow(/planned over absent, now sha256:/);
  });

  it("reports a failing change in the summary without stopping the others, and stops on abort", async () => {
    const { source, providers, item } = await setup();
    const broken = { ...item, address: 'bundle.hello.image["docker.io/library/hello:broken"]', tag: "broken", copy: { ...item.copy, sourceDigest: `sha256:${"0".repeat(64)}` } };
    const plan = diff({ desired: [item, broken], observed: new Map() });
    const summary = await executePlan(plan, { providers, openSource: async () => source, parallelism: 2, signal: new AbortController().signal, onEvent: () => undefined });
    expect(summary.done).toBe(1);
    expect(summary.failures).toHaveLength(1);
    expect(summary.failures[0]!.address).toBe(broken.address);

    const aborted = new AbortController();
    aborted.abort();
    const none = await executePlan(plan, { providers, openSource: async () => source, parallelism: 2, signal: aborted.signal, onEvent: () => undefined });
    expect(none).toMatchObject({ done: 0, notStarted: 2, interrupted: true });
  });
});
