/**
 * The cluster outputs, proven with the real clients. The built CLI mirrors
 * an upstream registry into a TLS target (docker.io names through a source
 * URL, with a path prefix; a host:port registry with the host kept) and into
 * an OCI layout. The outputs are then rendered from the same config and lock
 * (buildClusterModel → renderClusterOutputs → planOutputFiles →
 * writeOutputChange, as plan/apply will), the upstream is stopped, and:
 * real containerd pulls the upstream names through the generated hosts.toml
 * (`ctr images pull --hosts-dir`), skopeo resolves them through the
 * generated registries.conf, and containerd imports the layout under the
 * upstream names (`ctr images import`, what k0s does with <data-dir>/images).
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildClusterModel, planOutputFiles, readCurrentOutputs, renderClusterOutputs, writeOutputChange, type ClusterRendering } from "../../../src/cluster/index.js";
import { loadConfig } from "../../../src/config/load.js";
import { normalizeConfig } from "../../../src/config/normalize.js";
import { createProviderCatalog } from "../../../src/providers/catalog.js";
import { withoutReferrers, desiredContent } from "../../../src/desired/desired-state.js";
import { readLockFile } from "../../../src/lock/file.js";
import { startContainerd, type RunningContainerd } from "../../harness/containerd.js";
import { generateImages, pushImages } from "../../harness/images.js";
import { startRegistry, type RunningRegistry } from "../../harness/registry.js";
import { inspectRaw } from "../../harness/skopeo.js";
import { createWorkspace, type Workspace } from "../workflow/workflow.js";

const images = generateImages("cluster-outputs", [
  { repository: "library/hello", tags: ["1.0"], format: "oci" },
  { repository: "team/app", tags: ["v1"], format: "docker" },
]);
const hello = images.get("library/hello", "1.0");
const app = images.get("team/app", "v1");

let upstream: RunningRegistry;
let target: RunningRegistry;
let containerd: RunningContainerd;
let ws: Workspace;
let upstreamHost: string;
let rendered: ClusterRendering;

function config(): string {
  return `apiVersion: airgap/v1
sources:
  hub: { type: registry, host: docker.io, url: "${upstream.url}" }
  local: { type: registry, host: "${upstream.host}", url: "${upstream.url}" }
registries:
  mirror: { provider: oci, url: "${target.url}", tls: { caFile: "${target.caFile!}" } }
  layout: { provider: oci-layout, path: ./image-bundle }
bundles:
  hub:
    registry: mirror
    path: mke
    images: [docker.io/library/hello:1.0]
  local:
    registry: mirror
    path: mirror
    naming: { host: keep }
    images: ["${upstream.host}/team/app:v1"]
  k0s-bundle:
    registry: layout
    naming: { host: keep }
    images: [docker.io/library/hello:1.0]
cluster:
  registry: mirror
  bundles: [hub, local]
  outputs:
    - { type: containerd, path: out/certs.d }
    - { type: registries-conf, path: out/registries.conf }
    - { type: image-list, path: out/images.txt }
`;
}

/** Renders and plans the cluster outputs exactly as plan will: from the config, the lock and the apply mapping. */
async function renderAndPlan() {
  const loaded = await loadConfig({ file: join(ws.dir, "airgap.yaml"), env: {}, providers: createProviderCatalog(ws.dir) });
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
  const normalized = normalizeConfig(loaded.loaded.config, loaded.loaded.baseDir);
  const lock = await readLockFile(join(ws.dir, "airgap.lock"));
  if (!lock.found) throw new Error("no airgap.lock");
  const { content, problems } = desiredContent(normalized, lock.lock);
  expect(problems).toEqual([]);
  const built = buildClusterModel(normalized, withoutReferrers(content));
  if (!built.ok) throw new Error(built.message);
  const result = renderClusterOutputs(built.model, normalized.cluster!.outputs);
  return { result, changes: planOutputFiles(result.outputs, await readCurrentOutputs(ws.dir, result.outputs)) };
}

beforeAll(async () => {
  [upstream, target, containerd] = await Promise.all([startRegistry(), startRegistry({ tls: true }), startContainerd()]);
  upstreamHost = upstream.host;
  await pushImages(upstream, images);
  ws = createWorkspace("cluster");
  ws.writeConfig(config());
  const lock = await ws.run(["lock"]);
  expect(lock.code, lock.stderr).toBe(0);
  const apply = await ws.run(["apply", "--auto-approve"]);
  // Three images, and the cluster outputs the config declares (apply writes them too).
  expect(apply.stderr).toMatch(/Apply complete: 8 done, 0 failed/);
  const first = await renderAndPlan();
  rendered = first.result;
  for (const change of first.changes) await writeOutputChange(ws.dir, change);
  // From here on the upstream is gone: its port is dead, and docker.io cannot be reached from here.
  await upstream.stop();
}, 180_000);
afterAll(async () => {
  await Promise.all([upstream?.stop(), target?.stop(), containerd?.stop()]);
  ws?.remove();
});

