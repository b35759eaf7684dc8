/**
 * The harbor provider through the sdk contract, against the spec-built Harbor
 * (test/harness/harbor-server.ts, over HTTPS with its own CA as in the palette
 * example) with a real distribution registry behind `/v2`: projects planned
 * and created, images copied through repository(), observation by artifact
 * listing, immutable tags, quota, robot accounts, 401 explained, no cookies.
 * skopeo checks what landed, independently.
 */
import { Secret } from "../../../src/core/secret.js";
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HarborApi } from "../../../plugins/harbor/api.js";
import type { HarborSettings } from "../../../plugins/harbor/index.js";
import type { Digest } from "../../../src/core/digest.js";
import { silentLogger } from "../../../src/core/logger.js";
import { copyReference } from "../../../src/oci/copy/index.js";
import { Transport, RegistryClient, RegistryRepository, anonymousCredentials } from "../../../src/oci/registry/index.js";
import { createProvider } from "../../../src/providers/load.js";
import { createOciToolkit } from "../../../src/providers/toolkit.js";
import type { Provider, TargetItem } from "../../../src/sdk/index.js";
import { startHarbor, type HarborServer } from "../../harness/harbor-server.js";
import { LINUX_AMD64, LINUX_ARM64, generateImages, pushImages, type TestImage } from "../../harness/images.js";
import type { WireRecord } from "../../harness/registry-proxy.js";
import { startRegistry, type RunningRegistry } from "../../harness/registry.js";
import { inspectRaw } from "../../harness/skopeo.js";
import { makeTempDir, type TempDir } from "../../harness/tmp.js";

const images = generateImages("harbor-provider", [
  { repository: "kindest/kindnetd", tags: ["v20230227-15197099"], format: "docker" },
  { repository: "cloud-provider-vsphere/cpi/release/manager", tags: ["v1.22.8", "stable"], format: "oci", platforms: [LINUX_AMD64, LINUX_ARM64] },
  { repository: "kube-apiserver", tags: ["v1.27.2"], format: "oci" },
  { repository: "kube-apiserver", tags: ["v1.27.3"], format: "oci", layers: 2 },
]);
const kindnet = images.get("kindest/kindnetd", "v20230227-15197099");
const cpi = images.get("cloud-provider-vsphere/cpi/release/manager", "v1.22.8");
const apiserver = images.get("kube-apiserver", "v1.27.2");
const apiserverNext = images.get("kube-apiserver", "v1.27.3");

const ROBOT = { username: "robot$airgap", password: "Robot-Secret-1" };
const PUSHER = { username: "robot$pusher", password: "Pusher-Secret-1" };

let source: RunningRegistry;
let upstream: RunningRegistry;
let harbor: HarborServer;
let dir: TempDir;
let sourceClient: RegistryClient;
const providers: Provider[] = [];

/** One transport for the file, as the CLI makes one per command run. */
const transport = new Transport();

beforeAll(async () => {
  [source, upstream, dir] = await Promise.all([startRegistry(), startRegistry(), makeTempDir("harborprovider")]);
  await pushImages(source, images);
  harbor = await startHarbor({
    registry: upstream,
    tls: true,
    accounts: [
      { ...ROBOT, projects: { "spectro-images": ["pull", "push", "list", "read", "delete"], robots: ["pull", "push", "list", "read"] } },
      { ...PUSHER, projects: { robots: ["pull", "push"] } },
    ],
  });
  sourceClient = new RegistryClient({ transport, url: source.url, credentials: anonymousCredentials });
});

afterAll(async () => {
  await Promise.all(providers.map((p) => p.close?.()));
  await harbor?.stop();
  await Promise.all([source?.stop(), upstream?.stop(), dir?.remove()]);
  await transport.close();
});

function settings(overrides: Partial<HarborSettings> = {}): HarborSettings {
  return {
    url: harbor.url,
    tls: { caFile: harbor.caFile! },
    credentials: { username: harbor.admin.username, password: new Secret(harbor.admin.password) },
    projects: { "spectro-images": { public: true }, "spectro-packs": { public: false, storageLimit: "200GiB" } },
    ...overrides,
  };
}

