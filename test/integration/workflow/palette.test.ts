/**
 * The shipped Palette example (examples/palette: Harbor with two projects,
 * OCI packs, manifests on a file server) planned and applied with the built
 * CLI against the spec-built Harbor (real distribution registry behind /v2,
 * HTTPS with its own CA) and a real nginx WebDAV file server. Only the
 * addresses change: upstream hosts are served by a local registry through
 * `sources`, the manifests by a local nginx. The plan shows the projects as
 * prerequisites, apply creates them with their visibility, lands every
 * image, pack and file, and a rerun has nothing to do.
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEcr, type EcrServer } from "../../harness/ecr-server.js";
import { startHarbor, type HarborServer } from "../../harness/harbor-server.js";
import { generateImages, pushImages } from "../../harness/images.js";
import { startNginxDav, type RunningNginx } from "../../harness/nginx.js";
import { startRegistry, type RunningRegistry } from "../../harness/registry.js";
import { ustar } from "../../harness/tar.js";
import { createWorkspace, type Workspace } from "./workflow.js";

const EXAMPLE = new URL("../../../examples/palette/airgap.yaml", import.meta.url).pathname;
const ECR_EXAMPLE = new URL("../../../examples/palette-ecr/airgap.yaml", import.meta.url).pathname;
const images = generateImages("wf-palette", [
  { repository: "kindest/kindnetd", tags: ["v20230227-15197099"], format: "docker" },
  { repository: "cloud-provider-vsphere/cpi/release/manager", tags: ["v1.22.8"], format: "oci" },
  { repository: "kube-apiserver", tags: ["v1.27.2"], format: "oci", platforms: [{ os: "linux", architecture: "amd64" }, { os: "linux", architecture: "arm64" }] },
]);

let upstream: RunningRegistry;
let behindHarbor: RunningRegistry;
let harbor: HarborServer;
let behindEcr: RunningRegistry;
let ecr: EcrServer;
let files: RunningNginx;
let origin: RunningNginx;
let ws: Workspace | undefined;
const manifestsZip = Buffer.from("PK\u0005\u0006" + "\u0000".repeat(18)); // an empty zip archive

/** Pushes a Helm chart as an OCI artifact (Helm's media types), as `helm push` would. */
async function pushChart(registry: RunningRegistry, repository: string, version: string): Promise<void> {
  const name = repository.split("/").pop()!;
  const tgz = gzipSync(ustar([{ name: `${name}/Chart.yaml`, type: "file", data: Buffer.from(`apiVersion: v2\nname: ${name}\nversion: ${version}\n`) }]));
  const config = Buffer.from(JSON.stringify({ name, version, apiVersion: "v2" }));
  const digest = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
  for (const blob of [tgz, config]) {
    const start = await registry.fetch(`/v2/${repository}/blobs/uploads/`, { method: "POST" });
    const location = new URL(start.headers.get("location")!, registry.url);
    location.searchParams.set("digest", digest(blob));
    const put = await registry.fetch(`${location.pathname}${location.search}`, { method: "PUT", body: new Uint8Array(blob), headers: { "content-type": "application/octet-stream" } });
    expect(put.status).toBe(201);
  }
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.cncf.helm.config.v1+json", digest: digest(config), size: config.length },
      layers: [{ mediaType: "application/vnd.cncf.helm.chart.content.v1.tar+gzip", digest: digest(tgz), size: tgz.length }],
    }),
  );
  const put = await registry.fetch(`/v2/${repository}/manifests/${version}`, { method: "PUT", body: new Uint8Array(manifest), headers: { "content-type": "application/vnd.oci.image.manifest.v1+json" } });
  expect(put.status).toBe(201);
}

beforeAll(async () => {
  [upstream, behindHarbor, files, origin] = await Promise.all([startRegistry(), startRegistry(), startNginxDav({ basicAuth: { username: "publisher", password: "files-secret" } }), startNginxDav()]);
  harbor = await startHarbor({ registry: behindHarbor, tls: true });
  behindEcr = await startRegistry();
  ecr = await startEcr({ registry: behindEcr });
  await pushImages(upstream, images);
  await pushChart(upstream, "packs/cni-calico", "3.25.1");
  await pushChart(upstream, "packs/csi-longhorn", "1.4.1");
  writeFileSync(join(origin.root, "spectro-manifests-4.0.17.zip"), manifestsZip);
});

afterAll(async () => {
  await Promise.all([harbor?.stop(), ecr?.stop()]);
  await Promise.all([upstream?.stop(), behindHarbor?.stop(), behindEcr?.stop(), files?.stop(), origin?.stop()]);
  ws?.remove();
});

/** The example with local addresses: every upstream host served by the local registry. */
function localExample(): string {
  const text = readFileSync(EXAMPLE, "utf8");
  const sources = ["docker.io", "gcr.io", "registry.k8s.io", "registry.spectrocloud.example"].map((host) => `  ${host.replace(/\./g, "-")}: { type: registry, host: ${host}, url: "${upstream.url}" }`).join("\n");
  return text
    .replace("sources:\n", `sources:\n${sources}\n`)
    .replace("https://software.example.com/palette/manifests", origin.url)
    .replace("https://harbor.example.internal", harbor.url)
    .replace("${HARBOR_CA_FILE}", harbor.caFile!)
    .replace("https://files.example.internal/palette", `${files.url}/palette`)
    .replace(/sha256: [0-9a-f]{64}/, `sha256: ${createHash("sha256").update(manifestsZip).digest("hex")}`);
}

