import { describe, expect, it } from "vitest";
import { GENERATED_MARKER, renderClusterOutputs } from "../../../src/cluster/index.js";
import type { ClusterArtifact } from "../../../src/cluster/index.js";
import { flatten, keepHost, mapped, model, PLATFORM } from "./fixtures.js";
import { k3sRewrite, parseToml, parseYaml, registriesConfMirror } from "./parsers.js";

/** Bundles whose naming a prefix-only client cannot follow: flattening, a rename, and a nested repository under a renamed one. */
const MIXED: ClusterArtifact[] = [
  mapped("docker.io/library/nginx:1.25", "mke", flatten(3)),
  mapped("docker.io/team/sub/app:v1", "mke", flatten(3)),
  mapped("docker.io/team/sub:v2", "mke", undefined, { as: "renamed/sub" }),
  mapped("quay.io/k0sproject/coredns:1.12.0", "mke", keepHost),
  mapped("registry.k8s.io/pause:3.9"),
];

const CASES: [string, ClusterArtifact[]][] = [
  ["one prefix", PLATFORM.map((r) => mapped(r, "mke"))],
  ["host kept", PLATFORM.map((r) => mapped(r, "mirror", keepHost))],
  ["no prefix", PLATFORM.map((r) => mapped(r))],
  ["flattened, renamed, mixed", MIXED],
];

describe("k3s / RKE2 registries.yaml", () => {
  it.each(CASES)("sends every upstream name where apply put it (%s), with rewrite rules that never overlap", (_label, artifacts) => {
    for (const type of ["k3s", "rke2"] as const) {
      const out = renderClusterOutputs(model(artifacts), [{ type, path: "registries.yaml" }]).outputs[0]!;
      expect(out.problems).toEqual([]);
      const text = out.files[0]!.content;
      expect(text.startsWith(`${GENERATED_MARKER}\n`)).toBe(true);
      const doc = parseYaml(text) as { mirrors: Record<string, { endpoint: string[] }> };
      for (const a of artifacts) {
        expect(doc.mirrors[a.registry]?.endpoint).toEqual(["https://mirror.example:5000"]);
        expect(k3sRewrite(text, a.registry, a.repository)).toBe(a.targetRepository);
      }
    }
  });

  it("writes one catch-all rule per prefixed host, none when paths are kept, and exact rules otherwise", () => {
    const prefixed = parseYaml(renderClusterOutputs(model([mapped("docker.io/library/nginx:1.25", "mke")]), [{ type: "k3s", path: "r.yaml" }]).outputs[0]!.files[0]!.content);
    expect(prefixed).toEqual({
      mirrors: {
        "docker.io": { endpoint: ["https://mirror.example:5000"], rewrite: { "^(.*)$": "mke/$1" } },
        "mirror.example:5000": { endpoint: ["https://mirror.example:5000"] },
      },
    });
    const plain = parseYaml(renderClusterOutputs(model([mapped("docker.io/library/nginx:1.25")]), [{ type: "k3s", path: "r.yaml" }]).outputs[0]!.files[0]!.content) as { mirrors: Record<string, object> };
    expect(plain.mirrors["docker.io"]).toEqual({ endpoint: ["https://mirror.example:5000"] });
    const mixed = parseYaml(renderClusterOutputs(model(MIXED), [{ type: "k3s", path: "r.yaml" }]).outputs[0]!.files[0]!.content) as { mirrors: Record<string, { rewrite?: Record<string, string> }> };
    expect(mixed.mirrors["docker.io"]?.rewrite).toEqual({ "^library/nginx$": "mke/library/nginx", "^team/sub/app$": "mke/team/sub-app", "^team/sub$": "mke/renamed/sub" });
    // a rule is anchored: it does not catch a longer name
    expect(new RegExp(Object.keys(mixed.mirrors["docker.io"]!.rewrite!)[0]!).test("library/nginx-extra")).toBe(false);
  });

  it("escapes regular-expression characters in repository names", () => {
    const out = renderClusterOutputs(model([mapped("docker.io/a.b/c:1", "x", flatten(2)), mapped("docker.io/a.b:1", "x")]), [{ type: "k3s", path: "r.yaml" }]).outputs[0]!;
    const text = out.files[0]!.content;
    expect(k3sRewrite(text, "docker.io", "a.b/c")).toBe("x/a.b-c");
    expect(k3sRewrite(text, "docker.io", "aXb")).toBe("aXb");
  });

  it("configures the mirror's TLS under configs, and never credentials", () => {
    const out = renderClusterOutputs(model([mapped("docker.io/library/nginx:1.25")], { tls: { caFile: "/etc/ca.pem", insecureSkipVerify: true } }), [{ type: "k3s", path: "r.yaml" }]).outputs[0]!;
    expect((parseYaml(out.files[0]!.content) as { configs: unknown }).configs).toEqual({ "mirror.example:5000": { tls: { ca_file: "/etc/ca.pem", insecure_skip_verify: true } } });
    expect(out.files[0]!.content).not.toContain("auth");
    expect(out.problems).toEqual([expect.objectContaining({ severity: "warning" })]);
    const http = renderClusterOutputs(model([mapped("docker.io/library/nginx:1.25")], { scheme: "http", host: "10.0.0.1:5000" }), [{ type: "k3s", path: "r.yaml" }]).outputs[0]!;
    const doc = parseYaml(http.files[0]!.content) as { mirrors: Record<string, { endpoint: string[] }>; configs?: unknown };
    expect(doc.mirrors["10.0.0.1:5000"]?.endpoint).toEqual(["http://10.0.0.1:5000"]);
    expect(doc.configs).toBeUndefined();
  });
});