async function provider(overrides: Partial<HarborSettings> = {}): Promise<Provider> {
  const created = await createProvider("harbor", settings(overrides) as unknown as Record<string, unknown>, {
    registryName: "harbor",
    baseDir: dir.path,
    logger: silentLogger,
    oci: createOciToolkit({ transport, logger: silentLogger, env: {} }),
  });
  providers.push(created);
  return created;
}

function item(image: TestImage, tag: string | undefined, project = "spectro-images", digest?: string): TargetItem {
  const repository = `${project}/${image.repository}`;
  return {
    address: `bundle.${project}.image[${JSON.stringify(`${image.repository}${tag !== undefined ? `:${tag}` : `@${digest ?? ""}`}`)}]`,
    kind: "image",
    repository,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}

async function copy(target: Provider, image: TestImage, tag: string, project = "spectro-images") {
  return copyReference(new RegistryRepository(sourceClient, image.repository), target.repository!(`${project}/${image.repository}`), tag, [tag], { preserveDigests: true });
}

function since(mark: number): WireRecord[] {
  return harbor.requests.slice(mark);
}

describe("harbor provider: projects, copy, observation", () => {
  let harborProvider: Provider;

  it("plans every declared project that is missing as a prerequisite, asking Harbor with HEAD /projects?project_name=", async () => {
    harborProvider = await provider();
    expect(harborProvider.display).toBe(harbor.host);
    const mark = harbor.requests.length;
    const prerequisites = await harborProvider.prerequisites!([item(kindnet, "v20230227-15197099"), item(cpi, "v1.22.8")]);
    expect(prerequisites.map((p) => p.key)).toEqual(["project spectro-images", "project spectro-packs"]);
    expect(prerequisites[0]!.reason).toBe(`create project spectro-images (public) on ${harbor.host}`);
    expect(prerequisites[1]!.reason).toBe(`create project spectro-packs (private, quota 200.0 GiB) on ${harbor.host}`);
    const heads = since(mark).filter((r) => r.method === "HEAD");
    expect(heads.map((r) => `${r.path}?${r.query.toString()}`).sort()).toEqual(["/api/v2.0/projects?project_name=spectro-images", "/api/v2.0/projects?project_name=spectro-packs"]);
    expect(heads.every((r) => r.status === 404 && r.headers.authorization === `Basic ${Buffer.from(`admin:${harbor.admin.password}`).toString("base64")}`)).toBe(true);
    // The prerequisite survives a round trip through JSON (the plan file).
    const roundTripped = JSON.parse(JSON.stringify(prerequisites)) as typeof prerequisites;

    const applied = [];
    for (const p of roundTripped) applied.push(await harborProvider.applyPrerequisite!({ key: `registry.harbor.prerequisite[${JSON.stringify(p.key)}]`, reason: p.reason, data: p.data }));
    expect(applied).toEqual([{ status: "applied" }, { status: "applied" }]);
    const posts = since(mark).filter((r) => r.method === "POST");
    expect(posts.map((r) => [r.path, r.status, r.headers["content-type"], JSON.parse(r.body ?? "{}")])).toEqual([
      ["/api/v2.0/projects", 201, "application/json", { project_name: "spectro-images", metadata: { public: "true" }, storage_limit: -1 }],
      ["/api/v2.0/projects", 201, "application/json", { project_name: "spectro-packs", metadata: { public: "false" }, storage_limit: 200 * 1024 ** 3 }],
    ]);
    expect(harbor.project("spectro-images")?.metadata.public).toBe("true");
    expect(harbor.project("spectro-packs")?.storageLimit).toBe(200 * 1024 ** 3);

    // Idempotent: applying again is "already current" (Harbor's 409), and a new plan has nothing to do.
    expect(await harborProvider.applyPrerequisite!(roundTripped[0]!)).toEqual({ status: "already-current" });
    expect(since(mark).at(-1)?.status).toBe(409);
    const again = await (await provider()).prerequisites!([item(kindnet, "v20230227-15197099")]);
    expect(again).toEqual([]);
  });

  it("copies images through repository() into the project; they land in the registry behind Harbor", async () => {
    const results = [await copy(harborProvider, kindnet, "v20230227-15197099"), await copy(harborProvider, cpi, "v1.22.8"), await copy(harborProvider, cpi, "stable"), await copy(harborProvider, apiserver, "v1.27.2")];
    expect(results.map((r) => r.root.digest)).toEqual([kindnet.root.digest, cpi.root.digest, cpi.root.digest, apiserver.root.digest]);
    const landed = await inspectRaw(`docker://${upstream.host}/spectro-images/${cpi.repository}:stable`, { tlsVerify: false });
    expect(landed.digest).toBe(cpi.root.digest);
    // An independent client through Harbor itself: skopeo with the robot account, token flow and all.
    const viaHarbor = await inspectRaw(`docker://${harbor.host}/spectro-images/${kindnet.repository}:v20230227-15197099`, { certDir: harbor.certDir!, username: ROBOT.username, password: ROBOT.password });
    expect(viaHarbor.digest).toBe(kindnet.root.digest);
  });

  it("observes with one repository listing per project and one artifact listing per repository, index children and all, without a /v2 request", async () => {
    const child = cpi.root.kind === "index" ? cpi.root.manifests[1]! : undefined;
    expect(child).toBeDefined();
    const items = [
      item(kindnet, "v20230227-15197099"),
      item(cpi, "v1.22.8"),
      item(cpi, "stable"),
      item(cpi, undefined, "spectro-images", child!.digest),
      item(apiserver, "v1.27.2"),
      item(apiserver, "v9.9.9"),
      item(kindnet, "v1", "spectro-packs"),
      item(apiserver, "v1.27.2", "not-declared-anywhere"),
    ];
    const mark = harbor.requests.length;
    const observed = await harborProvider.observe!(items);
    expect(Object.fromEntries(observed)).toEqual({
      [items[0]!.address]: { state: "present", digest: kindnet.root.digest },
      [items[1]!.address]: { state: "present", digest: cpi.root.digest },
      [items[2]!.address]: { state: "present", digest: cpi.root.digest },
      [items[3]!.address]: { state: "present", digest: child!.digest },
      [items[4]!.address]: { state: "present", digest: apiserver.root.digest },
      [items[5]!.address]: { state: "absent" },
      [items[6]!.address]: { state: "absent" },
      [items[7]!.address]: { state: "absent" },
    });
    const wire = since(mark);
    expect(wire.filter((r) => r.path.startsWith("/v2"))).toEqual([]);
    const listings = wire.filter((r) => r.method === "GET").map((r) => `${r.path}?${r.query.toString()}`).sort();
    expect(listings).toEqual([
      `/api/v2.0/projects/spectro-images/repositories/cloud-provider-vsphere%252Fcpi%252Frelease%252Fmanager/artifacts?with_tag=true&with_immutable_status=true&with_accessory=true&page=1&page_size=100`,
      `/api/v2.0/projects/spectro-images/repositories/kindest%252Fkindnetd/artifacts?with_tag=true&with_immutable_status=true&with_accessory=true&page=1&page_size=100`,
      `/api/v2.0/projects/spectro-images/repositories/kube-apiserver/artifacts?with_tag=true&with_immutable_status=true&with_accessory=true&page=1&page_size=100`,
      "/api/v2.0/projects/spectro-images/repositories?page=1&page_size=100",
      "/api/v2.0/projects/spectro-packs/repositories?page=1&page_size=100",
    ]);
    // The project that exists nowhere was asked about once, and never listed.
    expect(wire.filter((r) => r.url.includes("not-declared-anywhere")).map((r) => [r.method, r.status])).toEqual([["HEAD", 404]]);
    // The artifact listing hid the index's children as top-level artifacts: they came from `references`.
    const listing = await new HarborApi({ origin: new URL(harbor.url), credentials: harbor.admin, tls: { caFile: harbor.caFile! } }).listArtifacts("spectro-images", cpi.repository);
    expect(listing.map((a) => a.digest)).toEqual([cpi.root.digest]);
    expect(listing[0]?.references?.map((r) => r.child_digest)).toEqual(cpi.root.kind === "index" ? cpi.root.manifests.map((m) => m.digest) : []);
  });

  it("pages through artifacts with page and page_size until X-Total-Count, as Harbor's Link header says", async () => {
    for (const tag of ["p1", "p2", "p3", "p4"]) {
      const other = generateImages(`harbor-page-${tag}`, [{ repository: "paged/app", tags: [tag], format: "oci" }]);
      await pushImages(source, other);
      await copyReference(new RegistryRepository(sourceClient, "paged/app"), harborProvider.repository!("spectro-images/paged/app"), tag, [tag], { preserveDigests: true });
    }
    const api = new HarborApi({ origin: new URL(harbor.url), credentials: harbor.admin, tls: { caFile: harbor.caFile! }, pageSize: 3 });
    const mark = harbor.requests.length;
    const artifacts = await api.listArtifacts("spectro-images", "paged/app");
    await api.close();
    expect(artifacts.flatMap((a) => (a.tags ?? []).map((t) => t.name)).sort()).toEqual(["p1", "p2", "p3", "p4"]);
    const pages = since(mark);
    expect(pages.map((r) => [r.query.get("page"), r.query.get("page_size"), r.status])).toEqual([
      ["1", "3", 200],
      ["2", "3", 200],
    ]);
  });

  it("keeps no cookies: Harbor sets its session cookie on every API answer, and no request ever sends it back", async () => {
    const api = harbor.requests.filter((r) => r.path.startsWith("/api/"));
    expect(api.length).toBeGreaterThan(10);
    expect(harbor.requests.filter((r) => r.headers.cookie !== undefined)).toEqual([]);
    // What a cookie-keeping client would meet: the CSRF check refuses the unsafe request.
    const apiClient = new HarborApi({ origin: new URL(harbor.url), credentials: harbor.admin, tls: { caFile: harbor.caFile! } });
    await apiClient.close();
    const mark = harbor.requests.length;
    const { Agent, request } = await import("undici");
    const { readFile } = await import("node:fs/promises");
    const agent = new Agent({ connect: { ca: await readFile(harbor.caFile!, "utf8") } });
    const first = await request(`${harbor.url}/api/v2.0/projects?project_name=x`, { method: "HEAD", headers: { authorization: `Basic ${Buffer.from(`admin:${harbor.admin.password}`).toString("base64")}` }, dispatcher: agent });
    await first.body.dump();
    const cookie = String(first.headers["set-cookie"]).split(";")[0]!;
    expect(cookie).toMatch(/^sid=/);
    const refused = await request(`${harbor.url}/api/v2.0/projects`, {
      method: "POST",
      headers: { cookie, "content-type": "application/json", authorization: `Basic ${Buffer.from(`admin:${harbor.admin.password}`).toString("base64")}` },
      body: JSON.stringify({ project_name: "csrf-victim", metadata: { public: "false" } }),
      dispatcher: agent,
    });
    expect(refused.statusCode).toBe(403);
    expect(await refused.body.json()).toEqual({ errors: [{ code: "FORBIDDEN", message: "CSRF token invalid" }] });
    await agent.close();
    expect(since(mark).map((r) => r.status)).toEqual([404, 403]);
    expect(harbor.project("csrf-victim")).toBeUndefined();
  });
});

describe("harbor provider: immutable tags", () => {
  it("reports an immutable tag in observation; an identical re-push writes nothing, a new digest is refused and explained", async () => {
    const target = await provider();
    const rule = {
      disabled: false,
      action: "immutable",
      template: "immutable_template",
      tag_selectors: [{ kind: "doublestar", decoration: "matches", pattern: "v*" }],
      scope_selectors: { repository: [{ kind: "doublestar", decoration: "repoMatches", pattern: "**" }] },
    };
    const { Agent, request } = await import("undici");
    const { readFile } = await import("node:fs/promises");
    const agent = new Agent({ connect: { ca: await readFile(harbor.caFile!, "utf8") } });
    const created = await request(`${harbor.url}/api/v2.0/projects/spectro-images/immutabletagrules`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-is-resource-name": "true", authorization: `Basic ${Buffer.from(`admin:${harbor.admin.password}`).toString("base64")}` },
      body: JSON.stringify(rule),
      dispatcher: agent,
    });
    await created.body.dump();
    await agent.close();
    expect(created.statusCode).toBe(201);

    const observed = await target.observe!([item(apiserver, "v1.27.2"), item(kindnet, "v20230227-15197099"), item(cpi, "stable")]);
    expect([...observed.values()]).toEqual([
      { state: "present", digest: apiserver.root.digest, immutable: true },
      { state: "present", digest: kindnet.root.digest, immutable: true },
      { state: "present", digest: cpi.root.digest },
    ]);

    // Identical re-push: the tag already names the digest, so nothing is written (Harbor would refuse even that).
    const mark = harbor.requests.length;
    const again = await copy(target, apiserver, "v1.27.2");
    expect(again.tags).toEqual([{ tag: "v1.27.2", changed: false }]);
    expect(since(mark).filter((r) => r.method === "PUT" && r.path.endsWith("/manifests/v1.27.2"))).toEqual([]);

    // A new digest under the immutable tag: Harbor answers 412, and the error says why.
    await copyReference(new RegistryRepository(sourceClient, apiserverNext.repository), target.repository!(`spectro-images/${apiserver.repository}`), "v1.27.3", ["v1.27.3"], { preserveDigests: true });
    const store = target.repository!(`spectro-images/${apiserver.repository}`);
    const moved = await store.tag({ mediaType: apiserverNext.root.mediaType, digest: apiserverNext.root.digest as Digest, size: apiserverNext.root.size }, "v1.27.2").catch((e: unknown) => e);
    expect((moved as Error).message).toMatch(/immutable tag rule of project `spectro-images`.*Failed to process request due to 'spectro-images\/kube-apiserver:v1\.27\.2' configured as immutable/);
    const after = await target.observe!([item(apiserver, "v1.27.2")]);
    expect([...after.values()]).toEqual([{ state: "present", digest: apiserver.root.digest, immutable: true }]);
  });
});

