/**
 * Across the gap with the built CLI: bundle on the connected side, plan and
 * apply from the bundle on the other, with the sources gone. skopeo reads
 * the bundle directly; corrupt and differential bundles are refused before
 * anything is written.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generateImages } from "../harness/images.js";
import { writeOciLayout } from "../harness/oci-layout.js";
import { copy, inspectRaw } from "../harness/skopeo.js";
import { runCli } from "./run-cli.js";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const temp = (): string => {
  const dir = mkdtempSync(join(tmpdir(), "airgap-bundle-"));
  dirs.push(dir);
  return dir;
};

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
    expect(apply.stderr).toMatch(/bad\.tar is corrupt: 1 broken entry; nothing was written to any target:\n\s+blobs\/sha256\/[0-9a-f]{64}: .*content has digest/);
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
      expect(missing.stderr).toMatch(/differential bundle and the target lacks \d+ blob\(s\)/);
      expect(missing.stderr).toMatch(/blob sha256:[0-9a-f]{64} \(\d+ bytes\) is neither in the bundle nor in registry local/);

      // far side with the old content: apply the full bundle of v1 first, then the differential converges
      writeFileSync(join(dir, "airgap.yaml"), config(["team/sub/app:v1"]));
      expect(runCli(["apply", "--from", "full.tar", "--auto-approve"], { cwd: dir }).code).toBe(0);
      writeFileSync(join(dir, "airgap.yaml"), config(["team/sub/app:v1", "team/sub/app:v2"]));
      const apply = runCli(["apply", "--from", "diff.tar", "--auto-approve"], { cwd: dir });
      expect(apply.stderr).toContain("Apply complete: 1 done, 0 failed");
      expect(runCli(["plan", "--from", "diff.tar", "--detailed-exitcode"], { cwd: dir }).code).toBe(0);
    });
  });
});