describe("containers registries.conf", () => {
  it.each(CASES)("sends every upstream name where apply put it (%s)", (_label, artifacts) => {
    const out = renderClusterOutputs(model(artifacts), [{ type: "registries-conf", path: "registries.conf" }]).outputs[0]!;
    expect(out.problems).toEqual([]);
    const text = out.files[0]!.content;
    expect(text.startsWith(`${GENERATED_MARKER}\n`)).toBe(true);
    expect(text.endsWith("\n")).toBe(true);
    for (const a of artifacts) {
      expect(registriesConfMirror(text, `${a.registry}/${a.repository}:${a.tag}`)).toBe(`mirror.example:5000/${a.targetRepository}:${a.tag}`);
    }
  });

  it("writes [[registry]] with prefix and location and the mirror as [[registry.mirror]]", () => {
    const out = renderClusterOutputs(model([mapped("docker.io/library/nginx:1.25", "mke")]), [{ type: "registries-conf", path: "r.conf" }]).outputs[0]!;
    expect(parseToml(out.files[0]!.content)).toEqual({ registry: [{ prefix: "docker.io", location: "docker.io", mirror: [{ location: "mirror.example:5000/mke" }] }] });
  });

  it("gives renamed repositories and those nested under them entries of their own", () => {
    const doc = parseToml(renderClusterOutputs(model(MIXED), [{ type: "registries-conf", path: "r.conf" }]).outputs[0]!.files[0]!.content) as { registry: { prefix: string }[] };
    expect(doc.registry.map((r) => r.prefix)).toEqual(["docker.io", "docker.io/team/sub", "docker.io/team/sub/app", "quay.io", "registry.k8s.io"]);
  });

  it("marks a plain-HTTP or unverified mirror insecure and says where a CA goes", () => {
    const http = renderClusterOutputs(model([mapped("docker.io/library/nginx:1.25", "mke")], { scheme: "http" }), [{ type: "registries-conf", path: "r.conf" }]).outputs[0]!;
    expect(parseToml(http.files[0]!.content)).toEqual({
      registry: [
        { prefix: "docker.io", location: "docker.io", mirror: [{ location: "mirror.example:5000/mke", insecure: true }] },
        { location: "mirror.example:5000", insecure: true },
      ],
    });
    const ca = renderClusterOutputs(model([mapped("docker.io/library/nginx:1.25")], { tls: { caFile: "/x/ca.pem" } }), [{ type: "registries-conf", path: "r.conf" }]).outputs[0]!;
    expect(ca.files[0]!.content).not.toContain("insecure");
    expect(ca.problems[0]?.message).toContain("/etc/containers/certs.d/mirror.example:5000/ca.crt");
  });
});
