import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load.js";
import { normalizeConfig } from "../../../src/config/normalize.js";
import { createProviderCatalog } from "../../../src/providers/catalog.js";
import { Secret } from "../../../src/core/secret.js";
import { loadYaml } from "../../helpers/config.js";

describe("normalising the canonical example", async () => {
  const file = new URL("../../fixtures/canonical/airgap.yaml", import.meta.url).pathname;
  const dir = new URL("../../fixtures/canonical/", import.meta.url).pathname.replace(/\/$/, "");
  const result = await loadConfig({ file, env: {}, providers: createProviderCatalog(dir) });
  if (!result.ok) throw new Error("canonical example must load");
  const model = normalizeConfig(result.loaded.config, result.loaded.baseDir);
  const bundle = model.bundles[0]!;

  it("parses references, applies bundle platforms and finds the registry source by host", () => {
    expect(bundle.images.map((i) => `${i.reference.registry}/${i.reference.repository}:${i.reference.tag ?? ""}`)).toEqual([
      "127.0.0.1:5001/library/nginx:1.25",
      "127.0.0.1:5001/k0sproject/coredns:",
      "127.0.0.1:5001/team/sub/app:",
      "docker.io/library/hello:1.0",
    ]);
    expect(bundle.images[0]!.origin).toMatchObject({ type: "registry", settings: { name: "upstream", url: "http://127.0.0.1:5001" } });
    expect(bundle.images[0]!.platforms).toEqual([{ os: "linux", architecture: "amd64" }, { os: "linux", architecture: "arm64" }]);
    expect(bundle.images[2]!.tags).toEqual({ semver: ">=1.0 <2" });
  });

  it("resolves disk sources and paths relative to airgap.yaml", () => {
    expect(bundle.images[3]!.origin).toEqual({ type: "disk", source: "quickstart", format: "oci-layout", path: `${dir}/content` });
    expect(model.registries.get("disk")).toEqual({ name: "disk", provider: "oci-layout", settings: { path: `${dir}/mirror` } });
    expect(model.registries.get("harbor")?.settings["tls"]).toEqual({ caFile: `${dir}/corp-ca.pem` });
  });

  it("splits charts into OCI references and Helm repository entries", () => {
    expect(bundle.charts[0]).toMatchObject({ type: "oci", version: "15.14.0", reference: { registry: "127.0.0.1:5001", repository: "charts/nginx" } });
    expect(bundle.charts[1]).toMatchObject({ type: "helm", source: "charts", repositoryUrl: "https://charts.example.com/stable", name: "ingress-nginx", version: "4.8.x" });
    expect(bundle.files[0]).toMatchObject({ url: "https://example.com/k0s-v1.30.0-amd64", to: { registry: "disk", path: "k0s/k0s-v1.30.0-amd64" } });
    expect(bundle.naming).toEqual({ host: "drop", separator: "-" });
  });
});

describe("one name per registry host, and credentials apart from URLs", () => {
  it.each(["docker.io", "index.docker.io", "registry-1.docker.io", "Index.Docker.IO"])("a source declared as %s is the one Docker Hub images use", async (host) => {
    const loaded = await loadYaml(`apiVersion: airgap/v1
sources:
  hub: { type: registry, host: "${host}", credentials: { username: robot, password: "\${HUB_PASSWORD}" } }
registries:
  mirror: { provider: oci, url: "http://127.0.0.1:5000" }
bundles:
  b:
    registry: mirror
    images: [nginx:1.25, docker.io/library/redis:7, index.docker.io/bitnami/redis:7, registry-1.docker.io/library/alpine:3]
`, { HUB_PASSWORD: "pw" });
    if (!loaded.ok) throw new Error(loaded.lines.join("\n"));
    const model = normalizeConfig(loaded.loaded.config, loaded.loaded.baseDir);
    expect([...model.registrySources.keys()]).toEqual(["docker.io"]);
    for (const image of model.bundles[0]!.images) {
      expect(image.reference.registry).toBe("docker.io");
      expect(image.origin).toMatchObject({ type: "registry", settings: { name: "hub", url: "https://registry-1.docker.io" } });
    }
  });

  it("keeps helm and http source URLs exactly as written, with their credentials beside them", async () => {
    const loaded = await loadYaml(`apiVersion: airgap/v1
sources:
  charts: { type: helm, url: "https://charts.example.com/\${TEAM}/", credentials: { username: "\${TEAM}", password: "\${PASSWORD}" } }
  files: { type: http, url: "https://files.example.com/base" }
registries:
  mirror: { provider: oci, url: "http://127.0.0.1:5000" }
  disk: { provider: oci-layout, path: ./out }
bundles:
  b:
    registry: mirror
    charts: [{ source: charts, name: app, version: 1.0.0 }]
    files: [{ source: files, url: "team/k0s", sha256: ${"a".repeat(64)}, to: { registry: disk, path: k0s } }]
`, { TEAM: "team", PASSWORD: "pw-team" });
    if (!loaded.ok) throw new Error(loaded.lines.join("\n"));
    const bundle = normalizeConfig(loaded.loaded.config, loaded.loaded.baseDir).bundles[0]!;
    const chart = bundle.charts[0]!;
    expect(chart).toMatchObject({ type: "helm", repositoryUrl: "https://charts.example.com/team", credentials: { username: "team" } });
    expect(chart.type === "helm" && chart.credentials?.password).toBeInstanceOf(Secret);
    expect(bundle.files[0]).toMatchObject({ url: "https://files.example.com/base/team/k0s" });
    expect(bundle.files[0]!.credentials).toBeUndefined();
    expect(JSON.stringify(bundle)).not.toContain("pw-team");
  });
});
