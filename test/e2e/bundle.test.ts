/**
 * Across the gap with the built CLI: bundle on the connected side, plan and
 * apply from the bundle on the other, with the sources gone. skopeo reads
 * the bundle directly; corrupt and differential bundles are refused before
 * anything is written.
 */
import { createHash } from "node:crypto";
import { cpSync, createReadStream, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { extract } from "tar-stream";
import { afterAll, describe, expect, it } from "vitest";
import { generateImages } from "../harness/images.js";
import { writeOciLayout } from "../harness/oci-layout.js";
import { copy, inspectRaw } from "../harness/skopeo.js";
import { ustar, type TarEntry } from "../harness/tar.js";
import { runCli } from "./run-cli.js";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const temp = (): string => {
  const dir = mkdtempSync(join(tmpdir(), "airgap-bundle-"));
  dirs.push(dir);
  return dir;
};

/** The entries of a tar, read with tar-stream (an independent decoder). */
async function tarEntries(path: string): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  const ex = extract();
  ex.on("entry", (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: unknown) => chunks.push(c as Buffer));
    stream.on("end", () => {
      entries.push(header.type === "directory" ? { name: header.name, type: "dir" } : { name: header.name, type: "file", data: Buffer.concat(chunks) });
      next();
    });
  });
  await pipeline(createReadStream(path), ex);
  return entries;
}

/** Writes a copy of the tar at `from` to `to` with `edit` applied to each file entry (undefined drops it). */
async function rewriteTar(from: string, to: string, edit: (name: string, data: Buffer) => Buffer | undefined): Promise<void> {
  const entries = (await tarEntries(from)).flatMap((e): TarEntry[] => {
    if (e.type === "dir") return [e];
    const data = edit(e.name, Buffer.from(e.data ?? []));
    return data === undefined ? [] : [{ ...e, data }];
  });
  writeFileSync(to, ustar(entries));
}

/** Every blob entry of a bundle tar, by digest. */
async function bundleBlobs(path: string): Promise<Set<string>> {
  return new Set((await tarEntries(path)).flatMap((e) => (e.type === "file" && e.name.startsWith("blobs/sha256/") ? [`sha256:${e.name.slice("blobs/sha256/".length)}`] : [])));
}

/**
 * What the far side is told must be doable there: no hint may send it to a
 * command that needs the upstream, unless it says to run it on the connected side.
 */