describe("harbor provider: quota", () => {
  it("checks at plan time that the uploads fit: bytes needed against hard limit minus used, per project", async () => {
    const target = await provider({ projects: { tight: { storageLimit: 20_000 } } });
    expect((await target.prerequisites!([item(kindnet, "v1", "tight")])).map((p) => p.reason)).toEqual([`create project tight (private, quota 19.5 KiB) on ${harbor.host}`]);
    const blob = (n: number) => ({ repository: "tight/kindest/kindnetd", digest: `sha256:${String(n).padStart(64, "0")}`, size: 8_000 });
    // Before the project exists, its declared storageLimit is the quota.
    expect(await target.preflight!({ items: [item(kindnet, "v1", "tight")], uploads: [blob(1), blob(2)], writes: true })).toEqual([]);
    const tooMuch = await target.preflight!({ items: [item(kindnet, "v1", "tight")], uploads: [blob(1), blob(2), blob(3), blob(1)], writes: true });
    expect(tooMuch.map((p) => p.message)).toEqual([
      `project \`tight\` on ${harbor.host} cannot take this plan: it uploads 23.4 KiB, but the project's quota has 19.5 KiB left (0 B of 19.5 KiB used); raise the quota (\`registries.harbor.projects.tight.storageLimit\` for a project airgap creates, or in Harbor) or free space`,
    ]);

    for (const p of await target.prerequisites!([item(kindnet, "v1", "tight")])) expect(await target.applyPrerequisite!(p)).toEqual({ status: "applied" });
    await copy(target, kindnet, "v20230227-15197099", "tight");
    // Harbor counted the image's manifest, config and layers (an 8 KiB base layer among them).
    const used = harbor.project("tight")!.used;
    expect(used).toBe(kindnet.root.size + (kindnet.root.kind === "manifest" ? kindnet.root.config.size + kindnet.root.layers.reduce((n, l) => n + l.size, 0) : 0));
    expect(used).toBeGreaterThan(8_192);
    // Now the summary's used bytes count: what fitted before (16 000 of 20 000 bytes) no longer does.
    const mark = harbor.requests.length;
    const problems = await target.preflight!({ items: [item(kindnet, "v1", "tight")], uploads: [blob(1), blob(2)], writes: true });
    expect(problems.map((p) => p.message)).toEqual([expect.stringContaining(`it uploads 15.6 KiB, but the project's quota has ${((20_000 - used) / 1024).toFixed(2)} KiB left (${(used / 1024).toFixed(used / 1024 < 10 ? 2 : 1)} KiB of 19.5 KiB used)`)]);
    expect(since(mark).filter((r) => r.path === "/api/v2.0/projects/tight/summary").map((r) => [r.headers["x-is-resource-name"], r.status])).toEqual([["true", 200]]);

    // Pushing past the quota anyway fails with Harbor's own words.
    const big = generateImages("harbor-quota-big", [{ repository: "big/app", tags: ["1"], format: "oci", layerSize: 30_000 }]);
    await pushImages(source, big);
    const failure = await copyReference(new RegistryRepository(sourceClient, "big/app"), target.repository!("tight/big/app"), "1", ["1"], { preserveDigests: true }).catch((e: unknown) => e);
    expect((failure as Error).message).toMatch(/DENIED: Quota exceeded when processing the request of adding [0-9.]+ KiB of storage resource, which when updated to current usage of [0-9.]+ KiB will exceed the configured upper limit of 19\.5 KiB\./);
    expect(harbor.project("tight")!.used).toBe(used);
  });
});

