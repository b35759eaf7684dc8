/**
 * Every example's cluster outputs render from its airgap.yaml alone (the
 * content it pins exactly), with no errors, and every file parses: TOML by
 * two independent parsers (smol-toml and Python's tomllib), YAML by `yaml`.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildClusterModel, contentFromConfig, renderClusterOutputs, type RenderedFile } from "../../../src/cluster/index.js";
import { loadConfig } from "../../../src/config/load.js";
import { normalizeConfig } from "../../../src/config/normalize.js";
import { createProviderCatalog } from "../../../src/providers/catalog.js";
import { parseToml, parseTomlWithPython, parseYaml } from "./parsers.js";

const examplesDir = new URL("../../../examples/", import.meta.url).pathname;
const examples = readdirSync(examplesDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
// Every variable is set; a CA file variable names a real PEM file, which validate reads.
const caFile = new URL("../../fixtures/canonical/corp-ca.pem", import.meta.url).pathname;
const env = new Proxy({} as Record<string, string>, { get: (_t, key) => (typeof key !== "string" ? undefined : key.endsWith("_CA_FILE") ? caFile : `dummy-${key.toLowerCase()}`) });

async function render(name: string) {
  const dir = join(examplesDir, name);
  const loaded = await loadConfig({ file: join(dir, "airgap.yaml"), env, providers: createProviderCatalog(dir) });
  if (!loaded.ok) throw new Error(`${name} does not validate`);
  const normalized = normalizeConfig(loaded.loaded.config, loaded.loaded.baseDir);
  if (!normalized.cluster) return undefined;
  const built = buildClusterModel(normalized, contentFromConfig(normalized));
  if (!built.ok) throw new Error(built.message);
  return renderClusterOutputs(built.model, normalized.cluster.outputs);
}

describe("the examples' cluster outputs", () => {
  it("every example with a cluster section renders without errors, and every file parses", async () => {
    const toml: RenderedFile[] = [];
    let rendered = 0;
    for (const name of examples) {
      const result = await render(name);
      if (!result) continue;
      rendered++;
      for (const output of result.outputs) {
        expect(output.problems.filter((p) => p.severity === "error"), `${name} ${output.type}`).toEqual([]);
        expect(output.files.length, `${name} ${output.type}`).toBeGreaterThan(0);
        for (const file of output.files) {
          if (/\.(toml|conf)$/.test(file.path)) toml.push(file);
          else if (/\.ya?ml$/.test(file.path)) parseYaml(file.content);
        }
      }
    }
    expect(rendered).toBeGreaterThanOrEqual(5);
    expect(toml.length).toBeGreaterThan(0);
    const python = parseTomlWithPython(toml.map((f) => f.content));
    toml.forEach((f, i) => expect(python[i], f.path).toEqual(parseToml(f.content)));
  });

  it("k0s: the ClusterConfig and the containerd drop-ins point at the registry, with the CA as the nodes have it", async () => {
    const result = (await render("k0s"))!;
    const files = new Map(result.outputs.flatMap((o) => o.files.map((f) => [f.path, f.content] as const)));
    expect(parseYaml(files.get("out/k0s.yaml")!)).toMatchObject({ spec: { images: { repository: "registry.internal:5000/k0s", default_pull_policy: "IfNotPresent" } } });
    expect(parseToml(files.get("out/containerd/certs.d/quay.io/hosts.toml")!)).toEqual({
      server: "https://quay.io",
      host: { "https://registry.internal:5000/v2/k0s": { capabilities: ["pull", "resolve"], ca: "/etc/k0s/registry-ca.pem", override_path: true } },
    });
  });

  it("MKE 4k and kapp-controller render what their guides ask for", async () => {
    const mke = (await render("mke4"))!.outputs[0]!;
    expect(parseYaml(mke.files[0]!.content)).toEqual({
      spec: { registries: { imageRegistry: { URL: "private-registry.example.com:8080/mke" }, chartRegistry: { URL: "oci://private-registry.example.com:8080/mke" } }, airgap: { enabled: true } },
    });
    const kapp = (await render("kapp-controller"))!.outputs[0]!;
    expect(parseYaml(kapp.files[0]!.content)).toMatchObject({ spec: { fetch: { imgpkgBundle: { image: "final-registry.corp.com/apps/user1/simple-app-bundle:v1.0.0" } } } });
  });
});
