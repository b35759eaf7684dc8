import { describe, expect, it } from "vitest";
import { renderClusterOutputs, SUPPORTED_OUTPUT_TYPES } from "../../../src/cluster/index.js";
import type { ClusterOutput } from "../../../src/config/generated/airgap-config.js";
import { airgapSchema } from "../../../src/config/schema.js";
import { flatten, mapped, model, PLATFORM } from "./fixtures.js";
import { parseToml, parseYaml } from "./parsers.js";

const ALL: ClusterOutput[] = [
  { type: "containerd", path: "out/certs.d/" },
  { type: "k0s", path: "./out/k0s.yaml", pullPolicy: "Never" },
  { type: "mke4", path: "out/mke4.yaml" },
  { type: "k3s", path: "out/k3s.yaml" },
  { type: "rke2", path: "out/rke2.yaml" },
  { type: "registries-conf", path: "out/registries.conf" },
  { type: "kapp-controller", path: "out/repo.yaml", image: "docker.io/library/nginx:1.25" },
  { type: "image-list", path: "out/images.txt" },
];

describe("rendering cluster outputs", () => {
  it("renders every output type the schema accepts", () => {
    const defs = (airgapSchema as { $defs: Record<string, { oneOf?: { $ref: string }[]; properties?: { type?: { const?: string; enum?: string[] } } }> }).$defs;
    const types = defs["clusterOutput"]!.oneOf!.flatMap((o) => {
      const type = defs[o.$ref.split("/").pop()!]!.properties!.type!;
      return type.const !== undefined ? [type.const] : type.enum!;
    });
    expect([...types].sort()).toEqual([...SUPPORTED_OUTPUT_TYPES].sort());
    expect(new Set(ALL.map((o) => o.type))).toEqual(new Set(types));
    const rendered = renderClusterOutputs(model(PLATFORM.map((r) => mapped(r, "mke"))), ALL);
    expect(rendered.outputs.map((o) => o.type)).toEqual(ALL.map((o) => o.type));
    for (const output of rendered.outputs) {
      expect(output.problems, output.type).toEqual([]);
      expect(output.files.length, output.type).toBeGreaterThan(0);
      for (const file of output.files) {
        expect(file.content.endsWith("\n"), file.path).toBe(true);
        if (file.path.endsWith(".toml") || file.path.endsWith(".conf")) parseToml(file.content);
        if (file.path.endsWith(".yaml")) parseYaml(file.content);
      }
    }
    // paths normalised, indexes kept
    expect(rendered.outputs[1]!.files[0]!.path).toBe("out/k0s.yaml");
    expect(rendered.outputs[0]!.directory?.root).toBe("out/certs.d");
    expect(rendered.outputs.map((o) => o.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it("reports a type it does not know instead of skipping it", () => {
    const rendered = renderClusterOutputs(model([]), [{ type: "nomad", path: "x" } as unknown as ClusterOutput]);
    expect(rendered.outputs[0]!.files).toEqual([]);
    expect(rendered.outputs[0]!.problems).toEqual([{ severity: "error", message: expect.stringContaining('"nomad" is not supported') }]);
  });

  it("is deterministic: the order of the content does not matter", () => {
    const artifacts = [...PLATFORM.map((r) => mapped(r, "mke")), mapped("docker.io/library/nginx:1.24", "mke"), mapped("ghcr.io/x/y:1.0.0", "mke", undefined, { kind: "chart" })];
    const a = renderClusterOutputs(model(artifacts), ALL);
    const b = renderClusterOutputs(model([...artifacts].reverse()), ALL);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
  });

  it("keeps rendering outputs that can follow the naming when others cannot", () => {
    const rendered = renderClusterOutputs(model([mapped("docker.io/library/nginx:1.25", "mke"), mapped("docker.io/team/sub/app:v1", "mke", flatten(2))]), ALL);
    const failed = rendered.outputs.filter((o) => o.problems.some((p) => p.severity === "error")).map((o) => o.type);
    expect(failed).toEqual(["containerd", "k0s", "mke4"]);
    for (const o of rendered.outputs) expect(o.files.length === 0).toBe(failed.includes(o.type));
  });

  it("warns when upstream repositories share a target repository", () => {
    const rendered = renderClusterOutputs(model([mapped("docker.io/library/nginx:1.25", "mke"), mapped("quay.io/library/nginx:2", "mke")]), []);
    expect(rendered.problems).toEqual([{ severity: "warning", message: expect.stringContaining("docker.io/library/nginx and quay.io/library/nginx all land in mke/library/nginx") }]);
  });
});

describe("kapp-controller PackageRepository", () => {
  const bundle = "index.docker.io/user1/simple-app-bundle:v1.0.0";
  it("fetches the relocated imgpkg bundle from the mirror", () => {
    const out = renderClusterOutputs(model([mapped(bundle, "apps")], { host: "final-registry.corp.com" }), [
      { type: "kapp-controller", path: "repo.yaml", image: bundle, name: "simple-package-repository", namespace: "kapp-controller-packaging-global" },
    ]).outputs[0]!;
    expect(out.problems).toEqual([]);
    expect(parseYaml(out.files[0]!.content)).toEqual({
      apiVersion: "packaging.carvel.dev/v1alpha1",
      kind: "PackageRepository",
      metadata: { name: "simple-package-repository", namespace: "kapp-controller-packaging-global" },
      spec: { fetch: { imgpkgBundle: { image: "final-registry.corp.com/apps/user1/simple-app-bundle:v1.0.0" } } },
    });
  });

  it("derives the name, pins a known digest, and follows a rename", () => {
    const digest = `sha256:${"a".repeat(64)}`;
    const out = renderClusterOutputs(model([mapped(bundle, "apps", undefined, { as: "pkgs/Repo", digest })]), [{ type: "kapp-controller", path: "r.yaml", image: bundle }]).outputs[0]!;
    expect(parseYaml(out.files[0]!.content)).toMatchObject({ metadata: { name: "simple-app-bundle" }, spec: { fetch: { imgpkgBundle: { image: `mirror.example:5000/apps/pkgs/Repo:v1.0.0@${digest}` } } } });
    const byDigest = renderClusterOutputs(model([mapped(`docker.io/user1/b@${digest}`, "apps")]), [{ type: "kapp-controller", path: "r.yaml", image: `docker.io/user1/b@${digest}` }]).outputs[0]!;
    expect(parseYaml(byDigest.files[0]!.content)).toMatchObject({ spec: { fetch: { imgpkgBundle: { image: `mirror.example:5000/apps/user1/b@${digest}` } } } });
  });

  it("reports an image the cluster's bundles do not carry", () => {
    const out = renderClusterOutputs(model([mapped(bundle, "apps")]), [{ type: "kapp-controller", path: "r.yaml", image: "index.docker.io/user1/simple-app-bundle:v2.0.0" }]).outputs[0]!;
    expect(out.files).toEqual([]);
    expect(out.problems[0]?.message).toContain("they hold v1.0.0");
  });
});

describe("image list", () => {
  it("lists each image once, as the nodes pull it, sorted, one per line", () => {
    const digest = `sha256:${"b".repeat(64)}`;
    const artifacts = [...PLATFORM.map((r) => mapped(r, "mke")), mapped("docker.io/library/nginx:1.25", "mke"), mapped("docker.io/x/pinned:1", "mke", undefined, { digest }), mapped("ghcr.io/c/d:1.0.0", "mke", undefined, { kind: "chart" })];
    const out = renderClusterOutputs(model(artifacts, { namespace: "ns" }), [{ type: "image-list", path: "images.txt" }]).outputs[0]!;
    expect(out.files[0]!.content).toBe(
      [
        "mirror.example:5000/ns/mke/k0sproject/coredns:1.12.0",
        "mirror.example:5000/ns/mke/library/nginx:1.25",
        "mirror.example:5000/ns/mke/pause:3.9",
        "mirror.example:5000/ns/mke/team/sub/app:v1",
        `mirror.example:5000/ns/mke/x/pinned:1@${digest}`,
        "",
      ].join("\n"),
    );
  });
});