describe("cluster outputs with real clients", () => {
  it("renders what was asked, and planning again finds nothing to change", async () => {
    expect(rendered.problems).toEqual([]);
    for (const output of rendered.outputs) expect(output.problems.filter((p) => p.severity === "error")).toEqual([]);
    expect(await readFile(join(ws.dir, "out/images.txt"), "utf8")).toBe(`${target.host}/mirror/${upstreamHost.replace(":", "-")}/team/app:v1\n${target.host}/mke/library/hello:1.0\n`);
    const again = await renderAndPlan();
    expect(again.changes.map((c) => c.action)).toEqual(again.changes.map(() => "no-op"));
    expect(again.changes.length).toBeGreaterThanOrEqual(5);
  });

  it("containerd pulls docker.io/library/hello:1.0 through hosts.toml from mirror/mke over TLS with the CA, and nothing else", async () => {
    const before = (await target.readLog()).length;
    const pulled = await containerd.pull("docker.io/library/hello:1.0", { hostsDir: join(ws.dir, "out/certs.d"), namespace: "hub" });
    expect(pulled.code, pulled.stderr).toBe(0);
    const listed = await containerd.listImages("hub");
    expect(listed.map((i) => [i.name, i.digest])).toEqual([["docker.io/library/hello:1.0", hello.root.digest]]);
    expect((await containerd.checkImages("hub")).map((c) => c.status)).toEqual(["complete"]);
    const log = (await target.readLog()).slice(before);
    // containerd names the upstream it mirrors in `ns`
    expect(log).toMatch(/"(GET|HEAD) \/v2\/mke\/library\/hello\/manifests\/1\.0\?ns=docker\.io HTTP/);
    expect(log).not.toMatch(/\/v2\/library\/hello\//);
  });

  it("containerd pulls a host:port upstream, host kept, while that upstream's port is dead", async () => {
    const name = `${upstreamHost}/team/app:v1`;
    // the control: without the generated hosts.toml the upstream cannot answer, so nothing can fall back to it
    const direct = await containerd.pull(name, { hostsDir: join(ws.dir, "no-such-dir"), namespace: "control" });
    expect(direct.code).not.toBe(0);
    expect(direct.stderr).toMatch(/connection refused|connect:/);

    const before = (await target.readLog()).length;
    const pulled = await containerd.pull(name, { hostsDir: join(ws.dir, "out/certs.d"), namespace: "local" });
    expect(pulled.code, pulled.stderr).toBe(0);
    expect((await containerd.listImages("local")).map((i) => [i.name, i.digest])).toEqual([[name, app.root.digest]]);
    const log = (await target.readLog()).slice(before);
    expect(log).toContain(`/v2/mirror/${upstreamHost.replace(":", "-")}/team/app/manifests/v1?ns=${encodeURIComponent(upstreamHost)}`);
  });

  it("skopeo resolves both upstream names through the generated registries.conf", async () => {
    const registriesConf = await readFile(join(ws.dir, "out/registries.conf"), "utf8");
    const viaHub = await inspectRaw("docker://docker.io/library/hello:1.0", { certDir: target.certDir!, registriesConf });
    expect(viaHub.digest).toBe(hello.root.digest);
    const viaLocal = await inspectRaw(`docker://${upstreamHost}/team/app:v1`, { certDir: target.certDir!, registriesConf });
    expect(viaLocal.digest).toBe(app.root.digest);
    // the control: with no mirror configured the same names cannot be resolved
    await expect(inspectRaw(`docker://${upstreamHost}/team/app:v1`, { certDir: target.certDir!, timeoutMs: 30_000 })).rejects.toThrow(/connection refused|connect/);
  });

  it("an OCI layout target with the host kept imports into containerd under the upstream names (examples/k0s/README.md)", async () => {
    // exactly what the README tells k0s users to run
    const tar = join(ws.dir, "k0s-airgap-bundle.tar");
    await promisify(execFile)("tar", ["-C", join(ws.dir, "image-bundle"), "-cf", tar, "."]);
    const imported = await containerd.importArchive(tar, { namespace: "k0s", allPlatforms: true });
    expect(imported.names).toEqual(["docker.io/library/hello:1.0"]);
    const checked = await containerd.checkImages("k0s");
    expect(checked.map((c) => [c.name, c.status])).toEqual([["docker.io/library/hello:1.0", "complete"]]);
  });
});
