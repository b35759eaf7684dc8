import { describe, expect, it } from "vitest";
import { diff, type DesiredItem } from "../../../src/plan/diff.js";
import type { OutputWrite, Plan } from "../../../src/plan/model.js";
import { formatBytes } from "../../../src/ui/format/bytes.js";
import { formatPlan, formatPlanSummary } from "../../../src/ui/format/plan.js";

const d = (c: string) => `sha256:${c.repeat(64)}`;
const image = (tag: string, digest: string, size: number): DesiredItem => ({
  address: `bundle.k0s.image["quay.io/k0sproject/coredns:${tag}"]`,
  kind: "image",
  registry: "mirror",
  repository: "k0s/k0sproject/coredns",
  tag,
  source: `quay.io/k0sproject/coredns:${tag}`,
  digest,
  content: [{ digest: d(tag === "1" ? "c" : "e"), size, mediaType: "application/vnd.oci.image.layer.v1.tar+gzip" }],
  copy: { sourceDigest: digest, sourceMediaType: "application/vnd.oci.image.manifest.v1+json", sourceSize: 1, preserveDigests: true },
});

describe("plan text", () => {
  it("reads like Terraform: grouped, marked, short digests, sizes, reasons, summary", () => {
    const desired = [image("1", d("a"), 1_200_000), image("2", d("b"), 340_000)];
    const plan = diff({ desired, observed: new Map([[desired[1]!.address, { state: "present", digest: d("f") }]]) });
    expect(formatPlan(plan).map((l) => l.text)).toEqual([
      "mirror: k0s/k0sproject/coredns",
      "  + :1 ← quay.io/k0sproject/coredns:1  (sha256:aaaaaaaaaaaa, 1.2 MB)  # not in the target",
      "  ~ :2 ← quay.io/k0sproject/coredns:2  (sha256:ffffffffffff → sha256:bbbbbbbbbbbb, 340 kB)  # tag points at another digest",
      "",
      "Plan: 1 to add, 1 to change, 0 to destroy. 1.5 MB to transfer, 0 B already there.",
    ]);
  });

  it("says when there is nothing to do", () => {
    const desired = [image("1", d("a"), 10)];
    const plan = diff({ desired, observed: new Map([[desired[0]!.address, { state: "present", digest: d("a") }]]) });
    expect(formatPlanSummary(plan)).toBe("No changes. 1 object up to date.");
    expect(formatPlan(plan, { showUnchanged: true })[1]?.style).toBe("dim");
  });

  it("shows a cluster settings file with the unified diff of its content", () => {
    const output: OutputWrite = {
      address: 'cluster.output["out/k0s.yaml"]',
      kind: "output",
      action: "update",
      format: "k0s",
      path: "out/k0s.yaml",
      output: 0,
      before: d("1"),
      after: d("2"),
      content: "spec:\n  images:\n    repository: mirror.local/k0s\n",
      diff: "--- out/k0s.yaml\n+++ out/k0s.yaml\n@@ -1,3 +1,3 @@\n spec:\n   images:\n-    repository: old.local/k0s\n+    repository: mirror.local/k0s\n",
      reason: "content differs",
    };
    const plan: Plan = diff({ desired: [], observed: new Map(), outputs: [output] });
    const lines = formatPlan(plan);
    expect(lines.map((l) => l.text)).toEqual([
      "cluster settings",
      "  ~ out/k0s.yaml (k0s)  (sha256:111111111111 → sha256:222222222222)  # content differs",
      "      --- out/k0s.yaml",
      "      +++ out/k0s.yaml",
      "      @@ -1,3 +1,3 @@",
      "       spec:",
      "         images:",
      "      -    repository: old.local/k0s",
      "      +    repository: mirror.local/k0s",
      "",
      "Plan: 0 to add, 1 to change, 0 to destroy. 0 B to transfer, 0 B already there.",
    ]);
    expect(lines.find((l) => l.text.includes("+    repository"))?.style).toBe("create");
    expect(lines.find((l) => l.text.includes("-    repository"))?.style).toBe("delete");
  });

  it("formats bytes in decimal units", () => {
    expect([0, 999, 1000, 1_234_567, 12_345_678_901].map(formatBytes)).toEqual(["0 B", "999 B", "1.0 kB", "1.2 MB", "12.3 GB"]);
  });
});
