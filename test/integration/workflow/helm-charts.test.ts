/**
 * Charts from a classic Helm repository (index.yaml + .tgz served by nginx)
 * mirrored into a real registry as OCI charts, and carried across the gap
 * in a bundle: the chart archive is the layer, Chart.yaml the config.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { parse as parseYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startNginxDav, type RunningNginx } from "../../harness/nginx.js";
import { startRegistry, type RunningRegistry } from "../../harness/registry.js";
import { inspectRaw } from "../../harness/skopeo.js";
import { ustar } from "../../harness/tar.js";
import { createWorkspace, type Workspace } from "./workflow.js";

const chart = gzipSync(
  ustar([
    { name: "mychart", type: "dir" },
    { name: "mychart/Chart.yaml", type: "file", data: Buffer.from("apiVersion: v2\nname: mychart\nversion: 1.2.3\nappVersion: \"4.5\"\ndescription: A test chart\n") },
    { name: "mychart/values.yaml", type: "file", data: Buffer.from("replicas: 1\n") },
  ]),
);
const sha256 = createHash("sha256").update(chart).digest("hex");

let nginx: RunningNginx;
let mirror: RunningRegistry;
let far: RunningRegistry;
const workspaces: Workspace[] = [];

/** A classic Helm repository on its own nginx, holding mychart 1.2.3. */
async function startChartRepository(): Promise<RunningNginx> {
  const server = await startNginxDav();
  const put = async (path: string, body: Buffer | string) => {
    const res = await server.fetch(path, { method: "PUT", body });
    if (res.status !== 201 && res.status !== 204) throw new Error(`PUT ${path}: ${res.status}`);
  };
  await put("/stable/charts/mychart-1.2.3.tgz", chart);
  await put(
    "/stable/index.yaml",
    `apiVersion: v1\nentries:\n  mychart:\n    - name: mychart\n      version: 1.2.3\n      urls: ["charts/mychart-1.2.3.tgz"]\n      digest: ${sha256}\n    - name: mychart\n      version: 1.1.0\n      urls: ["charts/mychart-1.1.0.tgz"]\n`,
  );
  return server;
}

beforeAll(async () => {
  [nginx, mirror, far] = await Promise.all([startChartRepository(), startRegistry(), startRegistry()]);
});
afterAll(async () => {
  await Promise.all([nginx?.stop(), mirror?.stop(), far?.stop()]);
  for (const ws of workspaces) ws.remove();
});

const config = (registryUrl: string, repositoryUrl = nginx.url) => `apiVersion: airgap/v1
sources:
  charts: { type: helm, url: "${repositoryUrl}/stable" }
registries:
  mirror: { provider: oci, url: "${registryUrl}" }
bundles:
  platform:
    registry: mirror
    path: mke
    charts:
      - { source: charts, name: mychart, version: 1.2.x }
`;

