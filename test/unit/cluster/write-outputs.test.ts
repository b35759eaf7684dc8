import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ClusterOutputError, GENERATED_MARKER, planOutputFiles, readCurrentOutputs, writeOutputChange, type RenderedOutput } from "../../../src/cluster/index.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "airgap-outputs-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const hosts = (server: string): string => `${GENERATED_MARKER}\nserver = "${server}"\n`;

function containerd(files: Record<string, string>): RenderedOutput {
  return { index: 0, type: "containerd", path: "out/certs.d", directory: { root: "out/certs.d", pattern: "*/hosts.toml" }, files: Object.entries(files).map(([path, content]) => ({ path, content })), problems: [] };
}

async function plan(outputs: RenderedOutput[]) {
  return planOutputFiles(outputs, await readCurrentOutputs(dir, outputs));
}

describe("reading and writing output files", () => {
  it("creates directories, writes, then finds nothing to do", async () => {
    const outputs = [containerd({ "out/certs.d/docker.io/hosts.toml": hosts("https://registry-1.docker.io") })];
    const first = await plan(outputs);
    expect(first.map((c) => c.action)).toEqual(["create"]);
    expect(await writeOutputChange(dir, first[0]!)).toBe("written");
    expect(await readFile(join(dir, "out/certs.d/docker.io/hosts.toml"), "utf8")).toBe(hosts("https://registry-1.docker.io"));
    expect((await plan(outputs)).map((c) => c.action)).toEqual(["no-op"]);
    // no temp files left behind
    expect(await readdir(join(dir, "out/certs.d/docker.io"))).toEqual(["hosts.toml"]);
  });

  it("updates in place and deletes its own stale files, keeping the admin's", async () => {
    await mkdir(join(dir, "out/certs.d/docker.io"), { recursive: true });
    await mkdir(join(dir, "out/certs.d/quay.io"), { recursive: true });
    await mkdir(join(dir, "out/certs.d/ghcr.io"), { recursive: true });
    await mkdir(join(dir, "out/certs.d/empty"), { recursive: true });
    await writeFile(join(dir, "out/certs.d/docker.io/hosts.toml"), hosts("https://old"));
    await writeFile(join(dir, "out/certs.d/quay.io/hosts.toml"), hosts("https://quay.io"));
    await writeFile(join(dir, "out/certs.d/ghcr.io/hosts.toml"), 'server = "https://ghcr.io"\n');
    const changes = await plan([containerd({ "out/certs.d/docker.io/hosts.toml": hosts("https://registry-1.docker.io") })]);
    expect(changes.map((c) => [c.path, c.action])).toEqual([
      ["out/certs.d/docker.io/hosts.toml", "update"],
      ["out/certs.d/quay.io/hosts.toml", "delete"],
    ]);
    for (const change of changes) await writeOutputChange(dir, change);
    expect(await readFile(join(dir, "out/certs.d/docker.io/hosts.toml"), "utf8")).toBe(hosts("https://registry-1.docker.io"));
    expect(await readdir(join(dir, "out/certs.d/quay.io"))).toEqual([]);
    expect(await readFile(join(dir, "out/certs.d/ghcr.io/hosts.toml"), "utf8")).toBe('server = "https://ghcr.io"\n');
  });

  it("refuses to overwrite a file that changed since the plan, and leaves it as it is", async () => {
    const outputs = [containerd({ "out/certs.d/docker.io/hosts.toml": hosts("https://mirror") })];
    const [create] = await plan(outputs);
    await mkdir(join(dir, "out/certs.d/docker.io"), { recursive: true });
    await writeFile(join(dir, "out/certs.d/docker.io/hosts.toml"), "edited by hand\n");
    const error = await writeOutputChange(dir, create!).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterOutputError);
    expect(error).toMatchObject({ code: "OUTPUT_CHANGED", path: "out/certs.d/docker.io/hosts.toml" });
    expect((error as Error).message).toContain("run `airgap plan` again");
    expect(await readFile(join(dir, "out/certs.d/docker.io/hosts.toml"), "utf8")).toBe("edited by hand\n");
  });

  it("converges when a rerun finds its own change already made", async () => {
    const outputs = [containerd({ "out/certs.d/docker.io/hosts.toml": hosts("https://mirror") })];
    const [create] = await plan(outputs);
    expect(await writeOutputChange(dir, create!)).toBe("written");
    expect(await writeOutputChange(dir, create!)).toBe("unchanged");
  });

  it("refuses to read what is not a regular file where an output goes", async () => {
    await mkdir(join(dir, "out/k0s.yaml"), { recursive: true });
    const outputs: RenderedOutput[] = [{ index: 0, type: "k0s", path: "out/k0s.yaml", files: [{ path: "out/k0s.yaml", content: "x\n" }], problems: [] }];
    await expect(readCurrentOutputs(dir, outputs)).rejects.toMatchObject({ code: "OUTPUT_UNREADABLE", path: "out/k0s.yaml" });
  });
});
