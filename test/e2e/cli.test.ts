import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CLI, runCli } from "./run-cli.js";

const dirs: string[] = [];
const temp = (): string => {
  const dir = mkdtempSync(join(tmpdir(), "airgap-e2e-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const root = new URL("../../", import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };

describe("the built airgap CLI", () => {
  it("prints help with the commands and exit codes", () => {
    const run = runCli(["--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Usage: airgap <command>/);
    expect(run.stdout).toMatch(/validate/);
    expect(run.stdout).toMatch(/Exit codes:/);
    expect(runCli(["validate", "--help"]).stdout).toMatch(/Usage: airgap validate/);
  });

  it("prints its version from package.json", () => {
    expect(runCli(["--version"]).stdout).toBe(`airgap ${pkg.version}\n`);
    expect(JSON.parse(runCli(["version", "--json"]).stdout)).toMatchObject({ version: pkg.version });
  });

  it("explains an unknown command and an unknown flag, with exit 1", () => {
    const command = runCli(["valdate"]);
    expect(command.code).toBe(1);
    expect(command.stderr).toMatch(/unknown command `valdate`; did you mean `validate`\?/);
    const flag = runCli(["validate", "--bogus"]);
    expect(flag.code).toBe(1);
    expect(flag.stderr).toMatch(/validate: unknown option '--bogus'/);
  });

  it("init writes a starter file that validates, and never overwrites without --force", () => {
    const dir = temp();
    const first = runCli(["init"], { cwd: dir });
    expect(first.code).toBe(0);
    const written = readFileSync(join(dir, "airgap.yaml"), "utf8");
    expect(written).toMatch(/^# yaml-language-server: \$schema=\S+airgap\.schema\.json\n/);
    const schemaPath = /\$schema=(\S+)/.exec(written)![1]!;
    expect(() => readFileSync(join(dir, schemaPath))).not.toThrow();
    expect(runCli(["validate"], { cwd: dir }).code).toBe(0);

    writeFileSync(join(dir, "airgap.yaml"), "apiVersion: airgap/v1\n# mine\n");
    const again = runCli(["init"], { cwd: dir });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists; use --force/);
    expect(readFileSync(join(dir, "airgap.yaml"), "utf8")).toBe("apiVersion: airgap/v1\n# mine\n");
    expect(runCli(["init", "--force"], { cwd: dir }).code).toBe(0);
    expect(readFileSync(join(dir, "airgap.yaml"), "utf8")).toBe(written);
  });

  it("validate: problems on stderr as FILE:LINE:COL, nothing on stdout, exit 1", () => {
    const dir = temp();
    writeFileSync(join(dir, "airgap.yaml"), "apiVersion: airgap/v1\nbundles:\n  b: { registry: nope, images: [nginx] }\n");
    const run = runCli(["validate"], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^airgap\.yaml:3:18: error: bundle `b` names registry `nope`/m);
    const json = runCli(["validate", "--json", "-f", join(dir, "airgap.yaml")]);
    expect(json.code).toBe(1);
    const parsed = JSON.parse(json.stdout) as { valid: boolean; diagnostics: { line: number; column: number; pointer: string }[] };
    expect(parsed.valid).toBe(false);
    expect(parsed.diagnostics[0]).toMatchObject({ line: 3, column: 18, pointer: "/bundles/b/registry" });
  });

  it("the built CLI's precompiled validator reports exactly what the run-time compiled one does", async () => {
    const { loadConfig } = await import("../../src/config/load.js");
    const { createProviderCatalog } = await import("../../src/providers/catalog.js");
    const { formatDiagnostic } = await import("../../src/core/diagnostics.js");
    const dir = temp();
    const file = join(dir, "airgap.yaml");
    writeFileSync(file, `apiVersion: airgap/v1
registires: {}
sources: { up: { type: registry, hots: x }, b: { type: regstry, host: a } }
registries:
  h: { provider: harbor, url: "https://x", projcts: {} }
  o: { provider: oci }
bundles:
  p:
    registry: hx
    platforms: [linux/amd65]
    images: [5, { ref: x, tags: { semvr: "1" } }, "NGINX:1"]
cluster: { registry: h, outputs: [{ type: k0s, path: x, pullPolicy: never }, { type: containerd, path: d, bogus: 1 }] }
`);
    const inProcess = await loadConfig({ file, displayName: "airgap.yaml", env: {}, providers: createProviderCatalog(dir) });
    const expected = inProcess.diagnostics.map((d) => `${formatDiagnostic(d)}\n`).join("");
    expect(inProcess.diagnostics.length).toBeGreaterThan(10);
    const run = runCli(["validate", "--no-color"], { cwd: dir });
    expect(run.stderr).toBe(`${expected}Invalid: ${inProcess.diagnostics.length} errors.\n`);
  });

  it("validate accepts the quickstart example with no environment at all", () => {
    const run = runCli(["validate", "-f", "examples/quickstart/airgap.yaml"], { cwd: root });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Valid: 1 source, 1 registry, 1 bundle/);
  });

  it("validates every shipped example in a clean environment: an unset ${VAR} is a warning, not an error", () => {
    const files = [...readdirSync(join(root, "examples")).map((name) => `examples/${name}/airgap.yaml`), "test/fixtures/canonical/airgap.yaml"];
    for (const file of files) {
      const run = runCli(["validate", "--no-color", "-f", file], { cwd: root, env: {} });
      expect(run.stdout, file).toMatch(/^Valid: /);
      expect(run.code, file).toBe(0);
      for (const line of run.stderr.split("\n").filter(Boolean)) {
        expect(line, file).toMatch(new RegExp(`^${file.replace(/[.]/g, "\\.")}:\\d+:\\d+: warning: environment variable \\w+ is not set: validate treats this value as unknown`));
      }
    }
  });

  it("shows a ${VAR} in a URL as the data it is, and refuses credentials in a URL without echoing them", () => {
    const dir = temp();
    writeFileSync(join(dir, "airgap.yaml"), 'apiVersion: airgap/v1\nregistries:\n  m: { provider: oci, url: "${URL}" }\n  n:\n    provider: oci\n    url: "https://robot:${PASS}@registry.example.com"\n');
    const run = runCli(["validate", "--no-color"], { cwd: dir, env: { URL: "not-a-url", PASS: "hunter2-pass" } });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('airgap.yaml:3:28: error: "not-a-url" is not valid here.');
    expect(run.stderr).toContain('airgap.yaml:6:10: error: "https://redacted@registry.example.com" holds credentials before "@"');
    expect(run.stderr).toContain("give them in `registries.n.credentials`");
    expect(run.stderr + run.stdout).not.toContain("hunter2");
  });

  it("refuses a lock written by a newer airgap and never overwrites it (lock, lock --update, bundle, plan)", () => {
    const dir = temp();
    writeFileSync(join(dir, "airgap.yaml"), "apiVersion: airgap/v1\nregistries:\n  disk: { provider: oci-layout, path: ./out }\nbundles:\n  b: { registry: disk }\n");
    const newer = `${JSON.stringify({ lockVersion: 2, generated: "2030-01-01T00:00:00.000Z", images: [], charts: [], files: [], future: {} }, null, 2)}\n`;
    writeFileSync(join(dir, "airgap.lock"), newer);
    for (const args of [["lock"], ["lock", "--update"], ["bundle", "-o", "b.tar"], ["plan"]]) {
      const run = runCli(args, { cwd: dir });
      expect(run.code, args.join(" ")).toBe(1);
      expect(run.stderr, args.join(" ")).toContain("airgap.lock: was written by a newer airgap (lockVersion 2); this airgap reads lockVersion 1: upgrade airgap");
      expect(run.stderr).not.toContain("internal error");
      expect(readFileSync(join(dir, "airgap.lock"), "utf8")).toBe(newer);
    }
  });

  it("credentials in a URL stop every command at validate time: no bundle is written, nothing echoes them", () => {
    const dir = temp();
    writeFileSync(join(dir, "airgap.yaml"), 'apiVersion: airgap/v1\nsources:\n  charts: { type: helm, url: "https://reader:${HELM_PASSWORD}@charts.example.com/stable" }\nregistries:\n  disk: { provider: oci-layout, path: ./out }\nbundles:\n  b: { registry: disk }\n');
    for (const args of [["validate"], ["lock"], ["bundle", "-o", "b.tar"]]) {
      const run = runCli([...args, "--no-color"], { cwd: dir, env: { HELM_PASSWORD: "hunter2-pass" } });
      expect(run.code, args.join(" ")).toBe(1);
      expect(run.stderr).toContain('airgap.yaml:3:30: error: "https://redacted@charts.example.com/stable" holds credentials before "@"');
      expect(run.stderr).toContain("give them in `sources.charts.credentials`");
      expect(run.stderr + run.stdout).not.toContain("hunter2");
    }
    expect(readdirSync(dir).sort()).toEqual(["airgap.yaml"]);
  });

  it("--version and validate load no terminal UI and no network code", () => {
    const trace = join(temp(), "imports.txt");
    const nodeArgs = ["--import", new URL("./fixtures/import-trace.mjs", import.meta.url).pathname];
    for (const args of [["--version"], ["validate", "-f", join(root, "examples/k0s/airgap.yaml")]]) {
      writeFileSync(trace, "");
      const run = runCli(args, { nodeArgs, env: { AIRGAP_IMPORT_TRACE: trace, REGISTRY_USER: "u", REGISTRY_PASSWORD: "p", REGISTRY_CA_FILE: join(root, "test/fixtures/canonical/corp-ca.pem") } });
      expect(run.code).toBe(0);
      const loaded = readFileSync(trace, "utf8").split("\n").filter(Boolean);
      expect(loaded.length).toBeGreaterThan(3);
      const forbidden = loaded.filter((url) => /\/node_modules\/(ink|react|undici)\/|^node:(http|https|net|tls)$|\/src\/oci\//.test(url));
      expect(forbidden).toEqual([]);
    }
  });
});

/** A config that copies the quickstart's image from its OCI layout into a layout in `dir`: no network, no server. */
function offlineConfig(dir: string): void {
  writeFileSync(
    join(dir, "airgap.yaml"),
    `apiVersion: airgap/v1
sources:
  q: { type: oci-layout, path: ${join(root, "examples/quickstart/content")} }
registries:
  local: { provider: oci-layout, path: ./mirror }
bundles:
  hello:
    registry: local
    images:
      - { source: q, ref: library/hello:1.0 }
`,
  );
}

describe("errors that say what to do", () => {
  it("bundle -o into a directory that does not exist is a clear error before any work, and writes nothing", () => {
    const dir = temp();
    offlineConfig(dir);
    const run = runCli(["bundle", "-o", "/no/such/dir/x.tar", "--no-color"], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe("error: -o /no/such/dir/x.tar: directory /no/such/dir does not exist; create it first or choose another path\n");
    expect(readdirSync(dir)).toEqual(["airgap.yaml"]);
    const intoDir = runCli(["bundle", "-o", dir, "--no-color"], { cwd: dir });
    expect(intoDir.stderr).toMatch(/^error: -o \S+: it is a directory; give a file name/);
    const plan = runCli(["plan", "-out", "/no/such/dir/plan.json", "--no-color"], { cwd: dir });
    expect(plan.stderr).toBe("error: -out /no/such/dir/plan.json: directory /no/such/dir does not exist; create it first or choose another path\n");
  });

  it("the hint after plan --from B.tar -out P is the apply command that works on the far side", () => {
    const near = temp();
    offlineConfig(near);
    expect(runCli(["bundle", "-o", "b.tar"], { cwd: near }).code).toBe(0);
    const far = temp();
    offlineConfig(far); // the same airgap.yaml; its sources are never contacted from the bundle
    const bundle = join(near, "b.tar");
    const plan = runCli(["plan", "--from", bundle, "-out", "p.json", "--no-color"], { cwd: far });
    expect(plan.code, plan.stderr).toBe(0);
    const hint = /Apply exactly this plan with: (.*)$/m.exec(plan.stdout + plan.stderr)?.[1];
    expect(hint).toBe(`airgap apply --from ${bundle} p.json`);
    const apply = runCli(hint!.split(" ").slice(1), { cwd: far });
    expect(apply.code, apply.stderr).toBe(0);
    expect(existsSync(join(far, "mirror/index.json"))).toBe(true);
  });

  it("a terminal that reports 0 columns gets plain output, not the interactive view", () => {
    const dir = temp();
    offlineConfig(dir);
    const inTerminal = (stty: string): string =>
      spawnSync("script", ["-qec", `stty ${stty}; ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} plan`, "/dev/null"], {
        cwd: dir,
        env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "/tmp", TERM: "xterm" },
        encoding: "utf8",
        timeout: 30_000,
      }).stdout;
    const narrow = inTerminal("cols 0 rows 0");
    expect(narrow).toMatch(/Plan: 1 to add, 0 to change, 0 to destroy\./);
    // Ink draws frames with synchronized-update escapes; plain output has none.
    expect(narrow).not.toContain("\u001b[?2026h");
    expect(inTerminal("cols 100 rows 40")).toContain("\u001b[?2026h");
  });
});
