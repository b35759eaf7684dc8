import { describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { BASE, loadYaml, tempDir } from "../../helpers/config.js";

const bundle = (body: string) => `${BASE}bundles:\n${body}`;

describe("semantic rules", () => {
  it("refuses two entries that land on the same destination tag", async () => {
    const result = await loadYaml(bundle(`  a:
    registry: mirror
    images: [quay.io/x/app:1.0]
  b:
    registry: mirror
    images: [docker.io/x/app:1.0]
`));
    expect(result.ok).toBe(false);
    expect(result.lines.join("\n")).toMatch(/mirror\/x\/app:1\.0 would overwrite what \/bundles\/a\/images\/0 puts there \(quay\.io\/x\/app:1\.0\)/);
  });

  it("only warns when the same image is listed twice", async () => {
    const result = await loadYaml(bundle(`  a:
    registry: mirror
    images: [nginx:1.25, docker.io/library/nginx:1.25]
`));
    expect(result.ok).toBe(true);
    expect(result.lines[0]).toMatch(/warning: mirror\/library\/nginx:1\.25 is listed twice/);
  });

  it("keeps hosts apart with naming.host keep", async () => {
    const result = await loadYaml(bundle(`  a:
    registry: mirror
    naming: { host: keep }
    images: [quay.io/x/app:1.0, docker.io/x/app:1.0]
`));
    expect(result.lines).toEqual([]);
  });

  it("checks tag filters: semver ranges, regexes, one selector", async () => {
    const result = await loadYaml(bundle(`  a:
    registry: mirror
    images:
      - { ref: quay.io/x/a, tags: { semver: "not a range" } }
      - { ref: quay.io/x/b, tags: { regex: "([", exclude: "ok" } }
      - { ref: quay.io/x/c, tags: { glob: "1.*", regex: "^1" } }
      - { ref: "quay.io/x/d:1.0", tags: [a] }
      - { ref: quay.io/x/e, tags: { newest: 3 } }
`));
    const text = result.lines.join("\n");
    expect(text).toMatch(/invalid semver range "not a range"/);
    expect(text).toMatch(/invalid regular expression/);
    expect(text).toMatch(/choose one of `glob`, `regex`/);
    expect(text).toMatch(/with `tags`, `ref` names a repository only/);
    expect(text).not.toMatch(/images\/4/);
  });

  it("sends files only to registries that hold files, and requires a sha256 for downloads", async () => {
    const result = await loadYaml(bundle(`  a:
    files:
      - { url: "https://example.com/f", to: { registry: hub, path: f } }
      - { path: ./local, to: { registry: files, path: g } }
      - { path: ./local, url: "https://x/y", sha256: "${"a".repeat(64)}", to: { registry: disk, path: h } }
`).replace("registries:\n", 'registries:\n  hub: { provider: harbor, url: "https://h" }\n'));
    const text = result.lines.join("\n");
    expect(text).toMatch(/registry `hub` \(provider harbor\) cannot hold files/);
    expect(text).toMatch(/a downloaded file needs its `sha256`/);
    expect(text).toMatch(/exactly one of `url` or `path`/);
  });

  it("requires a Harbor project in the path and warns about undeclared projects", async () => {
    const result = await loadYaml(`apiVersion: airgap/v1
registries:
  h: { provider: harbor, url: "https://h", projects: { images: { public: true } } }
bundles:
  a: { registry: h, images: [nginx:1] }
  b: { registry: h, path: imagse, images: [nginx:2] }
`);
    const text = result.lines.join("\n");
    expect(text).toMatch(/Harbor registry `h`, where every repository lives in a project: set `path`/);
    expect(text).toMatch(/warning: project `imagse` is not declared .*did you mean `images`\?/);
  });

  it("checks cluster references and the kapp-controller image", async () => {
    const result = await loadYaml(`${BASE}bundles:
  a: { registry: mirror, images: [quay.io/x/bundle:1] }
cluster:
  registry: mirror
  bundles: [a, nope]
  outputs:
    - { type: kapp-controller, path: out/repo.yaml, image: quay.io/x/other:1 }
    - { type: image-list, path: out/repo.yaml }
`);
    const text = result.lines.join("\n");
    expect(text).toMatch(/`cluster.bundles` names bundle `nope`/);
    expect(text).toMatch(/"quay.io\/x\/other:1" is not carried by any bundle/);
    expect(text).toMatch(/outputs 0 and 1 both write out\/repo.yaml/);
  });

  it("refuses an unknown provider and suggests a built-in one", async () => {
    const result = await loadYaml("apiVersion: airgap/v1\nregistries:\n  a: { provider: habor, url: \"https://h\" }\n");
    expect(result.lines[0]).toMatch(/unknown provider `habor`.*did you mean `harbor`\?/);
  });

  it("accepts an installed third-party provider package and leaves its settings to its schema", async () => {
    // `vitest` is installed, so it resolves like a plugin package would.
    const result = await loadYaml("apiVersion: airgap/v1\nregistries:\n  a: { provider: vitest, anything: [1, 2] }\n");
    expect(result.lines).toEqual([]);
  });

  it("refuses two registry sources for the same host, and contradictory credentials", async () => {
    const result = await loadYaml(`apiVersion: airgap/v1
sources:
  a: { type: registry, host: quay.io }
  b: { type: registry, host: QUAY.io, credentials: { password: x } }
`);
    const text = result.lines.join("\n");
    expect(text).toMatch(/sources `a` and `b` both configure registry host quay.io/);
    expect(text).toMatch(/a password needs a `username`/);
  });
});

describe("settings airgap cannot honour yet", () => {
  it("warns that client certificates are ignored", async () => {
    const result = await loadYaml('apiVersion: airgap/v1\nregistries:\n  m: { provider: oci, url: "https://m", tls: { certFile: c.pem, keyFile: k.pem } }\n');
    expect(result.ok).toBe(true);
    expect(result.lines).toEqual([expect.stringMatching(/warning: client certificates \(mutual TLS\) are not supported .* ignored \(at \/registries\/m\/tls\/certFile\)/)]);
  });
});

describe("fileserver settings", () => {
  it("accepts client certificates, refuses registry-only credential sources, and says what a directory ignores", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "c.pem"), "-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n");
    writeFileSync(join(dir, "k.pem"), "-----BEGIN PRIVATE KEY-----\nMA==\n-----END PRIVATE KEY-----\n");
    const result = await loadYaml(`apiVersion: airgap/v1
registries:
  web: { provider: fileserver, url: "https://files", tls: { certFile: ${dir}/c.pem, keyFile: ${dir}/k.pem }, credentials: { username: u, password: p } }
  helper: { provider: fileserver, url: "https://files", credentials: { helper: ecr-login } }
  disk: { provider: fileserver, path: ./out, credentials: { username: u, password: p } }
`);
    expect(result.ok).toBe(false);
    expect(result.lines).toEqual([
      expect.stringMatching(/error: a fileserver takes `username`\/`password` .* `dockerConfig` and `helper` are for registries \(at \/registries\/helper\/credentials\)/),
      expect.stringMatching(/warning: a fileserver with `path` is a local directory: its `credentials` and `tls` are not used \(at \/registries\/disk\)/),
    ]);
  });
});

describe("source settings not used yet", () => {
  it("warns about registry mirrors, and helm/http source settings it cannot use, instead of ignoring them silently", async () => {
    const result = await loadYaml(`apiVersion: airgap/v1
sources:
  up: { type: registry, host: quay.io, mirror: ["https://cache.internal"] }
  charts: { type: helm, url: "https://charts.internal", credentials: { token: t }, tls: { caFile: ca.pem } }
`);
    expect(result.ok).toBe(true);
    expect(result.lines.join("\n")).toMatch(/warning: `mirror` is not used by this version/);
    expect(result.lines.join("\n")).toMatch(/warning: helm and http sources use `username` and `password` only/);
    expect(result.lines.join("\n")).toMatch(/warning: `tls` of helm and http sources is not used/);
  });
});
