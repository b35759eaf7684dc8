import { writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load.js";
import { formatDiagnostic } from "../../../src/core/diagnostics.js";
import { createProviderCatalog } from "../../../src/providers/catalog.js";
import { BASE, loadYaml, tempDir } from "../../helpers/config.js";

describe("loading airgap.yaml: bad input gets one clear line per problem", () => {
  it("accepts the canonical example of DESIGN §2 as written", async () => {
    const file = new URL("../../fixtures/canonical/airgap.yaml", import.meta.url).pathname;
    const result = await loadConfig({ file, env: {}, providers: createProviderCatalog(".") });
    expect(result.diagnostics).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it("reports invalid YAML syntax with its line and column", async () => {
    const result = await loadYaml("apiVersion: airgap/v1\nregistries:\n  a: [1, 2\n");
    expect(result.ok).toBe(false);
    expect(result.lines[0]).toMatch(/^airgap\.yaml:\d+:\d+: error: invalid YAML/);
  });

  it("reports wrong types at the value", async () => {
    const result = await loadYaml(`${BASE}bundles:\n  b:\n    registry: mirror\n    prune: "yes"\n    images: nginx\n`);
    expect(result.lines).toContain("airgap.yaml:9:12: error: must be true or false, not a string (at /bundles/b/prune)");
    expect(result.lines).toContain("airgap.yaml:10:13: error: must be a list, not a string (at /bundles/b/images)");
  });

  it("suggests the real key for a typo", async () => {
    const result = await loadYaml("apiVersion: airgap/v1\nregistires:\n  a: { provider: oci, url: http://x }\n");
    expect(result.lines).toEqual(["airgap.yaml:2:1: error: unknown key `registires`; did you mean `registries`? (at /registires)"]);
  });

  it("suggests provider-specific keys inside a registry", async () => {
    const result = await loadYaml("apiVersion: airgap/v1\nregistries:\n  h:\n    provider: harbor\n    url: https://h\n    projcts: {}\n");
    expect(result.lines).toEqual(["airgap.yaml:6:5: error: unknown key `projcts`; did you mean `projects`? (at /registries/h/projcts)"]);
  });

  it("reports a missing required field at its parent", async () => {
    const result = await loadYaml("registries:\n  m:\n    provider: oci\n");
    expect(result.lines).toContain("airgap.yaml:1:1: error: missing required key `apiVersion` (at /)");
    expect(result.lines).toContain("airgap.yaml:2:3: error: missing required key `url` (at /registries/m)");
  });

  it("reports a bundle naming a registry that does not exist, with a hint", async () => {
    const result = await loadYaml(`${BASE}bundles:\n  b:\n    registry: mirorr\n    images: [nginx:1.25]\n`);
    expect(result.ok).toBe(false);
    expect(result.lines[0]).toMatch(/^airgap\.yaml:8:15: error: bundle `b` names registry `mirorr`, which is not defined under `registries` .*did you mean `mirror`\?/);
  });

  it("reports an undefined environment variable at its line, and accepts a default", async () => {
    const yaml = `${BASE}sources:\n  up:\n    type: registry\n    host: quay.io\n    credentials:\n      username: \${QUAY_USER}\n      password: \${QUAY_PASSWORD:-}\n`;
    const missing = await loadYaml(yaml);
    expect(missing.lines).toEqual(["airgap.yaml:11:17: error: environment variable QUAY_USER is not set (write ${QUAY_USER:-} to allow it to be empty) (at /sources/up/credentials/username)"]);
    const set = await loadYaml(yaml, { QUAY_USER: "robot" });
    expect(set.ok).toBe(true);
  });

  it("refuses tabs used for indentation", async () => {
    const result = await loadYaml("apiVersion: airgap/v1\nbundles:\n\tb: {}\n");
    expect(result.lines).toEqual(["airgap.yaml:3:1: error: tabs are not allowed for indentation in YAML; indent with spaces"]);
  });

  it("refuses duplicate keys", async () => {
    const result = await loadYaml(`${BASE}registries: {}\n`);
    expect(result.lines[0]).toMatch(/^airgap\.yaml:6:1: error: duplicate key/);
  });

  it("explains an empty file", async () => {
    for (const text of ["", "# only a comment\n"]) {
      const result = await loadYaml(text);
      expect(result.lines).toEqual(["airgap.yaml:1:1: error: the file is empty; it needs at least `apiVersion: airgap/v1` (run `airgap init` for a starter file)"]);
    }
  });

  it("fails fast on 10 MB of junk", async () => {
    // A hang is caught by the test's timeout; how fast is the benchmark's business.
    const junk = Buffer.alloc(10 * 1024 * 1024, "x:y\n");
    const result = await loadYaml(junk);
    expect(result.ok).toBe(false);
    expect(result.lines[0]).toMatch(/may be at most 4 MiB/);
  });

  it("refuses junk under the size limit with one clear line", async () => {
    const result = await loadYaml(Buffer.from(Array.from({ length: 200_000 }, (_, i) => `${i.toString(36)} ]] {{`).join("\n")));
    expect(result.ok).toBe(false);
    expect(result.lines.length).toBeGreaterThan(0);
  });

  it("refuses a binary file", async () => {
    const result = await loadYaml(Buffer.from([0x61, 0x00, 0x62]));
    expect(result.lines).toEqual(["airgap.yaml:1:1: error: not a text file (it contains NUL bytes)"]);
  });

  it("names a missing file and suggests init", async () => {
    const dir = tempDir();
    const result = await loadConfig({ file: join(dir, "nope.yaml"), displayName: "nope.yaml", env: {}, providers: createProviderCatalog(dir) });
    expect(result.diagnostics.map((d) => d.message)).toEqual(["cannot read nope.yaml: no such file (create one with `airgap init`)"]);
  });

  it("refuses a directory given as the file", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "conf"));
    const result = await loadConfig({ file: join(dir, "conf"), displayName: "conf", env: {}, providers: createProviderCatalog(dir) });
    expect(result.ok).toBe(false);
    expect(result.diagnostics[0]?.message).toMatch(/conf is a directory/);
  });

  it("refuses a YAML bomb quickly", async () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (const [prev, name] of [["a", "b"], ["b", "c"], ["c", "d"], ["d", "e"], ["e", "f"], ["f", "g"], ["g", "h"], ["h", "i"]]) {
      lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(",")}]`);
    }
    const result = await loadYaml(`${lines.join("\n")}\n`);
    expect(result.ok).toBe(false);
    expect(result.lines[0]).toMatch(/refusing to load: .*(alias|values)/);
  });

  it("keeps merge keys working for ordinary reuse", async () => {
    const result = await loadYaml(`apiVersion: airgap/v1
x-defaults: &defaults { provider: oci, concurrency: 4 }
registries:
  a: { <<: *defaults, url: "http://a:5000" }
`);
    // x-defaults is an unknown top-level key, but the merged registry is fine
    expect(result.lines).toEqual(["airgap.yaml:2:1: error: unknown key `x-defaults`; known keys here: $schema, apiVersion, sources, registries, bundles, cluster (at /x-defaults)"]);
  });

  it("shows values from the environment as the data they are: only secret fields are secret", async () => {
    const result = await loadYaml(`apiVersion: airgap/v1
registries:
  m: { provider: oci, url: "\${MIRROR_URL}", credentials: { username: "\${USER_NAME}", password: "\${PASSWORD}" } }
bundles:
  b: { registry: m, images: ["\${IMAGE}"] }
`, { MIRROR_URL: "not a url", IMAGE: "Team-Image:1.0", USER_NAME: "team", PASSWORD: "pw-team" });
    expect(result.ok).toBe(false);
    expect(result.lines).toEqual([
      'airgap.yaml:3:28: error: "not a url" is not valid here. Base URL. (at /registries/m/url)',
      'airgap.yaml:5:30: error: invalid image reference "Team-Image:1.0": invalid repository name "Team-Image" (repository names must be lowercase) (at /bundles/b/images/0)',
    ]);
  });

  it("collects every problem in one run, including rule problems next to schema errors", async () => {
    const result = await loadYaml(`${BASE}bundles:
  b:
    registry: nowhere
    platforms: [linux/amd65]
    images:
      - 5
      - NGINX:1
`);
    expect(result.lines).toEqual([
      "airgap.yaml:8:15: error: bundle `b` names registry `nowhere`, which is not defined under `registries` (defined: mirror, disk, files) (at /bundles/b/registry)",
      'airgap.yaml:9:17: error: unknown architecture "amd65" in platform "linux/amd65" (at /bundles/b/platforms/0)',
      "airgap.yaml:11:9: error: must be a string or a map, not an integer (at /bundles/b/images/0)",
      'airgap.yaml:12:9: error: invalid image reference "NGINX:1": invalid repository name "NGINX" (repository names must be lowercase) (at /bundles/b/images/1)',
    ]);
  });

  it("loads relative to the file and reports its absolute path and base directory", async () => {
    const dir = tempDir();
    const file = join(dir, "airgap.yaml");
    writeFileSync(file, BASE);
    const result = await loadConfig({ file, env: {}, providers: createProviderCatalog(dir) });
    if (!result.ok) throw new Error(result.diagnostics.map((d) => d.message).join("\n"));
    expect(result.loaded.baseDir).toBe(dir);
    expect(result.loaded.path).toBe(file);
  });
});

describe("validate runs without secrets: an unset ${VAR} is unknown", () => {
  const yaml = `${BASE}sources:
  up:
    type: registry
    host: registry.example.com
    url: "\${UP_URL}"
    credentials: { username: "\${UP_USER}", password: "\${UP_PASSWORD}" }
bundles:
  b:
    registry: nowhere
    images:
      - "\${IMAGE_HOST}/team/app:1.0"
      - { ref: "registry.example.com/team/app", tags: { semver: "\${RANGE}" } }
      - NOT/Valid:1
`;

  async function validateYaml(text: string, env: Record<string, string> = {}) {
    const dir = tempDir();
    const file = join(dir, "airgap.yaml");
    writeFileSync(file, text);
    const result = await loadConfig({ file, displayName: "airgap.yaml", env, providers: createProviderCatalog(dir), unsetVariables: "unknown" });
    return result.diagnostics.map(formatDiagnostic);
  }

  it("warns once per unset variable at its position, skips the checks that read it, and checks everything else", async () => {
    expect(await validateYaml(yaml)).toEqual([
      "airgap.yaml:10:11: warning: environment variable UP_URL is not set: validate treats this value as unknown and skips the checks that read it; lock, plan, apply and bundle need it (or write ${UP_URL:-} to allow it to be empty) (at /sources/up/url)",
      "airgap.yaml:11:31: warning: environment variable UP_USER is not set: validate treats this value as unknown and skips the checks that read it; lock, plan, apply and bundle need it (or write ${UP_USER:-} to allow it to be empty) (at /sources/up/credentials/username)",
      "airgap.yaml:11:55: warning: environment variable UP_PASSWORD is not set: validate treats this value as unknown and skips the checks that read it; lock, plan, apply and bundle need it (or write ${UP_PASSWORD:-} to allow it to be empty) (at /sources/up/credentials/password)",
      "airgap.yaml:14:15: error: bundle `b` names registry `nowhere`, which is not defined under `registries` (defined: mirror, disk, files) (at /bundles/b/registry)",
      "airgap.yaml:16:10: warning: environment variable IMAGE_HOST is not set: validate treats this value as unknown and skips the checks that read it; lock, plan, apply and bundle need it (or write ${IMAGE_HOST:-} to allow it to be empty) (at /bundles/b/images/0)",
      "airgap.yaml:17:66: warning: environment variable RANGE is not set: validate treats this value as unknown and skips the checks that read it; lock, plan, apply and bundle need it (or write ${RANGE:-} to allow it to be empty) (at /bundles/b/images/1/tags/semver)",
      'airgap.yaml:18:9: error: invalid image reference "NOT/Valid:1": invalid repository name "Valid" (repository names must be lowercase) (at /bundles/b/images/2)',
    ]);
  });

  it("checks the values once they are set, and the commands that need them refuse them unset, at their line", async () => {
    const fixed = yaml.replace("registry: nowhere", "registry: mirror").replace("      - NOT/Valid:1\n", "");
    expect(await validateYaml(fixed, { UP_URL: "ftp://nope", UP_USER: "u", UP_PASSWORD: "p", IMAGE_HOST: "Bad Host", RANGE: "not a range" })).toEqual([
      'airgap.yaml:10:10: error: "ftp://nope" is not valid here. Base URL. (at /sources/up/url)',
      'airgap.yaml:16:9: error: invalid image reference "Bad Host/team/app:1.0": "Bad Host/team/app:1.0" contains white space (at /bundles/b/images/0)',
      'airgap.yaml:17:65: error: invalid semver range "not a range" (examples: ">=1.0 <2", "1.25.x", "~1.2") (at /bundles/b/images/1/tags/semver)',
    ]);
    const forCommands = await loadYaml(fixed);
    expect(forCommands.ok).toBe(false);
    expect(forCommands.lines).toEqual([
      "airgap.yaml:10:11: error: environment variable UP_URL is not set (write ${UP_URL:-} to allow it to be empty) (at /sources/up/url)",
      "airgap.yaml:11:31: error: environment variable UP_USER is not set (write ${UP_USER:-} to allow it to be empty) (at /sources/up/credentials/username)",
      "airgap.yaml:11:55: error: environment variable UP_PASSWORD is not set (write ${UP_PASSWORD:-} to allow it to be empty) (at /sources/up/credentials/password)",
      "airgap.yaml:16:10: error: environment variable IMAGE_HOST is not set (write ${IMAGE_HOST:-} to allow it to be empty) (at /bundles/b/images/0)",
      "airgap.yaml:17:66: error: environment variable RANGE is not set (write ${RANGE:-} to allow it to be empty) (at /bundles/b/images/1/tags/semver)",
    ]);
  });
});

describe("credentials in a URL", () => {
  it("are an error at the URL, naming the credentials block, without repeating them", async () => {
    const result = await loadYaml(`apiVersion: airgap/v1
sources:
  charts: { type: helm, url: "https://reader:s3cr3t@charts.example.com/stable" }
registries:
  mirror:
    provider: oci
    url: "https://\${USER}:\${PASS}@registry.example.com"
  files: { provider: fileserver, url: "http://127.0.0.1:8080" }
bundles:
  b:
    registry: mirror
    files:
      - { url: "https://u:p@files.example.com/k0s", sha256: ${"a".repeat(64)}, to: { registry: files, path: k0s } }
`, { USER: "robot", PASS: "pw-env" });
    expect(result.ok).toBe(false);
    expect(result.lines).toEqual([
      'airgap.yaml:3:30: error: "https://redacted@charts.example.com/stable" holds credentials before "@": a URL is written as it is to the lock, plans and messages, so it must not carry them; give them in `sources.charts.credentials` (username, and password: ${VAR}) (at /sources/charts/url)',
      'airgap.yaml:7:10: error: "https://redacted@registry.example.com" holds credentials before "@": a URL is written as it is to the lock, plans and messages, so it must not carry them; give them in `registries.mirror.credentials` (username, and password: ${VAR}) (at /registries/mirror/url)',
      'airgap.yaml:13:16: error: "https://redacted@files.example.com/k0s" holds credentials before "@": a URL is written as it is to the lock, plans and messages, so it must not carry them; declare an `http` source for the base URL with a `credentials` block, and name it in the file\'s `source:` (at /bundles/b/files/0/url)',
    ]);
    for (const secret of ["s3cr3t", "pw-env", "u:p"]) expect(result.lines.join("\n")).not.toContain(secret);
  });
});

describe("one name per registry host", () => {
  it("sees docker.io, index.docker.io and registry-1.docker.io as one host when sources repeat it", async () => {
    const result = await loadYaml(`${BASE}sources:
  hub: { type: registry, host: index.docker.io }
  hub2: { type: registry, host: registry-1.docker.io }
`);
    expect(result.lines).toEqual(["airgap.yaml:8:33: error: sources `hub` and `hub2` both configure registry host docker.io; merge them (at /sources/hub2/host)"]);
  });
});
