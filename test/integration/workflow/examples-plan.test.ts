/**
 * Every shipped example that validate accepts also plans: no path ends in
 * "Cannot find module", an internal error or a Node warning. Each example is
 * run with the built CLI as written, with only its addresses changed: every
 * upstream host is served by one local registry holding generated images of
 * the example's own references (through `sources`), each target registry by
 * a real distribution registry (the k0s one over HTTPS with its own CA and
 * Basic auth, so `tls.caFile` and credentials are used), files by nginx, and
 * the MKE bundle by a directory of per-image OCI archives. The palette
 * examples (Harbor, ECR) are planned and applied in palette.test.ts.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalRegistryHost, parseReference } from "../../../src/core/reference.js";
import { mkeArchiveName } from "../../../src/sources/index.js";
import { layoutTarInput, OciLayoutDirectory, writeLayoutTar } from "../../../src/oci/layout/index.js";
import { generateImages, LINUX_AMD64, LINUX_ARM64, pushImages, writeOciLayout, type ImageSpec } from "../../harness/images.js";
import { startNginxDav, type RunningNginx } from "../../harness/nginx.js";
import { startRegistry, type RunningRegistry } from "../../harness/registry.js";
import { ustar } from "../../harness/tar.js";
import { createWorkspace, type CliRun, type Workspace } from "./workflow.js";

const examples = new URL("../../../examples/", import.meta.url).pathname;
const read = (name: string): string => readFileSync(join(examples, name, "airgap.yaml"), "utf8");

let upstream: RunningRegistry;
let plain: RunningRegistry;
let secure: RunningRegistry;
let files: RunningNginx;
let origin: RunningNginx;
const workspaces: Workspace[] = [];

beforeAll(async () => {
  [upstream, plain, secure, files, origin] = await Promise.all([startRegistry(), startRegistry(), startRegistry({ tls: true, auth: "basic" }), startNginxDav(), startNginxDav()]);
});

afterAll(async () => {
  await Promise.all([upstream?.stop(), plain?.stop(), secure?.stop(), files?.stop(), origin?.stop()]);
  for (const ws of workspaces) ws.remove();
});

/** The `host/repository:tag` references written in an example's image lists (strings and `ref:` forms). */
function references(text: string): { host: string; repository: string; tag: string }[] {
  const refs = [...text.matchAll(/^\s+- (?:ref: |\{ ref: |source: [\w-]+\n\s+ref: )?([a-z0-9.-]+\.[a-z]+\/[^\s:,}]+)(?::([\w.-]+))?/gm)];
  return refs.map((m) => {
    const parsed = parseReference(`${m[1]}:${m[2] ?? "latest"}`);
    if (!parsed.ok) throw new Error(`example reference ${m[1]} does not parse`);
    return { host: parsed.reference.registry, repository: parsed.reference.repository, tag: parsed.reference.tag ?? "latest" };
  });
}

/** Generated images for the references, every one for linux/amd64 and linux/arm64 (the examples filter platforms). */
function imagesFor(seed: string, refs: readonly { repository: string; tag: string }[], extraTags: Readonly<Record<string, readonly string[]>> = {}) {
  const byRepository = new Map<string, Set<string>>();
  for (const r of refs) byRepository.set(r.repository, (byRepository.get(r.repository) ?? new Set()).add(r.tag));
  for (const [repository, tags] of Object.entries(extraTags)) byRepository.set(repository, new Set(tags));
  const specs: ImageSpec[] = [...byRepository].flatMap(([repository, tags]) =>
    [...tags].filter((t) => t !== "latest" || tags.size === 1).map((tag): ImageSpec => ({ repository, tags: [tag], format: "oci", platforms: [LINUX_AMD64, LINUX_ARM64], layers: 1, layerSize: 512 })),
  );
  return generateImages(seed, specs);
}

/** A `sources:` entry per upstream host, all served by the local upstream registry. */
function upstreamSources(hosts: Iterable<string>): string {
  return [...new Set([...hosts].map(canonicalRegistryHost))].map((host, i) => `  up-${i}: { type: registry, host: ${host}, url: "${upstream.url}" }`).join("\n");
}

/** Adds the upstream sources to an example's text, under its `sources:` or as a new section. */
function withSources(text: string, sources: string): string {
  return text.includes("\nsources:\n") ? text.replace("\nsources:\n", `\nsources:\n${sources}\n`) : text.replace("\nregistries:\n", `\nsources:\n${sources}\n\nregistries:\n`);
}

