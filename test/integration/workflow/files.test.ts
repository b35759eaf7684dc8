/**
 * Files published (issue 11 item 5): a file from a local path and one from
 * a URL land on a real WebDAV file server (nginx) and in an OCI layout (as
 * an OCI artifact), planned as create / no-op / update like images, with the
 * bytes checked against the locked sha256 before anything becomes visible:
 * a file that changed since it was locked is refused and nothing lands at
 * its path.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNginxDav, type RunningNginx } from "../../harness/nginx.js";
import { startRegistry, type RunningRegistry } from "../../harness/registry.js";
import { inspectRaw } from "../../harness/skopeo.js";
import { createWorkspace, type Workspace } from "./workflow.js";

let nginx: RunningNginx | undefined;
let origin: RunningNginx | undefined;
let registry: RunningRegistry | undefined;
const workspaces: Workspace[] = [];

beforeAll(async () => {
  [nginx, origin, registry] = await Promise.all([startNginxDav(), startNginxDav(), startRegistry()]);
});
const afterAllStops: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all([nginx?.stop(), origin?.stop(), registry?.stop(), ...afterAllStops.map((stop) => stop())]);
  for (const ws of workspaces) ws.remove();
});

const sha = (bytes: string | Buffer) => createHash("sha256").update(bytes).digest("hex");

function config(fileserverUrl: string, files: readonly { source: string; sha256: string; registry: string; path: string }[]): string {
  return [
    "apiVersion: airgap/v1",
    "registries:",
    `  files: { provider: fileserver, url: "${fileserverUrl}" }`,
    "  disk: { provider: oci-layout, path: ./disk }",
    ...(registry ? [`  oci: { provider: oci, url: "${registry.url}" }`] : []),
    "bundles:",
    "  binaries:",
    "    files:",
    ...files.map((f) => `      - { ${f.source}, sha256: "${f.sha256}", to: { registry: ${f.registry}, path: ${f.path} } }`),
    "",
  ].join("\n");
}

describe("files", () => {
  it("land on a file server and in an OCI layout, are no-ops on a rerun, and update when their content changes", async () => {
    if (!nginx || !origin) throw new Error("nginx did not start");
    const ws = createWorkspace("files");
    workspaces.push(ws);
    mkdirSync(join(ws.dir, "bin"));
    const tool = "#!/bin/sh\necho tool 1.0\n";
    writeFileSync(join(ws.dir, "bin/tool"), tool);
    const readme = "read me\n".repeat(1000);
    writeFileSync(join(origin.root, "readme.txt"), readme);
    const files = [
      { source: "path: ./bin/tool", sha256: sha(tool), registry: "files", path: "k0s/bin/tool-1.0" },
      { source: `url: "${origin.url}/readme.txt"`, sha256: sha(readme), registry: "disk", path: "docs/readme.txt" },
    ];
    ws.writeConfig(config(nginx.url, files));
    expect((await ws.run(["lock"])).code).toBe(0);

    const plan = await ws.run(["plan"]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/files \(files\)\n\s+\+ k0s\/bin\/tool-1\.0 ← .*bin\/tool/);
    expect(plan.stdout).toMatch(/disk \(files\)\n\s+\+ docs\/readme\.txt ← .*readme\.txt/);
    expect(plan.stdout).toMatch(/Plan: 2 to add, 0 to change, 0 to destroy\./);

    const apply = await ws.run(["apply", "--auto-approve"]);
    expect(apply.stderr).toContain("Apply complete: 2 done, 0 failed");
    expect(apply.code).toBe(0);
    expect(readFileSync(join(nginx.root, "k0s/bin/tool-1.0"), "utf8")).toBe(tool);
    // In the layout: an OCI artifact whose one layer is the file, tagged with its name.
    const index = JSON.parse(readFileSync(join(ws.dir, "disk/index.json"), "utf8")) as { manifests: { digest: string; annotations?: Record<string, string> }[] };
    const entry = index.manifests.find((m) => m.annotations?.["org.opencontainers.image.ref.name"]?.endsWith("readme.txt"));
    expect(entry).toBeDefined();
    const manifest = JSON.parse(readFileSync(join(ws.dir, "disk/blobs/sha256", entry!.digest.slice(7)), "utf8")) as { artifactType: string; layers: { digest: string }[] };
    expect(manifest.artifactType).toBe("application/vnd.airgap.file.v1");
    expect(readFileSync(join(ws.dir, "disk/blobs/sha256", manifest.layers[0]!.digest.slice(7)), "utf8")).toBe(readme);

    const again = await ws.run(["plan", "--detailed-exitcode"]);
    expect(again.stdout).toMatch(/No changes\. 2 objects up to date\./);
    expect(again.code).toBe(0);

    // New content: the lock and plan see an update, apply replaces the file.
    const tool2 = "#!/bin/sh\necho tool 1.1\n";
    writeFileSync(join(ws.dir, "bin/tool"), tool2);
    files[0] = { ...files[0]!, sha256: sha(tool2) };
    ws.writeConfig(config(nginx.url, files));
    expect((await ws.run(["lock"])).code).toBe(0);
    const update = await ws.run(["plan"]);
    expect(update.stdout).toMatch(/~ k0s\/bin\/tool-1\.0/);
    expect((await ws.run(["apply", "--auto-approve"])).code).toBe(0);
    expect(readFileSync(join(nginx.root, "k0s/bin/tool-1.0"), "utf8")).toBe(tool2);
  });

  it("refuses a file whose bytes no longer match the locked sha256, and writes nothing at its path", async () => {
    if (!nginx) throw new Error("nginx did not start");
    const ws = createWorkspace("files-mismatch");
    workspaces.push(ws);
    mkdirSync(join(ws.dir, "bin"));
    const good = "good content\n";
    const locked = "locked content\n";
    writeFileSync(join(ws.dir, "bin/good"), good);
    writeFileSync(join(ws.dir, "bin/changed"), locked);
    ws.writeConfig(
      config(nginx.url, [
        { source: "path: ./bin/good", sha256: sha(good), registry: "files", path: "mm/good" },
        { source: "path: ./bin/changed", sha256: sha(locked), registry: "files", path: "mm/changed" },
      ]),
    );
    expect((await ws.run(["lock"])).code).toBe(0);
    // Same size, other bytes: the lock's cheap check (size) passes, the sha256 check at apply must not.
    writeFileSync(join(ws.dir, "bin/changed"), "LOCKED CONTENT\n");
    const apply = await ws.run(["apply", "--auto-approve"]);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toMatch(/failed bundle\.binaries\.file\["files\/mm\/changed"\]/);
    expect(apply.stderr).toMatch(/sha256/);
    expect(readFileSync(join(nginx.root, "mm/good"), "utf8")).toBe(good);
    expect(existsSync(join(nginx.root, "mm/changed"))).toBe(false);
  });

  it("land in a registry as OCI artifacts that other clients can read, tagged with the file's name", async () => {
    if (!nginx || !registry) throw new Error("servers did not start");
    const ws = createWorkspace("files-oci");
    workspaces.push(ws);
    mkdirSync(join(ws.dir, "bin"));
    const tool = "#!/bin/sh\necho k0s\n";
    writeFileSync(join(ws.dir, "bin/k0s"), tool);
    ws.writeConfig(config(nginx.url, [{ source: "path: ./bin/k0s", sha256: sha(tool), registry: "oci", path: "k0s/k0s-v1.30.0-amd64" }]));
    expect((await ws.run(["lock"])).code).toBe(0);
    const apply = await ws.run(["apply", "--auto-approve"]);
    expect(apply.stderr).toContain("Apply complete: 1 done, 0 failed");
    const raw = await inspectRaw(`docker://${registry.host}/k0s:k0s-v1.30.0-amd64`, { tlsVerify: false });
    const manifest = JSON.parse(raw.bytes.toString("utf8")) as { artifactType: string; layers: { digest: string; annotations: Record<string, string> }[] };
    expect(manifest.artifactType).toBe("application/vnd.airgap.file.v1");
    expect(manifest.layers).toEqual([expect.objectContaining({ digest: `sha256:${sha(tool)}`, annotations: { "org.opencontainers.image.title": "k0s-v1.30.0-amd64" } })]);
    const blob = await registry.fetch(`/v2/k0s/blobs/sha256:${sha(tool)}`);
    expect(await blob.text()).toBe(tool);
    const again = await ws.run(["plan", "--detailed-exitcode"]);
    expect(again.stdout).toMatch(/No changes\. 1 object up to date\./);
    expect(again.code).toBe(0);
  });

  it("are pruned only when asked: a file airgap published that no bundle wants any more is deleted, a file it did not publish is kept", async () => {
    // Listing a directory for prune needs nginx's JSON autoindex.
    const nginx = await startNginxDav({ autoindexFormat: "json" });
    afterAllStops.push(() => nginx.stop());
    const ws = createWorkspace("files-prune");
    workspaces.push(ws);
    mkdirSync(join(ws.dir, "bin"));
    const a = "a\n";
    const b = "b\n";
    writeFileSync(join(ws.dir, "bin/a"), a);
    writeFileSync(join(ws.dir, "bin/b"), b);
    const both = [
      { source: "path: ./bin/a", sha256: sha(a), registry: "files", path: "pr/a" },
      { source: "path: ./bin/b", sha256: sha(b), registry: "files", path: "pr/b" },
    ];
    const withPrune = (text: string, prune: boolean) => text.replace("  binaries:\n", `  binaries:\n    prune: ${String(prune)}\n`);
    ws.writeConfig(withPrune(config(nginx.url, both), true));
    expect((await ws.run(["lock"])).code).toBe(0);
    expect((await ws.run(["apply", "--auto-approve"])).code).toBe(0);
    writeFileSync(join(nginx.root, "pr/by-hand.txt"), "not airgap's\n");

    // Without prune, dropping b from the config deletes nothing.
    ws.writeConfig(withPrune(config(nginx.url, both.slice(0, 1)), false));
    expect((await ws.run(["lock"])).code).toBe(0);
    expect((await ws.run(["plan", "--detailed-exitcode"])).code).toBe(0);

    ws.writeConfig(withPrune(config(nginx.url, both.slice(0, 1)), true));
    const plan = await ws.run(["plan"]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/- pr\/b/);
    expect(plan.stdout).toMatch(/Plan: 0 to add, 0 to change, 1 to destroy\./);
    const apply = await ws.run(["apply", "--auto-approve"]);
    expect(apply.code).toBe(0);
    expect(existsSync(join(nginx.root, "pr/b"))).toBe(false);
    expect(readFileSync(join(nginx.root, "pr/a"), "utf8")).toBe(a);
    expect(readFileSync(join(nginx.root, "pr/by-hand.txt"), "utf8")).toBe("not airgap's\n");
  });
});
