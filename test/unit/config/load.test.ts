import { writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load.js";
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
    const junk = Buffer.alloc(10 * 1024 * 1024, "x:y\n");
    const started = Date.now();
    const result = await loadYaml(junk);
    expect(result.ok).toBe(false);
    expect(result.lines[0]).toMatch(/may be at most 4 MiB/);
    // not a timing assertion on speed, only a guard against a hang
    expect(Date.now() - started).toBeLessThan(20_000);
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

  it("never prints a value that came from the environment", async () => {
    const result = await loadYaml(`apiVersion: airgap/v1
registries:
  m: { provider: oci, url: "\${MIRROR_URL}" }
bundles:
  b: { registry: m, images: ["\${IMAGE}"] }
`, { MIRROR_URL: "not a url s3cr3t-value", IMAGE: "UPPER/s3cr3t-image" });
    expect(result.ok).toBe(false);
    const text = result.lines.join("\n");
    expect(text).toContain("(sensitive)");
    expect(text).not.toContain("s3cr3t");
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