/** Pushes a Helm chart as an OCI artifact, as `helm push` does. */
async function pushChart(repository: string, version: string): Promise<void> {
  const name = repository.split("/").pop()!;
  const tgz = gzipSync(ustar([{ name: `${name}/Chart.yaml`, type: "file", data: Buffer.from(`apiVersion: v2\nname: ${name}\nversion: ${version}\n`) }]));
  const config = Buffer.from(JSON.stringify({ name, version, apiVersion: "v2" }));
  const digest = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
  for (const blob of [tgz, config]) {
    const start = await upstream.fetch(`/v2/${repository}/blobs/uploads/`, { method: "POST" });
    const location = new URL(start.headers.get("location")!, upstream.url);
    location.searchParams.set("digest", digest(blob));
    expect((await upstream.fetch(`${location.pathname}${location.search}`, { method: "PUT", body: new Uint8Array(blob), headers: { "content-type": "application/octet-stream" } })).status).toBe(201);
  }
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.cncf.helm.config.v1+json", digest: digest(config), size: config.length },
    layers: [{ mediaType: "application/vnd.cncf.helm.chart.content.v1.tar+gzip", digest: digest(tgz), size: tgz.length }],
  });
  const put = await upstream.fetch(`/v2/${repository}/manifests/${version}`, { method: "PUT", body: manifest, headers: { "content-type": "application/vnd.oci.image.manifest.v1+json" } });
  expect(put.status).toBe(201);
}

/**
 * Runs airgap in `ws` and checks it neither failed nor said what only a bug
 * says. Node's warnings are switched back on (`--trace-warnings`, which airgap
 * honours), so a MaxListenersExceededWarning fails the test instead of being
 * hidden.
 */
async function runClean(ws: Workspace, label: string, args: readonly string[], env: Record<string, string>): Promise<CliRun> {
  const run = await ws.run(args, { env: { ...env, NODE_OPTIONS: "--trace-warnings" } });
  expect(`${run.stdout}${run.stderr}`, `${label}: airgap ${args.join(" ")}`).not.toMatch(/Cannot find module|internal error|Warning:|MaxListeners|ERR_/);
  expect(run.code, `${label}: airgap ${args.join(" ")}\n${run.stderr}`).toBe(0);
  return run;
}

/** A workspace with the example's text as airgap.yaml. */
function workspaceFor(label: string, text: string): Workspace {
  const ws = createWorkspace(`example-${label}`);
  workspaces.push(ws);
  ws.writeConfig(text);
  return ws;
}

/** Runs validate, lock and plan; returns the plan run. */
async function validateLockPlan(label: string, text: string, env: Record<string, string>, ws = workspaceFor(label, text)): Promise<CliRun> {
  await runClean(ws, label, ["validate"], env);
  await runClean(ws, label, ["lock"], env);
  return runClean(ws, label, ["plan"], env);
}