describe("harbor provider: credentials and missing projects", () => {
  it("works with a robot account as credentials: copy, observe, and no project creation without the right", async () => {
    const robot = await provider({ credentials: { ...ROBOT, password: new Secret(ROBOT.password) }, projects: { robots: { public: false } } });
    const prerequisites = await robot.prerequisites!([item(kindnet, "v1", "robots")]);
    expect(prerequisites.map((p) => p.key)).toEqual(["project robots"]);
    const refused = await robot.applyPrerequisite!(prerequisites[0]!);
    expect(refused).toEqual({ status: "failed", error: `Harbor ${harbor.host} answered 403 to POST /api/v2.0/projects: FORBIDDEN: robot$airgap is not allowed to create projects` });
    // An administrator creates it; the robot then pushes and observes.
    const admin = await provider({ projects: { robots: { public: false } } });
    expect(await admin.applyPrerequisite!(prerequisites[0]!)).toEqual({ status: "applied" });
    const mark = harbor.requests.length;
    await copy(robot, kindnet, "v20230227-15197099", "robots");
    expect([...(await robot.observe!([item(kindnet, "v20230227-15197099", "robots")])).values()]).toEqual([{ state: "present", digest: kindnet.root.digest }]);
    const wire = since(mark);
    const robotBasic = `Basic ${Buffer.from(`${ROBOT.username}:${ROBOT.password}`).toString("base64")}`;
    expect(wire.filter((r) => r.path.startsWith("/api/")).every((r) => r.headers.authorization === robotBasic)).toBe(true);
    expect(wire.filter((r) => r.path === "/service/token").every((r) => r.headers.authorization === robotBasic && r.query.get("service") === "harbor-registry")).toBe(true);
  });

  it("explains Harbor's 401 for a push into a project that does not exist", async () => {
    const target = await provider({ projects: {} });
    const mark = harbor.requests.length;
    const failure = await copy(target, kindnet, "v20230227-15197099", "nope").catch((e: unknown) => e);
    expect((failure as Error).message).toContain(
      `Harbor ${harbor.host} refused nope/kindest/kindnetd with 401: project \`nope\` does not exist on ${harbor.host} (Harbor answers a push to a missing project with 401, not 404): declare it under \`registries.harbor.projects\` so airgap creates it, or create it in Harbor`,
    );
    const refusals = since(mark).filter((r) => r.path.startsWith("/v2/nope/") && r.status === 401);
    expect(refusals.length).toBeGreaterThan(0);
    expect(harbor.project("nope")).toBeUndefined();
  });

  it("makes a content project that is neither declared nor existing a plan error naming the fix", async () => {
    const target = await provider();
    const problems = await target.preflight!({ items: [item(kindnet, "v1", "elsewhere")], uploads: [], writes: true });
    expect(problems.map((p) => p.message)).toEqual([
      `project \`elsewhere\` does not exist on ${harbor.host} and is not declared under \`registries.harbor.projects\`: declare it there so airgap creates it, or create it in Harbor`,
    ]);
    await expect(target.prerequisites!([item(kindnet, "v1", "elsewhere")])).rejects.toThrow(/project `elsewhere` does not exist .* declare it there/);
  });

  it("makes project names Harbor would refuse a plan error", async () => {
    const target = await provider({ projects: {} });
    const problems = await target.preflight!({ items: [item(kindnet, "v1", "spectro__images"), item(kindnet, "v1", "x".repeat(256))], uploads: [], writes: true });
    expect(problems.map((p) => p.message)).toEqual([
      `Harbor refuses the project name \`spectro__images\`: lowercase letters and digits, separated by single \`.\`, \`_\` or \`-\` (${harbor.host}); change the bundle's \`path\``,
      `project name \`${"x".repeat(40)}…\` must be 1 to 255 characters long (${harbor.host}); change the bundle's \`path\``,
    ]);
  });

  it("says so when Harbor does not accept the credentials (it treats wrong ones as anonymous and answers 401)", async () => {
    const target = await provider({ credentials: { username: "admin", password: new Secret("wrong") } });
    const problems = await target.preflight!({ items: [item(kindnet, "v1")], uploads: [], writes: true });
    expect(problems.map((p) => p.message)).toEqual([
      `Harbor ${harbor.host} answered 401 unauthorized: the credentials of \`admin\` were not accepted; set \`registries.harbor.credentials\` to a Harbor user or robot account (robot$…). Harbor ${harbor.host} answered 401 to HEAD /api/v2.0/projects?project_name=spectro-images: no message (HEAD)`,
    ]);
    expect(problems.map((p) => p.message).join("\n")).not.toContain("wrong");
  });

  it("applies declared visibility to an existing project as a planned update", async () => {
    const target = await provider({ projects: { "spectro-images": { public: false } } });
    const prerequisites = await target.prerequisites!([item(kindnet, "v1")]);
    expect(prerequisites.map((p) => [p.key, p.reason])).toEqual([["project spectro-images settings", `update project spectro-images on ${harbor.host}: public true → false`]]);
    expect(await target.applyPrerequisite!(prerequisites[0]!)).toEqual({ status: "applied" });
    expect(harbor.project("spectro-images")?.metadata.public).toBe("false");
    expect(JSON.parse(harbor.requests.at(-1)?.body ?? "{}")).toEqual({ metadata: { public: "false" } });
  });

  it("deletes exactly one tag through the API, leaving the artifact's other tags", async () => {
    const target = await provider();
    await target.deleteTag!(`spectro-images/${cpi.repository}`, "stable", cpi.root.digest);
    const observed = await target.observe!([item(cpi, "stable"), item(cpi, "v1.22.8")]);
    // v1.22.8 matches the immutable rule `v*` made above; deleting `stable` did not touch it.
    expect([...observed.values()]).toEqual([{ state: "absent" }, { state: "present", digest: cpi.root.digest, immutable: true }]);
    expect(await target.listTags!(`spectro-images/${cpi.repository}`)).toEqual(["v1.22.8"]);
    const del = harbor.requests.filter((r) => r.method === "DELETE");
    expect(del.map((r) => [r.path, r.status])).toEqual([[`/api/v2.0/projects/spectro-images/repositories/cloud-provider-vsphere%252Fcpi%252Frelease%252Fmanager/artifacts/${encodeURIComponent(cpi.root.digest)}/tags/stable`, 200]]);
  });
});