function expectOfflineHints(stderr: string): void {
  expect(stderr).not.toMatch(/lock --update|--refresh-lock|make it from this configuration/);
  for (const line of stderr.split("\n")) {
    if (/`airgap (lock|bundle)/.test(line)) expect(line).toContain("on the connected side");
    if (/`airgap plan/.test(line)) expect(line).toMatch(/`airgap plan --from /);
  }
}

function quickstart(): string {
  const dir = temp();
  cpSync(new URL("../../examples/quickstart/", import.meta.url).pathname, dir, { recursive: true, filter: (src) => !/mirror|airgap\.lock/.test(src) });
  return dir;
}

describe("airgap bundle", () => {
  it("writes a deterministic OCI-layout tar that skopeo reads, with the config and lock", async () => {
    const dir = quickstart();
    expect(runCli(["bundle", "-o", "a.tar"], { cwd: dir }).code).toBe(0);
    expect(runCli(["bundle", "-o", "b.tar"], { cwd: dir }).code).toBe(0);
    expect(readFileSync(join(dir, "a.tar")).equals(readFileSync(join(dir, "b.tar")))).toBe(true);

    const raw = await inspectRaw(`oci-archive:${join(dir, "a.tar")}:docker.io/library/hello:1.0`);
    const source = await inspectRaw(`oci:${join(dir, "content")}:docker.io/library/hello:1.0`);
    expect(raw.digest).toBe(source.digest);
    await copy(`oci-archive:${join(dir, "a.tar")}:docker.io/library/hello:1.0`, `oci:${join(dir, "copied")}:hello`, { all: true });
    expect(existsSync(join(dir, "copied", "index.json"))).toBe(true);
  });

  it("removes literal secrets from the config it carries, and keeps ${VAR} references", () => {
    const dir = quickstart();
    const yaml = readFileSync(join(dir, "airgap.yaml"), "utf8").replace(
      "    path: ./content",
      '    path: ./content\n  upstream:\n    type: registry\n    host: registry.example.com\n    credentials: { username: bob, password: "hunter2-literal" }\n  other:\n    type: registry\n    host: other.example.com\n    credentials: { username: bob, password: "${OTHER_PASSWORD:-}" }',
    );
    writeFileSync(join(dir, "airgap.yaml"), yaml);
    expect(runCli(["bundle", "-o", "site.tar"], { cwd: dir }).code).toBe(0);
    const tar = readFileSync(join(dir, "site.tar")).toString("latin1");
    expect(tar).not.toContain("hunter2-literal");
    expect(tar).toContain("(removed by airgap bundle)");
    expect(tar).toContain("${OTHER_PASSWORD:-}");
  });

  it("plan --from and apply --from use the bundle as the only source", async () => {
    const dir = quickstart();
    expect(runCli(["bundle", "-o", "site.tar"], { cwd: dir }).code).toBe(0);
    renameSync(join(dir, "content"), join(dir, "content.gone"));
    const plan = runCli(["plan", "--from", "site.tar", "--detailed-exitcode"], { cwd: dir });
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain("+ :1.0 ← docker.io/library/hello:1.0");
    const apply = runCli(["apply", "--from", "site.tar", "--auto-approve"], { cwd: dir });
    expect(apply.stderr).toContain("Apply complete: 2 done, 0 failed");
    expect(apply.code).toBe(0);
    const landed = await inspectRaw(`oci:${join(dir, "mirror")}:quickstart/library/hello:1.0`);
    expect(landed.digest).toMatch(/^sha256:b2dc1b02/);
    expect(runCli(["plan", "--from", "site.tar", "--detailed-exitcode"], { cwd: dir }).code).toBe(0);
  });

  it("refuses a corrupt bundle, naming the broken blob, before writing anything", () => {
    const dir = quickstart();
    expect(runCli(["bundle", "-o", "site.tar"], { cwd: dir }).code).toBe(0);
    const bytes = readFileSync(join(dir, "site.tar"));
    const layer = bytes.indexOf(Buffer.from([0x1f, 0x8b]));
    bytes[layer + 20] = bytes[layer + 20]! ^ 0xff;
    writeFileSync(join(dir, "bad.tar"), bytes);
    const apply = runCli(["apply", "--from", "bad.tar", "--auto-approve"], { cwd: dir });
    expect(apply.code).toBe(1);
    expect(apply.stderr).toMatch(/bad\.tar is damaged: 1 broken entry; nothing was written to any target; .*:\n\s+blobs\/sha256\/[0-9a-f]{64}: .*content has digest/);
    expectOfflineHints(apply.stderr);
    expect(existsSync(join(dir, "mirror"))).toBe(false);

    writeFileSync(join(dir, "short.tar"), bytes.subarray(0, Math.floor(bytes.length / 2)));
    const truncated = runCli(["plan", "--from", "short.tar"], { cwd: dir });
    expect(truncated.code).toBe(1);
    expect(truncated.stderr).toMatch(/short\.tar is not a usable bundle: .*(truncated|ends)/i);
  });

  it("--since writes a differential bundle: it converges on a target that has the old content, and plan lists what is missing on one that does not", () => {
    const dir = temp();
    const images = generateImages("differential");
    return writeOciLayout(join(dir, "content"), images).then(() => {
      const config = (refs: string[]) => `apiVersion: airgap/v1
sources:
  content: { type: oci-layout, path: ./content }
registries:
  local: { provider: oci-layout, path: ./mirror }
bundles:
  apps:
    registry: local
    platforms: [linux/amd64]
    images:
${refs.map((r) => `      - { source: content, ref: "${r}" }`).join("\n")}
`;
      writeFileSync(join(dir, "airgap.yaml"), config(["team/sub/app:v1"]));
      expect(runCli(["lock"], { cwd: dir }).code).toBe(0);
      expect(runCli(["bundle", "-o", "full.tar"], { cwd: dir }).code).toBe(0);
      cpSync(join(dir, "airgap.lock"), join(dir, "old.lock"));

      writeFileSync(join(dir, "airgap.yaml"), config(["team/sub/app:v1", "team/sub/app:v2"]));
      expect(runCli(["lock"], { cwd: dir }).code).toBe(0);
      const diffRun = runCli(["bundle", "-o", "diff.tar", "--since", "old.lock"], { cwd: dir });
      expect(diffRun.code).toBe(0);
      expect(diffRun.stderr).toMatch(/blob\(s\) left out that the far side must already have/);
      expect(readFileSync(join(dir, "diff.tar")).length).toBeLessThan(readFileSync(join(dir, "full.tar")).length * 2);

      // far side without the old content: plan names what is missing
      renameSync(join(dir, "content"), join(dir, "content.gone"));
      const missing = runCli(["plan", "--from", "diff.tar"], { cwd: dir });
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/diff\.tar is a differential bundle \(made with --since\) and local lacks \d+ blob\(s\) it left out: apply the bundle it builds on first/);
      expect(missing.stderr).toMatch(/blob sha256:[0-9a-f]{64} \(\d+ bytes\) was left out of the bundle \(--since\) and is not in registry local/);
      expectOfflineHints(missing.stderr);

      // far side with the old content: apply the full bundle of v1 first, then the differential converges
      writeFileSync(join(dir, "airgap.yaml"), config(["team/sub/app:v1"]));
      expect(runCli(["apply", "--from", "full.tar", "--auto-approve"], { cwd: dir }).code).toBe(0);
      writeFileSync(join(dir, "airgap.yaml"), config(["team/sub/app:v1", "team/sub/app:v2"]));
      const apply = runCli(["apply", "--from", "diff.tar", "--auto-approve"], { cwd: dir });
      expect(apply.stderr).toContain("Apply complete: 1 done, 0 failed");
      expect(runCli(["plan", "--from", "diff.tar", "--detailed-exitcode"], { cwd: dir }).code).toBe(0);
    });
  });
  it("calls a FULL bundle with a blob missing or cut short damaged, naming the blob, never differential", async () => {
    const dir = quickstart();
    expect(runCli(["bundle", "-o", "site.tar"], { cwd: dir }).code).toBe(0);
    renameSync(join(dir, "content"), join(dir, "content.gone"));
    const layer = (await tarEntries(join(dir, "site.tar"))).find((e) => e.name.startsWith("blobs/sha256/") && e.data?.[0] === 0x1f && e.data[1] === 0x8b);
    if (!layer?.data) throw new Error("the bundle has no gzip layer");
    const size = layer.data.length;

    await rewriteTar(join(dir, "site.tar"), join(dir, "missing.tar"), (name, data) => (name === layer.name ? undefined : data));
    for (const command of ["plan", "apply"]) {
      const run = runCli([command, "--from", "missing.tar", ...(command === "apply" ? ["--auto-approve"] : [])], { cwd: dir });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/missing\.tar is damaged: 1 blob\(s\) the plan needs are missing or cut short; nothing was written; copy it across again/);
      expect(run.stderr).toContain(`${layer.name} (${size} bytes) is missing from the bundle`);
      expect(run.stderr).not.toMatch(/differential/);
      expectOfflineHints(run.stderr);
    }

    await rewriteTar(join(dir, "site.tar"), join(dir, "cut.tar"), (name, data) => (name === layer.name ? data.subarray(0, size >> 1) : data));
    const cut = runCli(["apply", "--from", "cut.tar", "--auto-approve"], { cwd: dir });
    expect(cut.code).toBe(1);
    expect(cut.stderr).toMatch(/cut\.tar is damaged: 1 blob\(s\) the plan needs are missing or cut short/);
    expect(cut.stderr).toContain(`${layer.name} is ${size >> 1} bytes in the bundle, but ${size} are expected (cut short)`);
    expect(cut.stderr).not.toMatch(/differential/);
    expectOfflineHints(cut.stderr);
    expect(existsSync(join(dir, "mirror"))).toBe(false);
  });

  it("says what to do on the connected side, never a command that needs the upstream, when the bundle cannot serve the plan", async () => {
    const dir = quickstart();
    expect(runCli(["bundle", "-o", "site.tar"], { cwd: dir }).code).toBe(0);
    renameSync(join(dir, "content"), join(dir, "content.gone"));
    const index = JSON.parse(Buffer.from((await tarEntries(join(dir, "site.tar"))).find((e) => e.name === "index.json")!.data!).toString("utf8")) as { manifests: { digest: string }[] };
    const root = `blobs/sha256/${index.manifests[0]!.digest.slice("sha256:".length)}`;

    // the root manifest gone from the bundle: damaged, not "airgap lock --update"
    await rewriteTar(join(dir, "site.tar"), join(dir, "rootless.tar"), (name, data) => (name === root ? undefined : data));
    const rootless = runCli(["plan", "--from", "rootless.tar"], { cwd: dir });
    expect(rootless.code).toBe(1);
    expect(rootless.stderr).toMatch(/rootless\.tar is damaged: it lacks the manifest sha256:[0-9a-f]{64} of .*hello:1\.0/);
    expectOfflineHints(rootless.stderr);

    // its lock unreadable: damaged, not "delete it and run airgap lock"
    await rewriteTar(join(dir, "site.tar"), join(dir, "lockless.tar"), (name, data) => (name === "airgap.lock" ? data.subarray(0, 40) : data));
    const lockless = runCli(["plan", "--from", "lockless.tar"], { cwd: dir });
    expect(lockless.code).toBe(1);
    expect(lockless.stderr).toMatch(/lockless\.tar is damaged: the airgap\.lock it carries cannot be read; copy it across again/);
    expectOfflineHints(lockless.stderr);

    // a saved plan gone stale: plan again from the bundle
    expect(runCli(["plan", "--from", "site.tar", "-out", "plan.json"], { cwd: dir }).code).toBe(0);
    expect(runCli(["apply", "--from", "site.tar", "--auto-approve"], { cwd: dir }).code).toBe(0);
    const stale = runCli(["apply", "--from", "site.tar", "plan.json"], { cwd: dir });
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain("Run `airgap plan --from site.tar` again");
    expectOfflineHints(stale.stderr);

    // the configuration asks for more than the bundle carries
    writeFileSync(join(dir, "airgap.yaml"), readFileSync(join(dir, "airgap.yaml"), "utf8").replace("        ref: library/hello:1.0", "        ref: library/hello:1.0\n      - source: quickstart\n        ref: library/hello:2.0"));
    const more = runCli(["plan", "--from", "site.tar"], { cwd: dir });
    expect(more.code).toBe(1);
    expect(more.stderr).toMatch(/site\.tar does not carry everything airgap\.yaml asks for: limit the plan to what it carries with --target; or, on the connected side, run `airgap lock` and `airgap bundle`/);
    expectOfflineHints(more.stderr);
  });

  it("--since OLD.lock leaves out files that did not change and carries new ones; --since a differential bundle works too", async () => {
    const dir = temp();
    await writeOciLayout(join(dir, "content"), generateImages("since-files"));
    writeFileSync(join(dir, "k0s-bin"), "an unchanged binary\n".repeat(5000));
    writeFileSync(join(dir, "notes.txt"), "new in the second release\n");
    const sha = (file: string) => `sha256:${createHash("sha256").update(readFileSync(join(dir, file))).digest("hex")}`;
    const config = (files: string[]) => `apiVersion: airgap/v1
sources:
  content: { type: oci-layout, path: ./content }
registries:
  local: { provider: oci-layout, path: ./mirror }
  disk: { provider: oci-layout, path: ./files }
bundles:
  apps:
    registry: local
    platforms: [linux/amd64]
    images:
      - { source: content, ref: "team/sub/app:v1" }
    files:
${files.map((f) => `      - { path: ./${f}, to: { registry: disk, path: bin/${f} } }`).join("\n")}
`;
    writeFileSync(join(dir, "airgap.yaml"), config(["k0s-bin"]));
    expect(runCli(["lock"], { cwd: dir }).code).toBe(0);
    expect(runCli(["bundle", "-o", "full.tar"], { cwd: dir }).code).toBe(0);
    cpSync(join(dir, "airgap.lock"), join(dir, "old.lock"));
    expect(await bundleBlobs(join(dir, "full.tar"))).toContain(sha("k0s-bin"));

    writeFileSync(join(dir, "airgap.yaml"), config(["k0s-bin", "notes.txt"]));
    expect(runCli(["lock"], { cwd: dir }).code).toBe(0);
    const diffRun = runCli(["bundle", "-o", "diff.tar", "--since", "old.lock"], { cwd: dir });
    expect(diffRun.code).toBe(0);
    const carried = await bundleBlobs(join(dir, "diff.tar"));
    expect(carried).not.toContain(sha("k0s-bin"));
    expect(carried).toContain(sha("notes.txt"));
    const record = JSON.parse(Buffer.from((await tarEntries(join(dir, "diff.tar"))).find((e) => e.name === "airgap-bundle.json")!.data!).toString("utf8")) as { leftOut: string[] };
    expect(record.leftOut).toContain(sha("k0s-bin"));
    expect(record.leftOut).not.toContain(sha("notes.txt"));
    expect(JSON.parse(Buffer.from((await tarEntries(join(dir, "full.tar"))).find((e) => e.name === "airgap-bundle.json")!.data!).toString("utf8"))).toEqual({ formatVersion: 1, leftOut: [] });

    // a bundle made --since the differential one builds on everything before it
    const chained = runCli(["bundle", "-o", "next.tar", "--since", "diff.tar"], { cwd: dir });
    expect(chained.stderr).not.toMatch(/error/);
    expect(chained.code).toBe(0);
    expect(await bundleBlobs(join(dir, "next.tar"))).not.toContain(sha("k0s-bin"));

    // far side with nothing yet: the file left out is named
    renameSync(join(dir, "content"), join(dir, "content.gone"));
    const lacking = runCli(["plan", "--from", "diff.tar"], { cwd: dir });
    expect(lacking.code).toBe(1);
    expect(lacking.stderr).toContain(`bundle.apps.file["disk/bin/k0s-bin"]: blob ${sha("k0s-bin")}`);
    expectOfflineHints(lacking.stderr);

    // far side with the first release: the second converges
    writeFileSync(join(dir, "airgap.yaml"), config(["k0s-bin"]));
    expect(runCli(["apply", "--from", "full.tar", "--auto-approve"], { cwd: dir }).code).toBe(0);
    writeFileSync(join(dir, "airgap.yaml"), config(["k0s-bin", "notes.txt"]));
    const apply = runCli(["apply", "--from", "diff.tar", "--auto-approve"], { cwd: dir });
    expect(apply.stderr).toContain("Apply complete: 1 done, 0 failed");
    expect(apply.code).toBe(0);
    expect(runCli(["plan", "--from", "diff.tar", "--detailed-exitcode"], { cwd: dir }).code).toBe(0);
  });
});