describe("every shipped example plans", () => {
  it("covers every example directory (palette and palette-ecr in palette.test.ts)", () => {
    const covered = ["quickstart", "k0s", "kapp-controller", "charmed-kubernetes", "mke4", "palette", "palette-ecr"];
    expect(readdirSync(examples).sort()).toEqual(covered.sort());
  });

  it("quickstart: its own OCI layout into a layout directory", async () => {
    const text = read("quickstart").replace("path: ./content", `path: ${join(examples, "quickstart/content")}`);
    const plan = await validateLockPlan("quickstart", text, {});
    expect(plan.stdout).toMatch(/Plan: 2 to add, 0 to change, 0 to destroy\./); // the image and the image list
  });

  it("k0s: eleven images for two platforms into an HTTPS registry with its own CA and Basic auth, and three into a layout", async () => {
    const text = read("k0s");
    const refs = references(text);
    expect(refs).toHaveLength(14);
    await pushImages(upstream, imagesFor("example-k0s", refs));
    const local = withSources(text, upstreamSources(refs.map((r) => r.host)))
      .replace("https://registry.internal:5000", secure.url)
      .replace("endpoint: registry.internal:5000", `endpoint: ${secure.host}`);
    const env = { REGISTRY_CA_FILE: secure.caFile!, REGISTRY_USER: secure.username!, REGISTRY_PASSWORD: secure.password! };
    const ws = workspaceFor("k0s", local);
    const plan = await validateLockPlan("k0s", local, env, ws);
    expect(plan.stdout).toMatch(/Plan: 18 to add, 0 to change, 0 to destroy\./); // 14 images and the files of the cluster outputs
    // Eleven and more images in flight at once, from a registry and from a bundle: no Node warning on the way.
    await runClean(ws, "k0s", ["bundle", "-o", "k0s.tar"], env);
    const far = workspaceFor("k0s-far", local);
    const apply = await runClean(far, "k0s", ["apply", "--from", join(ws.dir, "k0s.tar"), "--auto-approve"], env);
    expect(apply.stderr).toContain("Apply complete: 18 done, 0 failed");
  });

  it("kapp-controller: a bundle kept whole with its referrers, and the PackageRepository that names it", async () => {
    const text = read("kapp-controller");
    const refs = references(text);
    await pushImages(upstream, imagesFor("example-kapp", refs));
    const local = withSources(text, upstreamSources(refs.map((r) => r.host))).replace("https://final-registry.corp.com", plain.url);
    const plan = await validateLockPlan("kapp-controller", local, { FINAL_USER: "u", FINAL_PASSWORD: "p" });
    expect(plan.stdout).toMatch(/Plan: 2 to add, 0 to change, 0 to destroy\./); // the bundle and its PackageRepository
    expect(plan.stdout).toContain("out/package-repository.yaml");
  });

  it("charmed-kubernetes: images (one chosen by a semver range), charms from an HTTP source onto a file server", async () => {
    const text = read("charmed-kubernetes");
    const refs = references(text);
    await pushImages(upstream, imagesFor("example-cdk", refs, { "rocks/kubernetes-dashboard": ["2.6.0", "2.7.0", "2.7.1", "3.0.0"] }));
    const charms = ["kubernetes-control-plane_rev500.charm", "kubernetes-worker_rev300.charm"];
    let local = withSources(text, upstreamSources(refs.map((r) => r.host)))
      .replace("https://api.charmhub.io/api/v1/charms/download", origin.url)
      .replace("https://registry.maas.internal", plain.url)
      .replace("http://files.maas.internal/charmed-kubernetes", `${files.url}/charmed-kubernetes`);
    for (const charm of charms) {
      const bytes = Buffer.from(`charm ${charm}`);
      writeFileSync(join(origin.root, charm), bytes);
      local = local.replace(new RegExp(`(url: ${charm.replace(/\./g, "\\.")}\\n\\s+sha256: )[0-9a-f]{64}`), `$1${createHash("sha256").update(bytes).digest("hex")}`);
    }
    const plan = await validateLockPlan("charmed-kubernetes", local, {});
    expect(plan.stdout).toMatch(/kubernetes-dashboard[^\n]*2\.7\.1/);
    expect(plan.stdout).not.toMatch(/kubernetes-dashboard[^\n]*(2\.7\.0|3\.0\.0)/);
    expect(plan.stdout).toMatch(/Plan: 13 to add, 0 to change, 0 to destroy\./); // 7 images, 2 charms and the files of the cluster outputs
  });

  it("mke4: images from a directory of MKE archives and charts from an OCI registry", async () => {
    const text = read("mke4");
    const refs = references(text).filter((r) => !r.repository.includes("/charts/"));
    const ws = createWorkspace("example-mke4-archives");
    workspaces.push(ws);
    const archives = join(ws.dir, "bundle");
    mkdirSync(archives);
    const images = imagesFor("example-mke4", refs);
    for (const ref of refs) {
      const staging = join(ws.dir, `staging-${ref.repository.replace(/\//g, "_")}`);
      await writeOciLayout(staging, [images.get(ref.repository, ref.tag)], { refName: (r, t) => `${ref.host}/${r}:${t}` });
      await writeLayoutTar(join(archives, mkeArchiveName(`${ref.host}/${ref.repository}`, ref.tag)), await layoutTarInput(await OciLayoutDirectory.open(staging)));
    }
    await pushChart("k0rdent-enterprise/charts/mke-operator", "4.1.0");
    await pushChart("k0rdent-enterprise/charts/calico", "3.29.1");
    const local = withSources(text, upstreamSources(["registry.mirantis.com"]))
      .replace("path: ./bundle", `path: ${archives}`)
      .replace("https://private-registry.example.com:8080", plain.url);
    const plan = await validateLockPlan("mke4", local, { REGISTRY_USERNAME: "u", REGISTRY_PASSWORD: "p" });
    expect(plan.stdout).toMatch(/Plan: 7 to add, 0 to change, 0 to destroy\./); // 4 images, 2 charts and the mke4 registries file
  });
});
