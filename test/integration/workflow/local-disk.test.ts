/**
 * A local disk that is read-only or full is reported against the local path
 * with the reason, never as an internal error or as the source's failure:
 * apply into an oci-layout directory on a read-only file system, and bundle
 * -o onto a read-only and onto a full one. The disks are real tmpfs mounts
 * (the tests run as root, as containerd's tests do).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWorkspace, type Workspace } from "./workflow.js";

const content = new URL("../../../examples/quickstart/content", import.meta.url).pathname;
let ws: Workspace;
const mounts: string[] = [];

/** A fresh tmpfs at `name` in the workspace, mounted with `options`. */
function mount(name: string, options: string): string {
  const dir = join(ws.dir, name);
  mkdirSync(dir);
  execFileSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir]);
  mounts.push(dir);
  return dir;
}

beforeAll(() => {
  ws = createWorkspace("local-disk");
});
afterAll(() => {
  for (const dir of mounts) execFileSync("umount", [dir]);
  ws?.remove();
});

const config = (layout: string): string => `apiVersion: airgap/v1
sources:
  q: { type: oci-layout, path: ${content} }
registries:
  local: { provider: oci-layout, path: ${layout} }
bundles:
  hello:
    registry: local
    images:
      - { source: q, ref: library/hello:1.0 }
`;

describe("a local disk that cannot take the write", () => {
  it("plan and apply into a layout on a read-only file system name the path and say read-only, before anything is written", async () => {
    const readOnly = mount("ro", "ro,size=64k");
    ws.writeConfig(config(`${readOnly}/mirror`));
    for (const args of [["plan"], ["apply", "--auto-approve"]]) {
      const run = await ws.run(args);
      expect(run.code, args[0]).toBe(1);
      expect(run.stderr, args[0]).toContain(`cannot write ${readOnly}/mirror: the file system is read-only (${readOnly}): point \`path\` at a writable directory`);
      expect(run.stderr, args[0]).toMatch(/^error: registry local \(/m);
      expect(run.stderr, args[0]).not.toMatch(/internal error|library\/hello/);
    }
  });

  it("a layout that only gains a tag (no bytes to write) on a now read-only disk is refused at plan time too", async () => {
    const disk = mount("ro-later", "size=4m");
    ws.writeConfig(config(`${disk}/mirror`));
    expect((await ws.run(["apply", "--auto-approve"])).code).toBe(0);
    execFileSync("mount", ["-o", "remount,ro", disk]);
    // A second bundle puts the same image under another name: its blobs are in the layout already.
    ws.writeConfig(`${config(`${disk}/mirror`)}  again:
    registry: local
    path: again
    images:
      - { source: q, ref: library/hello:1.0 }
`);
    const plan = await ws.run(["plan"]);
    expect(plan.code).toBe(1);
    expect(plan.stderr).toContain(`cannot write ${disk}/mirror: the file system is read-only (${disk}/mirror): point \`path\` at a writable directory`);
    // Nothing to write, nothing refused: the same read-only layout plans the first bundle as a no-op.
    ws.writeConfig(config(`${disk}/mirror`));
    const noop = await ws.run(["plan"]);
    expect(noop.code, noop.stderr).toBe(0);
    expect(noop.stdout).toContain("No changes. 1 object up to date.");
  });

  it("a layout path that is a file (a layout tar, say) is refused at plan time, and the file is left as it was", async () => {
    const file = join(ws.dir, "layout.tar");
    writeFileSync(file, "not a directory");
    ws.writeConfig(config(file));
    for (const args of [["plan"], ["apply", "--auto-approve"]]) {
      const run = await ws.run(args);
      expect(run.code, args[0]).toBe(1);
      expect(run.stderr, args[0]).toContain(`${file} is a file, not a directory: an oci-layout target is a directory`);
      expect(run.stderr, args[0]).not.toContain("internal error");
    }
    expect(readFileSync(file, "utf8")).toBe("not a directory");
  });

  it("bundle -o onto a read-only or a full disk says so against the output path, and leaves nothing behind", async () => {
    ws.writeConfig(config("./mirror"));
    const readOnly = mount("ro-out", "ro,size=64k");
    const ro = await ws.run(["bundle", "-o", `${readOnly}/b.tar`]);
    expect(ro.code).toBe(1);
    expect(ro.stderr).toBe(`error: -o ${readOnly}/b.tar: cannot write in ${readOnly}: the file system is read-only\n`);

    const full = mount("full", "size=4k");
    const bundle = await ws.run(["bundle", "-o", `${full}/b.tar`]);
    expect(bundle.code).toBe(1);
    expect(bundle.stderr).toContain(`error: cannot write the bundle ${full}/b.tar: the disk is full; free space there or choose another path`);
    expect(bundle.stderr).not.toContain("internal error");
    expect(readdirSync(full)).toEqual([]);
  });
});
