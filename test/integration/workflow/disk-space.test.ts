/**
 * Preflight at plan time: an oci-layout target on a disk too small for the
 * bytes the plan writes is refused by `airgap plan`, naming the path and the
 * sizes, before anything is written. The small disk is a real 16 KiB tmpfs
 * (the tests run as root, as containerd's tests do).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateImages } from "../../harness/images.js";
import { useRegistryPair } from "./workflow.js";

const pair = useRegistryPair(generateImages("wf-disk"));
let small: string | undefined;

beforeAll(() => {
  const ws = pair.workspace("disk-mount");
  small = join(ws.dir, "small");
  mkdirSync(small);
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=16k", "tmpfs", small]);
});
afterAll(() => {
  if (small) execFileSync("umount", [small]);
});

describe("local disk space", () => {
  it("is checked at plan time: a layout on a disk too small for the plan is refused, naming the path, and nothing is written", async () => {
    const ws = pair.workspace("disk");
    ws.writeConfig(
      [
        "apiVersion: airgap/v1",
        "sources:",
        `  upstream: { type: registry, host: "${pair.upstream.host}", url: "${pair.upstream.url}" }`,
        "registries:",
        `  disk: { provider: oci-layout, path: "${small!}/mirror" }`,
        "bundles:",
        "  b:",
        "    registry: disk",
        "    images:",
        `      - ${pair.upstream.host}/team/sub/app:v1`,
        "",
      ].join("\n"),
    );
    const plan = await ws.run(["plan"]);
    expect(plan.code).toBe(1);
    expect(plan.stderr).toContain(`registry disk (${small!}/mirror): ${small!}/mirror has`);
    expect(plan.stderr).toMatch(/free, the plan writes .* point `path` at a larger disk/);
    expect(readdirSync(small!)).toEqual([]);
  });
});