describe("Helm repository charts", () => {
  it("mirror into an OCI registry as OCI charts, and travel in a bundle", async () => {
    const ws = createWorkspace("helm");
    workspaces.push(ws);
    // Its own chart repository, because this test stops it to show the far side never needs it.
    const upstream = await startChartRepository();
    ws.writeConfig(config(mirror.url, upstream.url));
    expect((await ws.run(["lock"])).code).toBe(0);
    const apply = await ws.run(["apply", "--auto-approve"]);
    expect(apply.stderr).toContain("Apply complete: 1 done, 0 failed");
    const raw = await inspectRaw(`docker://${mirror.host}/mke/mychart:1.2.3`, { tlsVerify: false });
    const manifest = JSON.parse(raw.bytes.toString("utf8")) as { config: { mediaType: string }; layers: { mediaType: string; digest: string }[] };
    expect(manifest.config.mediaType).toBe("application/vnd.cncf.helm.config.v1+json");
    expect(manifest.layers).toEqual([expect.objectContaining({ mediaType: "application/vnd.cncf.helm.chart.content.v1.tar+gzip", digest: `sha256:${sha256}` })]);
    expect((await ws.run(["plan", "--detailed-exitcode"])).code).toBe(0);

    // across the gap: the chart repository is gone on the far side
    expect((await ws.run(["bundle", "-o", "site.tar"])).code).toBe(0);
    await upstream.stop();
    ws.writeConfig(config(far.url, upstream.url));
    const fromBundle = await ws.run(["apply", "--from", "site.tar", "--auto-approve"]);
    expect(fromBundle.stderr).toContain("Apply complete: 1 done, 0 failed");
    const landed = await inspectRaw(`docker://${far.host}/mke/mychart:1.2.3`, { tlsVerify: false });
    expect(landed.digest).toBe(raw.digest);
  });

  it("read a private repository with the source's credentials, which never reach the lock", async () => {
    const guarded = await startNginxDav({ basicAuth: { username: "reader", password: "s3cret-pass" } });
    const ws = createWorkspace("helm-auth");
    workspaces.push(ws);
    try {
      const auth = `Basic ${Buffer.from("reader:s3cret-pass").toString("base64")}`;
      for (const [path, body] of [["/stable/charts/mychart-1.2.3.tgz", chart], ["/stable/index.yaml", `apiVersion: v1\nentries:\n  mychart:\n    - name: mychart\n      version: 1.2.3\n      urls: ["charts/mychart-1.2.3.tgz"]\n`]] as const) {
        const res = await guarded.fetch(path, { method: "PUT", body, headers: { authorization: auth } });
        expect([201, 204]).toContain(res.status);
      }
      ws.writeConfig(
        config(mirror.url).replace("path: mke", "path: private").replace(`charts: { type: helm, url: "${nginx.url}/stable" }`, `charts: { type: helm, url: "${guarded.url}/stable", credentials: { username: reader, password: "\${CHART_PASSWORD}" } }`),
      );
      const denied = await ws.run(["lock"], { env: { CHART_PASSWORD: "wrong" } });
      expect(denied.code).toBe(1);
      expect(denied.stderr).toMatch(/401/);
      const lock = await ws.run(["lock"], { env: { CHART_PASSWORD: "s3cret-pass" } });
      expect(lock.code).toBe(0);
      const apply = await ws.run(["apply", "--auto-approve"], { env: { CHART_PASSWORD: "s3cret-pass" } });
      expect(apply.stderr).toContain("Apply complete: 1 done, 0 failed");
      const written = readFileSync(join(ws.dir, "airgap.lock"), "utf8");
      expect(written).toContain("mychart");
      expect(written).not.toContain("s3cret-pass");
      expect(denied.stderr + lock.stderr + apply.stderr + apply.stdout).not.toContain("s3cret-pass");
    } finally {
      await guarded.stop();
    }
  });

  it("sent to a file server, form a Helm HTTP repository whose index.yaml is kept current, from a Helm repository and from an OCI chart", async () => {
    const ws = createWorkspace("helm-fileserver");
    workspaces.push(ws);
    const files = await startNginxDav();
    try {
      // The OCI chart: the Helm repository's chart mirrored into the registry as an OCI chart first.
      const seed = createWorkspace("helm-fileserver-seed");
      workspaces.push(seed);
      seed.writeConfig(config(mirror.url));
      expect((await seed.run(["apply", "--auto-approve"])).code).toBe(0);
      ws.writeConfig(`apiVersion: airgap/v1
sources:
  charts: { type: helm, url: "${nginx.url}/stable" }
  oci: { type: registry, host: "${mirror.host}", url: "${mirror.url}" }
registries:
  files: { provider: fileserver, url: "${files.url}" }
bundles:
  repo:
    registry: files
    path: helm/stable
    charts:
      - { source: charts, name: mychart, version: 1.2.x }
`);
      const locked = await ws.run(["lock"]);
      expect(locked.code, locked.stderr).toBe(0);
      const plan = await ws.run(["plan"]);
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.stdout).toMatch(/files \(files\)\n\s+\+ helm\/stable\/mychart-1\.2\.3\.tgz/);
      const apply = await ws.run(["apply", "--auto-approve"]);
      expect(apply.stderr).toContain("Apply complete: 1 done, 0 failed");
      expect(readFileSync(join(files.root, "helm/stable/mychart-1.2.3.tgz"))).toEqual(chart);
      const index = readFileSync(join(files.root, "helm/stable/index.yaml"), "utf8");
      expect(index).toMatch(/apiVersion: v1/);
      expect(index).toContain(`digest: ${sha256}`);
      const parsed = parseYaml(index) as { entries: Record<string, { version: string; urls: string[]; digest: string }[]> };
      expect(parsed.entries["mychart"]).toEqual([expect.objectContaining({ version: "1.2.3", urls: ["mychart-1.2.3.tgz"], digest: sha256 })]);
      const again = await ws.run(["plan", "--detailed-exitcode"]);
      expect(again.stdout).toMatch(/No changes\. 1 object up to date\./);

      // An OCI chart into the same repository: the index keeps the first and gains the second.
      ws.writeConfig(`apiVersion: airgap/v1
sources:
  charts: { type: helm, url: "${nginx.url}/stable" }
  oci: { type: registry, host: "${mirror.host}", url: "${mirror.url}" }
registries:
  files: { provider: fileserver, url: "${files.url}" }
bundles:
  repo:
    registry: files
    path: helm/stable
    charts:
      - { source: charts, name: mychart, version: 1.2.x }
  oci:
    registry: files
    path: helm/stable
    charts:
      - oci://${mirror.host}/mke/mychart:1.2.3
`);
      const relocked = await ws.run(["lock"]);
      expect(relocked.code, relocked.stderr).toBe(0);
      const both = await ws.run(["plan", "--detailed-exitcode"]);
      // The same archive (same name, version and digest) from another source: already in the repository.
      expect(both.code, both.stderr + both.stdout).toBe(0);
    } finally {
      await files.stop();
    }
  });
});
