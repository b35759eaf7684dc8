import { describe, expect, it } from "vitest";
import { buildClusterModel, clusterBundles, contentFromConfig, renderClusterOutputs } from "../../../src/cluster/index.js";
import type { AirgapConfig } from "../../../src/config/generated/airgap-config.js";
import { normalizeConfig } from "../../../src/config/normalize.js";

const BASE = "/work/site";

function config(extra: Partial<AirgapConfig> = {}): AirgapConfig {
  return {
    apiVersion: "airgap/v1",
    sources: { upstream: { type: "registry", host: "127.0.0.1:5001", url: "http://127.0.0.1:5001" } },
    registries: {
      mirror: { provider: "oci", url: "https://registry.internal:5000", tls: { caFile: "./ca.pem" }, credentials: { username: "robot", password: "s3cr3t-pass" } },
      disk: { provider: "oci-layout", path: "./layout" },
    },
    bundles: {
      platform: {
        registry: "mirror",
        path: "mke",
        images: ["nginx:1.25", "127.0.0.1:5001/team/sub/app:v1", { ref: "quay.io/k0sproject/coredns", tags: ["1.12.0"] }, { ref: "quay.io/k0sproject/pause", tags: { semver: "3.x" } }, { ref: "ghcr.io/x/y:2", as: "renamed/y" }],
        charts: ["oci://ghcr.io/charts/nginx:15.14.0", { ref: "oci://ghcr.io/charts", name: "ranged", version: "1.x" }],
      },
      other: { registry: "disk", images: ["docker.io/library/redis:7"] },
    },
    cluster: { registry: "mirror", outputs: [{ type: "image-list", path: "images.txt" }] },
    ...extra,
  } as AirgapConfig;
}

describe("the cluster model from the config", () => {
  it("takes the registry as the nodes reach it, the CA path made absolute, and the upstream URLs of sources", () => {
    const normalized = normalizeConfig(config(), BASE);
    const built = buildClusterModel(normalized, contentFromConfig(normalized));
    if (!built.ok) throw new Error(built.message);
    expect(built.model.registry).toEqual({ host: "registry.internal:5000", scheme: "https", namespace: "", tls: { caFile: "/work/site/ca.pem" } });
    expect([...built.model.upstreamUrls]).toEqual([["127.0.0.1:5001", "http://127.0.0.1:5001"]]);
  });

  it("maps each pinned entry of the cluster's bundles with the bundle's naming (the same function apply uses)", () => {
    const normalized = normalizeConfig(config(), BASE);
    const built = buildClusterModel(normalized, contentFromConfig(normalized));
    if (!built.ok) throw new Error(built.message);
    expect(built.model.artifacts).toEqual([
      { kind: "image", registry: "docker.io", repository: "library/nginx", targetRepository: "mke/library/nginx", tag: "1.25" },
      { kind: "image", registry: "127.0.0.1:5001", repository: "team/sub/app", targetRepository: "mke/team/sub/app", tag: "v1" },
      { kind: "image", registry: "quay.io", repository: "k0sproject/coredns", targetRepository: "mke/k0sproject/coredns", tag: "1.12.0" },
      { kind: "image", registry: "ghcr.io", repository: "x/y", targetRepository: "mke/renamed/y", tag: "2" },
      { kind: "chart", registry: "ghcr.io", repository: "charts/nginx", targetRepository: "mke/charts/nginx", tag: "15.14.0" },
    ]);
  });

  it("uses cluster.bundles and the endpoint (host and namespace), keeping plain HTTP from the URL", () => {
    const normalized = normalizeConfig(
      config({
        registries: { mirror: { provider: "oci", url: "http://10.0.0.5:5000" }, disk: { provider: "oci-layout", path: "./layout" } },
        cluster: { registry: "mirror", endpoint: "registry.internal:5000/proxy/", bundles: ["other"], outputs: [{ type: "image-list", path: "i.txt" }] },
      }),
      BASE,
    );
    expect([...clusterBundles(normalized)]).toEqual(["other"]);
    const built = buildClusterModel(normalized, contentFromConfig(normalized));
    if (!built.ok) throw new Error(built.message);
    expect(built.model.registry).toEqual({ host: "registry.internal:5000", scheme: "http", namespace: "proxy", tls: {} });
    expect(built.model.artifacts.map((a) => `${a.registry}/${a.repository}`)).toEqual(["docker.io/library/redis"]);
  });

  it("says when the registry gives the nodes nothing to pull from", () => {
    const plugin = normalizeConfig(config({ registries: { vault: { provider: "acme-vault", bucket: "x" } }, cluster: { registry: "vault", outputs: [{ type: "image-list", path: "i.txt" }] } }), BASE);
    expect(buildClusterModel(plugin, [])).toEqual({ ok: false, message: expect.stringContaining("(provider acme-vault) has no URL the nodes could pull from; set `cluster.endpoint`") });
    const ecr = normalizeConfig(config({ registries: { ecr: { provider: "ecr", region: "eu-west-1", registryId: "123456789012" } }, cluster: { registry: "ecr", outputs: [{ type: "image-list", path: "i.txt" }] } }), BASE);
    const built = buildClusterModel(ecr, []);
    expect(built.ok && built.model.registry.host).toBe("123456789012.dkr.ecr.eu-west-1.amazonaws.com");
  });

  it("an OCI layout as the cluster's registry lists the layout's names and renders nothing nodes would pull with", () => {
    const layout = normalizeConfig(config({ cluster: { registry: "disk", outputs: [{ type: "image-list", path: "i.txt" }, { type: "containerd", path: "c" }] } }), BASE);
    const built = buildClusterModel(layout, contentFromConfig(layout));
    if (!built.ok) throw new Error(built.message);
    expect(built.model.registry.layout).toBe("/work/site/layout");
    const [list, containerd] = renderClusterOutputs(built.model, layout.cluster!.outputs).outputs;
    expect(list!.files[0]!.content).toBe("library/redis:7\n");
    expect(containerd!.files).toEqual([]);
    expect(containerd!.problems[0]?.message).toContain("OCI layout on disk (/work/site/layout)");
  });

  it("never carries credentials into what it renders", () => {
    const normalized = normalizeConfig(config({ cluster: { registry: "mirror", outputs: [{ type: "containerd", path: "c" }, { type: "k3s", path: "k.yaml" }, { type: "registries-conf", path: "r.conf" }, { type: "image-list", path: "i.txt" }] } }), BASE);
    const built = buildClusterModel(normalized, contentFromConfig(normalized));
    if (!built.ok) throw new Error(built.message);
    expect(JSON.stringify(built.model.registry)).not.toContain("s3cr3t");
    const rendered = renderClusterOutputs(built.model, normalized.cluster!.outputs);
    const text = JSON.stringify(rendered);
    expect(text).not.toContain("s3cr3t-pass");
    expect(text).not.toContain("robot");
    // what must survive: the mirror and the mapping
    expect(text).toContain("registry.internal:5000/mke/library/nginx:1.25");
  });
});
