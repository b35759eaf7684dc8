import { describe, expect, it } from "vitest";
import { GENERATED_MARKER, renderClusterOutputs } from "../../../src/cluster/index.js";
import type { ContainerdOutput } from "../../../src/config/generated/airgap-config.js";
import { flatten, keepHost, mapped, model, PLATFORM } from "./fixtures.js";
import { containerdPullUrl, parseToml } from "./parsers.js";

function render(m: ReturnType<typeof model>, output: Partial<ContainerdOutput> = {}) {
  const result = renderClusterOutputs(m, [{ type: "containerd", path: "out/certs.d", ...output }]).outputs[0]!;
  return { ...result, byPath: new Map(result.files.map((f) => [f.path, f.content])) };
}

describe("containerd hosts.toml", () => {
  it("writes one hosts.toml per upstream registry and one for the mirror, sorted, each parsed by a real TOML parser", () => {
    const out = render(model(PLATFORM.map((r) => mapped(r, "mke"))));
    expect(out.problems).toEqual([]);
    expect(out.files.map((f) => f.path)).toEqual([
      "out/certs.d/docker.io/hosts.toml",
      "out/certs.d/mirror.example:5000/hosts.toml",
      "out/certs.d/quay.io/hosts.toml",
      "out/certs.d/registry.k8s.io/hosts.toml",
    ]);
    for (const f of out.files) {
      expect(f.content.startsWith(`${GENERATED_MARKER}\n`)).toBe(true);
      expect(f.content.endsWith("\n")).toBe(true);
      parseToml(f.content);
    }
    expect(out.directory).toEqual({ root: "out/certs.d", pattern: "*/hosts.toml" });
  });

  it("points docker.io at the mirror under its path prefix with override_path, Docker Hub's API host as the server", () => {
    const out = render(model(PLATFORM.map((r) => mapped(r, "mke"))));
    expect(parseToml(out.byPath.get("out/certs.d/docker.io/hosts.toml")!)).toEqual({
      server: "https://registry-1.docker.io",
      host: { "https://mirror.example:5000/v2/mke": { capabilities: ["pull", "resolve"], override_path: true } },
    });
    expect(parseToml(out.byPath.get("out/certs.d/quay.io/hosts.toml")!)).toMatchObject({ server: "https://quay.io" });
    // the mirror's own file carries no mirror, only how to reach it
    expect(parseToml(out.byPath.get("out/certs.d/mirror.example:5000/hosts.toml")!)).toEqual({ server: "https://mirror.example:5000" });
  });

  it("sends every upstream name exactly where apply put it (mirror/mke/library/nginx)", () => {
    for (const [path, policy] of [["mke", undefined], [undefined, undefined], ["mirror/mke", keepHost], [undefined, keepHost], ["mke", flatten(5)]] as const) {
      const artifacts = PLATFORM.map((r) => mapped(r, path, policy));
      const out = render(model(artifacts));
      expect(out.problems).toEqual([]);
      for (const a of artifacts) {
        const url = containerdPullUrl(out.byPath.get(`out/certs.d/${a.registry}/hosts.toml`)!, `${a.repository}/manifests/${a.tag}`);
        expect(url).toBe(`https://mirror.example:5000/v2/${a.targetRepository}/manifests/${a.tag}`);
      }
    }
  });

  it("needs no override_path when the mirror keeps upstream paths", () => {
    const out = render(model([mapped("docker.io/library/nginx:1.25")]));
    expect(parseToml(out.byPath.get("out/certs.d/docker.io/hosts.toml")!)).toEqual({
      server: "https://registry-1.docker.io",
      host: { "https://mirror.example:5000": { capabilities: ["pull", "resolve"] } },
    });
    const forced = render(model([mapped("docker.io/library/nginx:1.25")]), { overridePath: true });
    expect(parseToml(forced.byPath.get("out/certs.d/docker.io/hosts.toml")!)).toMatchObject({ host: { "https://mirror.example:5000/v2": { override_path: true } } });
  });

  it("refuses overridePath: false when a prefix is needed", () => {
    const out = render(model([mapped("docker.io/library/nginx:1.25", "mke")]), { overridePath: false });
    expect(out.files).toEqual([]);
    expect(out.problems[0]?.message).toMatch(/override_path/);
  });

  it("names the CA and skip_verify only as configured, on every file", () => {
    const withCa = render(model([mapped("docker.io/library/nginx:1.25", "mke")], { tls: { caFile: "/home/me/ca.pem" } }), { caFile: "/etc/k0s/ca.pem" });
    expect(withCa.problems).toEqual([]);
    expect(parseToml(withCa.byPath.get("out/certs.d/docker.io/hosts.toml")!)).toMatchObject({ host: { "https://mirror.example:5000/v2/mke": { ca: "/etc/k0s/ca.pem" } } });
    expect(parseToml(withCa.byPath.get("out/certs.d/mirror.example:5000/hosts.toml")!)).toEqual({ server: "https://mirror.example:5000", ca: "/etc/k0s/ca.pem" });
    for (const f of withCa.files) expect(f.content).not.toContain("skip_verify");

    // the registry's own caFile, with a warning that it is this machine's path
    const local = render(model([mapped("docker.io/library/nginx:1.25")], { tls: { caFile: "/home/me/ca.pem" } }));
    expect(parseToml(local.byPath.get("out/certs.d/docker.io/hosts.toml")!)).toMatchObject({ host: { "https://mirror.example:5000": { ca: "/home/me/ca.pem" } } });
    expect(local.problems).toEqual([expect.objectContaining({ severity: "warning", message: expect.stringContaining("set `caFile`") })]);

    const skip = render(model([mapped("docker.io/library/nginx:1.25")], { tls: { insecureSkipVerify: true } }));
    expect(parseToml(skip.byPath.get("out/certs.d/docker.io/hosts.toml")!)).toMatchObject({ host: { "https://mirror.example:5000": { skip_verify: true } } });
    const off = render(model([mapped("docker.io/library/nginx:1.25")], { tls: { insecureSkipVerify: true } }), { skipVerify: false });
    expect(off.files.some((f) => f.content.includes("skip_verify"))).toBe(false);
  });

  it("reaches a plain-HTTP mirror over http and never writes TLS settings for it", () => {
    const out = render(model([mapped("127.0.0.1:5001/team/app:v1", "mirror", keepHost)], { host: "127.0.0.1:5002", scheme: "http", tls: { caFile: "/x.pem" } }, { "127.0.0.1:5001": "http://127.0.0.1:5001" }));
    expect(parseToml(out.byPath.get("out/certs.d/127.0.0.1:5001/hosts.toml")!)).toEqual({
      server: "http://127.0.0.1:5001",
      host: { "http://127.0.0.1:5002/v2/mirror/127.0.0.1-5001": { capabilities: ["pull", "resolve"], override_path: true } },
    });
    expect(parseToml(out.byPath.get("out/certs.d/127.0.0.1:5002/hosts.toml")!)).toEqual({ server: "http://127.0.0.1:5002" });
    expect(out.problems).toEqual([]);
  });

  it("puts the endpoint's namespace in front of every path", () => {
    const out = render(model([mapped("docker.io/library/nginx:1.25", "mke")], { host: "proxy.internal", namespace: "docker-remote" }));
    expect(parseToml(out.byPath.get("out/certs.d/docker.io/hosts.toml")!)).toMatchObject({ host: { "https://proxy.internal/v2/docker-remote/mke": { override_path: true } } });
  });

  it("reports flattened or renamed repositories as not representable and writes nothing", () => {
    const flat = render(model([mapped("docker.io/library/nginx:1.25", "mke", flatten(2)), mapped("docker.io/library/redis:7", "mke")]));
    expect(flat.files).toEqual([]);
    expect(flat.problems).toHaveLength(1);
    expect(flat.problems[0]?.severity).toBe("error");
    expect(flat.problems[0]?.message).toContain("docker.io/library/nginx → mke/library-nginx");
    const renamed = render(model([mapped("docker.io/library/nginx:1.25", "mke", undefined, { as: "web/nginx" })]));
    expect(renamed.problems[0]?.message).toContain("docker.io/library/nginx → mke/web/nginx");
    expect(renamed.problems[0]?.message).toContain("`k3s` or `registries-conf`");
  });

  it("ignores charts (helm pulls them, not containerd) and escapes nothing it need not", () => {
    const out = render(model([mapped("docker.io/library/nginx:1.25", "mke"), mapped("ghcr.io/charts/x:1.0.0", "other/place", undefined, { kind: "chart" })]));
    expect(out.files.map((f) => f.path)).toEqual(["out/certs.d/docker.io/hosts.toml", "out/certs.d/mirror.example:5000/hosts.toml"]);
  });
});