describe("the palette example on Harbor and a file server", () => {
  it("plans the projects as prerequisites, applies everything, and a rerun has nothing to do", async () => {
    ws = createWorkspace("palette");
    ws.writeConfig(localExample());
    const env = { HARBOR_USER: harbor.admin.username, HARBOR_PASSWORD: harbor.admin.password, FILES_USER: "publisher", FILES_PASSWORD: "files-secret" };
    const validate = await ws.run(["validate"], { env });
    expect(validate.code, validate.stderr).toBe(0);
    const lock = await ws.run(["lock"], { env });
    expect(lock.code, lock.stderr).toBe(0);

    const plan = await ws.run(["plan", "-out", "plan.json"], { env });
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain("harbor (prerequisites)");
    expect(plan.stdout).toMatch(/\+ \["project spectro-images"\]|spectro-images/);
    expect(plan.stdout).toMatch(/Plan: 8 to add, 0 to change, 0 to destroy\./); // 2 projects, 3 images, 2 packs, 1 file
    expect(plan.stdout + plan.stderr).not.toContain(harbor.admin.password);

    const apply = await ws.run(["apply", "plan.json"], { env });
    expect(apply.stderr).toContain("Apply complete: 8 done, 0 failed");
    expect(apply.code).toBe(0);
    expect(harbor.project("spectro-images")?.metadata).toMatchObject({ public: "true" });
    expect(harbor.project("spectro-packs")?.metadata).toMatchObject({ public: "false" });
    expect(harbor.project("spectro-packs")?.storageLimit).toBe(200 * 1024 ** 3);
    expect(readFileSync(join(files.root, "palette/manifests/spectro-manifests-4.0.17.zip"))).toEqual(manifestsZip);

    const again = await ws.run(["plan", "--detailed-exitcode"], { env });
    expect(again.stdout).toMatch(/No changes\./);
    expect(again.code).toBe(0);
  });

  it("refuses at plan time a plan that needs more bytes than a project's quota leaves, naming the project", async () => {
    const small = createWorkspace("palette-quota");
    try {
      small.writeConfig(localExample().replace("spectro-packs: { public: false, storageLimit: 200GiB }", "small-packs: { public: false, storageLimit: 1KiB }").replace("path: spectro-packs", "path: small-packs"));
      const env = { HARBOR_USER: harbor.admin.username, HARBOR_PASSWORD: harbor.admin.password, FILES_USER: "publisher", FILES_PASSWORD: "files-secret" };
      expect((await small.run(["lock"], { env })).code).toBe(0);
      const plan = await small.run(["plan"], { env });
      expect(plan.code).toBe(1);
      expect(plan.stderr).toMatch(/registry harbor.*small-packs/);
      expect(plan.stderr).toMatch(/quota|storage limit/i);
      expect(harbor.project("small-packs")).toBeUndefined();
    } finally {
      small.remove();
    }
  });
});

describe("the palette-ecr example on ECR and a directory", () => {
  it("creates every repository first (one per nested path), applies with a token from the AWS credential chain, and a rerun has nothing to do", async () => {
    const ws2 = createWorkspace("palette-ecr");
    try {
      const sources = ["docker.io", "registry.k8s.io", "registry.spectrocloud.example"].map((host) => `  ${host.replace(/\./g, "-")}: { type: registry, host: ${host}, url: "${upstream.url}" }`).join("\n");
      const text = readFileSync(ECR_EXAMPLE, "utf8")
        .replace("registries:\n", `sources:\n${sources}\n  manifests: { type: http, url: "${origin.url}" }\n\nregistries:\n`)
        .replace('registryId: "123456789012"', `registryId: "${ecr.accountId}"\n    url: ${ecr.registryUrl}\n    endpoint: ${ecr.apiUrl}`)
        .replace("path: /srv/www/palette", "path: ./www")
        .replace("https://software.example.com/palette/manifests/spectro-manifests-4.0.17.zip", `${origin.url}/spectro-manifests-4.0.17.zip`)
        .replace(/sha256: [0-9a-f]{64}/, `sha256: ${createHash("sha256").update(manifestsZip).digest("hex")}`);
      ws2.writeConfig(text);
      // The SDK's default credential chain, from the environment only (no shared files, no instance metadata).
      const env = {
        AWS_ACCESS_KEY_ID: ecr.accessKeyId,
        AWS_SECRET_ACCESS_KEY: ecr.secretAccessKey,
        AWS_CONFIG_FILE: join(ws2.dir, "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE: join(ws2.dir, "no-aws-credentials"),
        AWS_EC2_METADATA_DISABLED: "true",
      };
      expect((await ws2.run(["lock"], { env })).code).toBe(0);
      const plan = await ws2.run(["plan"], { env });
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.stdout).toContain("ecr (prerequisites)");
      expect(plan.stdout).toMatch(/Plan: 7 to add, 0 to change, 0 to destroy\./); // 3 repositories, 2 images, 1 pack, 1 file
      const apply = await ws2.run(["apply", "--auto-approve"], { env });
      expect(apply.stderr).toContain("Apply complete: 7 done, 0 failed");
      // No Node or SDK warning reaches the user (the AWS SDK warns about Node versions it will drop).
      expect(apply.stderr + plan.stderr).not.toMatch(/NodeDeprecationWarning|Warning:/);
      expect(apply.code).toBe(0);
      expect(ecr.repository("spectro-images/kindest/kindnetd")).toMatchObject({ imageTagMutability: "MUTABLE" });
      expect(ecr.apiCalls.filter((c) => c.operation === "CreateRepository").length).toBe(3);
      expect(readFileSync(join(ws2.dir, "www/manifests/spectro-manifests-4.0.17.zip"))).toEqual(manifestsZip);
      const again = await ws2.run(["plan", "--detailed-exitcode"], { env });
      expect(again.stdout).toMatch(/No changes\./);
      expect(again.code).toBe(0);
    } finally {
      ws2.remove();
    }
  });
});