describe("harbor provider: accessories, and accounts that may not list", () => {
  const sha = (data: Buffer): Digest => `sha256:${createHash("sha256").update(data).digest("hex")}` as Digest;
  const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  const descriptor = (mediaType: string, data: Buffer) => ({ mediaType, digest: sha(data), size: data.length });
  const empty = Buffer.from("{}");
  const signature = Buffer.from(JSON.stringify({ critical: { image: { "docker-manifest-digest": kindnet.root.digest }, type: "cosign container image signature" } }));
  const sbom = Buffer.from(JSON.stringify({ spdxVersion: "SPDX-2.3", name: "kindnetd" }));
  const signatureManifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: descriptor("application/vnd.oci.image.config.v1+json", empty), layers: [descriptor("application/vnd.dev.cosign.simplesigning.v1+json", signature)] }));
  const referrer = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: "application/spdx+json",
      config: descriptor("application/vnd.oci.empty.v1+json", empty),
      layers: [descriptor("application/spdx+json", sbom)],
      subject: { mediaType: kindnet.root.mediaType, digest: kindnet.root.digest, size: kindnet.root.size },
    }),
  );
  const signatureTag = `sha256-${kindnet.root.digest.slice(7)}.sig`;

  it("counts cosign signatures and OCI referrers, which Harbor lists only as accessories, as present", async () => {
    const target = await provider();
    const store = target.repository!(`spectro-images/${kindnet.repository}`);
    for (const [mediaType, data] of [["application/vnd.oci.image.config.v1+json", empty], ["application/vnd.dev.cosign.simplesigning.v1+json", signature], ["application/spdx+json", sbom]] as const) {
      await store.push(descriptor(mediaType, data), Readable.from([data]));
    }
    await store.push(descriptor(OCI_MANIFEST, signatureManifest), Readable.from([signatureManifest]));
    await store.tag(descriptor(OCI_MANIFEST, signatureManifest), signatureTag);
    await store.push(descriptor(OCI_MANIFEST, referrer), Readable.from([referrer]));

    const listing = await new HarborApi({ origin: new URL(harbor.url), credentials: harbor.admin, tls: { caFile: harbor.caFile! } }).listArtifacts("spectro-images", kindnet.repository);
    expect(listing.map((a) => a.digest)).toEqual([kindnet.root.digest]);
    expect(listing[0]?.accessories?.map((a) => [a.digest, a.type])).toEqual([
      [sha(signatureManifest), "signature.cosign"],
      [sha(referrer), "subject.accessory"],
    ]);

    const items = [item(kindnet, signatureTag), item(kindnet, undefined, "spectro-images", sha(referrer)), item(kindnet, undefined, "spectro-images", sha(Buffer.from("never pushed")))];
    const mark = harbor.requests.length;
    const observed = await target.observe!(items);
    expect([...items].map((i) => observed.get(i.address))).toEqual([{ state: "present", digest: sha(signatureManifest) }, { state: "present", digest: sha(referrer) }, { state: "absent" }]);
    // The signature's tag is not in the listing: one manifest HEAD answered it.
    expect(since(mark).filter((r) => r.path.startsWith("/v2/") && r.status < 400).map((r) => `${r.method} ${r.path}`)).toEqual([`HEAD /v2/spectro-images/${kindnet.repository}/manifests/${signatureTag}`]);
  });

  it("observes tag by tag through /v2 when the account may push but not list artifacts", async () => {
    // `robots` is private (public projects may be listed by anyone) and holds kindnetd since the robot test.
    const pusher = await provider({ credentials: { ...PUSHER, password: new Secret(PUSHER.password) }, projects: {} });
    const mark = harbor.requests.length;
    const observed = await pusher.observe!([item(kindnet, "v20230227-15197099", "robots"), item(kindnet, "missing", "robots")]);
    expect([...observed.values()]).toEqual([{ state: "present", digest: kindnet.root.digest }, { state: "absent" }]);
    const wire = since(mark);
    expect(wire.filter((r) => r.path.startsWith("/api/")).map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      "HEAD /api/v2.0/projects 200",
      "GET /api/v2.0/projects/robots/repositories 403",
    ]);
    expect(wire.filter((r) => r.method === "HEAD" && r.path.startsWith("/v2/") && r.headers.authorization !== undefined).map((r) => `${r.path} ${r.status}`)).toEqual([
      `/v2/robots/${kindnet.repository}/manifests/v20230227-15197099 200`,
      `/v2/robots/${kindnet.repository}/manifests/missing 404`,
    ]);
  });
});
