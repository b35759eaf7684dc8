import { describe, expect, it } from "vitest";
import { GENERATED_MARKER, renderClusterOutputs } from "../../../src/cluster/index.js";
import type { ClusterOutput } from "../../../src/config/generated/airgap-config.js";
import { flatten, keepHost, mapped, model, PLATFORM } from "./fixtures.js";
import { parseYaml } from "./parsers.js";

function render(m: ReturnType<typeof model>, output: ClusterOutput) {
  return renderClusterOutputs(m, [output]).outputs[0]!;
}

/** k0s's own rule (pkg/apis/k0s/v1beta1 overrideRepository): the repository replaces the registry host. */
function k0sImage(repository: string, image: string): string {
  const slash = image.indexOf("/");
  return `${repository}${image.slice(slash)}`;
}

describe("k0s ClusterConfig", () => {
  it("sets spec.images.repository to the mirror path and the pull policy when asked", () => {
    const out = render(model(PLATFORM.map((r) => mapped(r, "k0s")), { host: "registry.internal:5000" }), { type: "k0s", path: "out/k0s.yaml", pullPolicy: "Never" });
    expect(out.problems).toEqual([]);
    expect(out.files).toHaveLength(1);
    const text = out.files[0]!.content;
    expect(text.startsWith(`${GENERATED_MARKER}\n`)).toBe(true);
    expect(text.endsWith("\n")).toBe(true);
    expect(parseYaml(text)).toEqual({
      apiVersion: "k0s.k0sproject.io/v1beta1",
      kind: "ClusterConfig",
      metadata: { name: "k0s" },
      spec: { images: { repository: "registry.internal:5000/k0s", default_pull_policy: "Never" } },
    });
  });

  it("leaves the pull policy out unless asked, and k0s then finds every image where apply put it", () => {
    const artifacts = PLATFORM.map((r) => mapped(r, "k0s/sub"));
    const out = render(model(artifacts), { type: "k0s", path: "k0s.yaml" });
    const doc = parseYaml(out.files[0]!.content) as { spec: { images: Record<string, string> } };
    expect(Object.keys(doc.spec.images)).toEqual(["repository"]);
    for (const a of artifacts) expect(k0sImage(doc.spec.images["repository"]!, `${a.registry}/${a.repository}`)).toBe(`mirror.example:5000/${a.targetRepository}`);
  });

  it("cannot express a kept host with several registries, flattening or renames", () => {
    const kept = render(model(PLATFORM.map((r) => mapped(r, "k0s", keepHost))), { type: "k0s", path: "k0s.yaml" });
    expect(kept.files).toEqual([]);
    expect(kept.problems[0]?.message).toMatch(/different paths .*docker\.io → k0s\/docker\.io/);
    // one registry with the host kept is one path
    const single = render(model([mapped("quay.io/k0sproject/coredns:1.12.0", "k0s", keepHost)]), { type: "k0s", path: "k0s.yaml" });
    expect((parseYaml(single.files[0]!.content) as { spec: { images: { repository: string } } }).spec.images.repository).toBe("mirror.example:5000/k0s/quay.io");
    const flat = render(model([mapped("quay.io/k0sproject/coredns:1.12.0", "k0s", flatten(2))]), { type: "k0s", path: "k0s.yaml" });
    expect(flat.problems[0]?.message).toContain("quay.io/k0sproject/coredns → k0s/k0sproject-coredns");
    const none = render(model([]), { type: "k0s", path: "k0s.yaml" });
    expect(none.problems[0]?.severity).toBe("error");
  });

  it("warns that a private CA needs node settings unless a containerd output is rendered too", () => {
    const m = model([mapped("quay.io/k0sproject/coredns:1.12.0", "k0s")], { tls: { caFile: "/ca.pem" } });
    const alone = renderClusterOutputs(m, [{ type: "k0s", path: "k0s.yaml" }]).outputs[0]!;
    expect(alone.problems).toEqual([expect.objectContaining({ severity: "warning", message: expect.stringContaining("add a `containerd` output") })]);
    const paired = renderClusterOutputs(m, [{ type: "k0s", path: "k0s.yaml" }, { type: "containerd", path: "certs.d", caFile: "/etc/ca.pem" }]).outputs[0]!;
    expect(paired.problems).toEqual([]);
  });
});

describe("MKE 4k settings", () => {
  it("writes imageRegistry.URL, chartRegistry.URL with oci:// and airgap.enabled", () => {
    const artifacts = [
      ...["registry.mirantis.com/k0rdent-enterprise/mke-operator:v4.1.0", "quay.io/k0sproject/coredns:1.11.3"].map((r) => mapped(r, "mke")),
      mapped("registry.mirantis.com/k0rdent-enterprise/charts/mke-operator:4.1.0", "mke", undefined, { kind: "chart" }),
    ];
    const out = render(model(artifacts, { host: "private-registry.example.com:8080" }), { type: "mke4", path: "out/mke4.yaml" });
    expect(out.problems).toEqual([]);
    expect(parseYaml(out.files[0]!.content)).toEqual({
      spec: {
        registries: { imageRegistry: { URL: "private-registry.example.com:8080/mke" }, chartRegistry: { URL: "oci://private-registry.example.com:8080/mke" } },
        airgap: { enabled: true },
      },
    });
    expect(out.files[0]!.content).not.toMatch(/URL: "[^"]*\/"/);
  });

  it("gives charts their own path when they landed elsewhere, and the image path when there are none", () => {
    const separate = render(model([mapped("quay.io/a/b:1", "images"), mapped("ghcr.io/c/d:1.0.0", "charts", undefined, { kind: "chart" })]), { type: "mke4", path: "m.yaml" });
    expect(parseYaml(separate.files[0]!.content)).toMatchObject({ spec: { registries: { imageRegistry: { URL: "mirror.example:5000/images" }, chartRegistry: { URL: "oci://mirror.example:5000/charts" } } } });
    const noCharts = render(model([mapped("quay.io/a/b:1")]), { type: "mke4", path: "m.yaml" });
    expect(parseYaml(noCharts.files[0]!.content)).toMatchObject({ spec: { registries: { imageRegistry: { URL: "mirror.example:5000" }, chartRegistry: { URL: "oci://mirror.example:5000" } } } });
  });

  it("reports what it cannot express and warns about what MKE 4k expects", () => {
    const flat = render(model([mapped("quay.io/a/b/c:1", "mke", flatten(2))]), { type: "mke4", path: "m.yaml" });
    expect(flat.files).toEqual([]);
    expect(flat.problems[0]?.message).toContain("imageRegistry.URL");
    const http = render(model([mapped("quay.io/a/b:1")], { scheme: "http" }), { type: "mke4", path: "m.yaml" });
    expect(http.files).toHaveLength(1);
    expect(http.problems).toEqual([expect.objectContaining({ severity: "warning", message: expect.stringContaining("HTTPS") })]);
  });
});
