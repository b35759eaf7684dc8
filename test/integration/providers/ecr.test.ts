/**
 * The ecr provider through the sdk contract, against the spec-built ECR
 * (test/harness/ecr-server.ts: AWS JSON 1.1 API, `/v2` with ECR's rules, a
 * fake S3 for blob downloads) with a real distribution registry behind it.
 * The AWS SDK finds static credentials in the environment, as its default
 * chain does; time is an injected clock shared by the server and the provider.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEcrApi } from "../../../plugins/ecr/api.js";
import type { EcrSettings } from "../../../plugins/ecr/index.js";
import type { Digest } from "../../../src/core/digest.js";
import { silentLogger } from "../../../src/core/logger.js";
import { copyReference } from "../../../src/oci/copy/index.js";
import { RegistryClient, RegistryRepository, Transport, anonymousCredentials } from "../../../src/oci/registry/index.js";
import { createProvider } from "../../../src/providers/load.js";
import { createOciToolkit } from "../../../src/providers/toolkit.js";
import type { Provider, TargetItem } from "../../../src/sdk/index.js";
import { startEcr, type EcrServer } from "../../harness/ecr-server.js";
import { LINUX_AMD64, LINUX_ARM64, generateImages, largeBlob, pushImages, type TestImage } from "../../harness/images.js";
import type { WireRecord } from "../../harness/registry-proxy.js";
import { startRegistry, type RunningRegistry } from "../../harness/registry.js";
import { inspectRaw } from "../../harness/skopeo.js";
import { makeTempDir, type TempDir } from "../../harness/tmp.js";

const images = generateImages("ecr-provider", [
  { repository: "kindest/kindnetd", tags: ["v20230227-15197099"], format: "docker" },
  { repository: "kube-apiserver", tags: ["v1.27.2"], format: "oci", platforms: [LINUX_AMD64, LINUX_ARM64] },
  { repository: "kube-apiserver", tags: ["v1.27.3"], format: "oci" },
  { repository: "cni-calico", tags: ["3.25.1", "stable"], format: "oci" },
]);
const kindnet = images.get("kindest/kindnetd", "v20230227-15197099");
const apiserver = images.get("kube-apiserver", "v1.27.2");
const apiserverNext = images.get("kube-apiserver", "v1.27.3");
const calico = images.get("cni-calico", "3.25.1");

const AWS_ENV = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_EC2_METADATA_DISABLED", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECR"];
const savedEnv = Object.fromEntries(AWS_ENV.map((k) => [k, process.env[k]]));

let now = Date.parse("2026-03-01T08:00:00Z");
const clock = (): number => now;
let onAnswered: (r: WireRecord) => void = () => undefined;

let source: RunningRegistry;
let upstream: RunningRegistry;
let ecr: EcrServer;
let dir: TempDir;
let sourceClient: RegistryClient;
const providers: Provider[] = [];

function useCredentials(keys: { id: string; secret: string } | undefined): void {
  for (const key of AWS_ENV) delete process.env[key];
  // The SDK's default chain: environment first; no shared files, no instance metadata on this machine.
  process.env.AWS_CONFIG_FILE = join(dir.path, "no-aws-config");
  process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir.path, "no-aws-credentials");
  process.env.AWS_EC2_METADATA_DISABLED = "true";
  if (keys) {
    process.env.AWS_ACCESS_KEY_ID = keys.id;
    process.env.AWS_SECRET_ACCESS_KEY = keys.secret;
  }
}

/** One transport for the file, as the CLI makes one per command run. */
const transport = new Transport();

beforeAll(async () => {
  [source, upstream, dir] = await Promise.all([startRegistry(), startRegistry(), makeTempDir("ecrprovider")]);
  await pushImages(source, images);
  ecr = await startEcr({ registry: upstream, clock, onAnswered: (r) => onAnswered(r) });
  useCredentials({ id: ecr.accessKeyId, secret: ecr.secretAccessKey });
  sourceClient = new RegistryClient({ transport, url: source.url, credentials: anonymousCredentials });
});

afterAll(async () => {
  await Promise.all(providers.map((p) => p.close?.()));
  await ecr?.stop();
  await Promise.all([source?.stop(), upstream?.stop(), dir?.remove()]);
  await transport.close();
  for (const [key, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

/** The palette-ecr example's settings, with `url` and `endpoint` pointing at the test server. */
function settings(overrides: Partial<EcrSettings> = {}): EcrSettings {
  return { region: "us-east-1", registryId: "123456789012", url: ecr.registryUrl, endpoint: ecr.apiUrl, repositories: { tagMutability: "MUTABLE", scanOnPush: true }, ...overrides };
}

async function provider(overrides: Partial<EcrSettings> = {}): Promise<Provider> {
  const created = await createProvider("ecr", settings(overrides) as unknown as Record<string, unknown>, { registryName: "ecr", baseDir: dir.path, logger: silentLogger, oci: createOciToolkit({ transport, logger: silentLogger, env: {} }), clock });
  providers.push(created);
  return created;
}

function item(image: TestImage, tag: string | undefined, prefix = "spectro-images", digest?: string): TargetItem {
  const repository = `${prefix}/${image.repository}`;
  return {
    address: `bundle.${prefix}.image[${JSON.stringify(`${image.repository}${tag !== undefined ? `:${tag}` : `@${digest ?? ""}`}`)}]`,
    kind: "image",
    repository,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}

async function copy(target: Provider, image: TestImage, tag: string, prefix = "spectro-images") {
  return copyReference(new RegistryRepository(sourceClient, image.repository), target.repository!(`${prefix}/${image.repository}`), tag, [tag], { preserveDigests: true });
}

const SIGV4 = /^AWS4-HMAC-SHA256 Credential=AKIA[0-9A-F]{16}\/\d{8}\/us-east-1\/ecr\/aws4_request, ?SignedHeaders=[a-z0-9;-]+, ?Signature=[0-9a-f]{64}$/;

async function applyAll(target: Provider, items: readonly TargetItem[]) {
  const out = [];
  for (const p of await target.prerequisites!(items)) out.push(await target.applyPrerequisite!(JSON.parse(JSON.stringify(p)) as typeof p));
  return out;
}

describe("ecr provider: repositories, copy, observation", () => {
  let target: Provider;
  const items = (): TargetItem[] => [item(kindnet, "v20230227-15197099"), item(apiserver, "v1.27.2"), { ...item(calico, "3.25.1", "spectro-packs"), kind: "chart" }];

  it("plans every missing repository, each nested path its own, and creates it with the configured mutability, scanning and encryption", async () => {
    target = await provider();
    expect(target.display).toBe(ecr.registryHost);
    const mark = ecr.apiCalls.length;
    const prerequisites = await target.prerequisites!(items());
    expect(prerequisites.map((p) => [p.key, p.reason])).toEqual([
      ["repository spectro-images/kindest/kindnetd", `create repository spectro-images/kindest/kindnetd (MUTABLE, scan on push, AES256) in ${ecr.registryHost}`],
      ["repository spectro-images/kube-apiserver", `create repository spectro-images/kube-apiserver (MUTABLE, scan on push, AES256) in ${ecr.registryHost}`],
      ["repository spectro-packs/cni-calico", `create repository spectro-packs/cni-calico (MUTABLE, scan on push, AES256) in ${ecr.registryHost}`],
    ]);
    const asked = ecr.apiCalls.slice(mark);
    // One batch call; it fails as the model says when any name is missing, then each name is asked alone.
    expect(asked.map((c) => [c.operation, c.input.repositoryNames, c.errorType ?? c.status])).toEqual([
      ["DescribeRepositories", ["spectro-images/kindest/kindnetd", "spectro-images/kube-apiserver", "spectro-packs/cni-calico"], "RepositoryNotFoundException"],
      ["DescribeRepositories", ["spectro-images/kindest/kindnetd"], "RepositoryNotFoundException"],
      ["DescribeRepositories", ["spectro-images/kube-apiserver"], "RepositoryNotFoundException"],
      ["DescribeRepositories", ["spectro-packs/cni-calico"], "RepositoryNotFoundException"],
    ]);
    for (const call of asked) {
      expect(call.headers["x-amz-target"]).toBe("AmazonEC2ContainerRegistry_V20150921.DescribeRepositories");
      expect(call.headers["content-type"]).toBe("application/x-amz-json-1.1");
      expect(call.headers.authorization).toMatch(SIGV4);
      expect(String(call.headers.authorization)).toContain(`Credential=${ecr.accessKeyId}/`);
      expect(call.headers["x-amz-date"]).toMatch(/^\d{8}T\d{6}Z$/);
      expect(call.input.registryId).toBe("123456789012");
    }

    const applied = [];
    for (const p of prerequisites) applied.push(await target.applyPrerequisite!({ key: `registry.ecr.prerequisite[${JSON.stringify(p.key)}]`, reason: p.reason, data: JSON.parse(JSON.stringify(p.data)) as unknown }));
    expect(applied).toEqual([{ status: "applied" }, { status: "applied" }, { status: "applied" }]);
    const creates = ecr.apiCalls.filter((c) => c.operation === "CreateRepository");
    expect(creates.map((c) => c.input)).toEqual(
      ["spectro-images/kindest/kindnetd", "spectro-images/kube-apiserver", "spectro-packs/cni-calico"].map((repositoryName) => ({
        repositoryName,
        registryId: "123456789012",
        imageTagMutability: "MUTABLE",
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfiguration: { encryptionType: "AES256" },
      })),
    );
    expect(ecr.repository("spectro-packs/cni-calico")).toMatchObject({ imageTagMutability: "MUTABLE", scanOnPush: true, encryptionType: "AES256" });

    // Idempotent: RepositoryAlreadyExistsException is "already current", and a new plan has nothing to do.
    expect(await target.applyPrerequisite!(prerequisites[0]!)).toEqual({ status: "already-current" });
    expect(ecr.apiCalls.at(-1)?.errorType).toBe("RepositoryAlreadyExistsException");
    expect(await (await provider()).prerequisites!(items())).toEqual([]);
  });

  it("copies images through repository() with the token as Basic credentials; they land in the registry behind ECR", async () => {
    const mark = ecr.requests.length;
    const results = [await copy(target, kindnet, "v20230227-15197099"), await copy(target, apiserver, "v1.27.2"), await copy(target, calico, "3.25.1", "spectro-packs"), await copy(target, calico, "stable", "spectro-packs")];
    expect(results.map((r) => r.root.digest)).toEqual([kindnet.root.digest, apiserver.root.digest, calico.root.digest, calico.root.digest]);
    expect((await inspectRaw(`docker://${upstream.host}/spectro-images/kube-apiserver:v1.27.2`, { tlsVerify: false })).digest).toBe(apiserver.root.digest);
    const wire = ecr.requests.slice(mark);
    const token = ecr.issuedTokens.at(-1)!;
    const authorized = wire.filter((r) => r.headers.authorization !== undefined);
    expect(authorized.length).toBeGreaterThan(10);
    expect(authorized.every((r) => r.headers.authorization === `Basic ${Buffer.from(`AWS:${token}`).toString("base64")}`)).toBe(true);
    // Single-request uploads: POST, then one PUT with the bytes; never a PATCH.
    expect(wire.filter((r) => r.method === "PATCH")).toEqual([]);
    expect(wire.filter((r) => r.method === "PUT" && r.path.includes("/blobs/uploads/")).every((r) => r.query.get("digest")?.startsWith("sha256:") && r.status === 201)).toBe(true);
  });

  it("observes through DescribeImages, one paginated listing per repository, index children included, without a /v2 request", async () => {
    const child = apiserver.root.kind === "index" ? apiserver.root.manifests[0]! : undefined;
    expect(child).toBeDefined();
    const wanted = [
      ...items(),
      { ...item(calico, "stable", "spectro-packs"), kind: "chart" as const },
      item(apiserver, undefined, "spectro-images", child!.digest),
      item(apiserver, "v9"),
      item(kindnet, "v1", "not-created"),
    ];
    const mark = ecr.apiCalls.length;
    const requests = ecr.requests.length;
    const observed = await target.observe!(wanted);
    expect([...wanted].map((i) => observed.get(i.address))).toEqual([
      { state: "present", digest: kindnet.root.digest },
      { state: "present", digest: apiserver.root.digest },
      { state: "present", digest: calico.root.digest },
      { state: "present", digest: calico.root.digest },
      { state: "present", digest: child!.digest },
      { state: "absent" },
      { state: "absent" },
    ]);
    expect(ecr.requests.length).toBe(requests);
    const calls = ecr.apiCalls.slice(mark);
    expect(calls.filter((c) => c.operation === "DescribeImages").map((c) => c.input).sort((a, b) => String(a.repositoryName).localeCompare(String(b.repositoryName)))).toEqual([
      { registryId: "123456789012", repositoryName: "spectro-images/kindest/kindnetd", maxResults: 1000 },
      { registryId: "123456789012", repositoryName: "spectro-images/kube-apiserver", maxResults: 1000 },
      { registryId: "123456789012", repositoryName: "spectro-packs/cni-calico", maxResults: 1000 },
    ]);
    // Repositories this provider created are known; the one it found existing (and never saw) are asked, in a batch, then alone.
    expect(calls.filter((c) => c.operation === "DescribeRepositories").map((c) => c.input.repositoryNames)).toEqual([
      ["not-created/kindest/kindnetd", "spectro-images/kindest/kindnetd"],
      ["not-created/kindest/kindnetd"],
      ["spectro-images/kindest/kindnetd"],
    ]);
  });

  it("pages DescribeImages with maxResults and nextToken", async () => {
    const api = await createEcrApi({ region: "us-east-1", registryId: "123456789012", endpoint: ecr.apiUrl, pageSize: 2 });
    const mark = ecr.apiCalls.length;
    const found = await api.describeImages("spectro-images/kube-apiserver");
    api.close();
    // The index and its two children.
    expect(found?.map((i) => i.digest).sort()).toEqual([apiserver.root.digest, ...(apiserver.root.kind === "index" ? apiserver.root.manifests.map((m) => m.digest) : [])].sort());
    const pages = ecr.apiCalls.slice(mark);
    expect(pages.map((c) => [c.input.maxResults, c.input.nextToken !== undefined])).toEqual([
      [2, false],
      [2, true],
    ]);
  });

  it("downloads blobs from the presigned S3 URL ECR redirects to, without the registry's Authorization (see also registry-http.test.ts, 'never sends the registry's Authorization to another host')", async () => {
    const layer = kindnet.root.kind === "manifest" ? kindnet.root.layers.at(-1)! : undefined;
    const mark = ecr.s3Requests.length;
    const stream = await target.repository!("spectro-images/kindest/kindnetd").fetch({ mediaType: layer!.mediaType, digest: layer!.digest as Digest, size: layer!.size });
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(layer!.data)).toBe(true);
    const s3 = ecr.s3Requests.slice(mark);
    expect(s3.map((r) => [r.method, r.status, r.headers.authorization, r.query.get("X-Amz-Algorithm")])).toEqual([["GET", 200, undefined, "AWS4-HMAC-SHA256"]]);
    expect(ecr.requests.filter((r) => r.path === `/v2/spectro-images/kindest/kindnetd/blobs/${layer!.digest}` && r.method === "GET").map((r) => r.status)).toEqual([307]);
  });

  it("uploads a blob larger than the chunking threshold in one request (ECR refuses parts under 5 MiB, as a chunked client learns)", async () => {
    const blob = largeBlob("ecr-single", 65 * 1024 * 1024 + 17);
    const digest = await blob.digest();
    const mark = ecr.requests.length;
    await target.repository!("spectro-images/kindest/kindnetd").push({ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: digest as Digest, size: blob.size }, blob.stream());
    const wire = ecr.requests.slice(mark).filter((r) => r.path.includes("/blobs/uploads/"));
    expect(wire.map((r) => [r.method, r.status, r.method === "PUT" ? r.headers["content-length"] ?? r.headers["transfer-encoding"] : undefined])).toEqual([
      ["POST", 202, undefined],
      ["PUT", 201, expect.stringMatching(/^(68157457|chunked)$/)],
    ]);
    // What the option avoids: a client that sends 1 MiB parts is refused at its second part.
    const chunky = new RegistryClient({
      transport,
      url: ecr.registryUrl,
      credentials: { username: "AWS", password: ecr.issuedTokens.at(-1)! },
      limits: { inMemoryLimit: 512 * 1024, mode: "chunked", chunkSize: 1024 * 1024 },
    });
    const small = largeBlob("ecr-chunky", 3 * 1024 * 1024);
    const refused = await chunky.pushBlob("spectro-images/kindest/kindnetd", { digest: (await small.digest()) as Digest, size: small.size }, small.stream()).catch((e: unknown) => e);
    expect((refused as Error).message).toContain("LayerPartTooSmallException: All layer parts except the last part should be at least 5MB");
  });
});

describe("ecr provider: IMMUTABLE repositories", () => {
  it("creates IMMUTABLE repositories, flags their tags in observation, writes nothing for an identical re-push and explains a refused move", async () => {
    const target = await provider({ repositories: { tagMutability: "IMMUTABLE", scanOnPush: false, encryption: "KMS", kmsKey: "alias/airgap" } });
    expect(await applyAll(target, [item(apiserver, "v1.27.2", "locked")])).toEqual([{ status: "applied" }]);
    expect(ecr.apiCalls.filter((c) => c.operation === "CreateRepository").at(-1)?.input).toEqual({
      repositoryName: "locked/kube-apiserver",
      registryId: "123456789012",
      imageTagMutability: "IMMUTABLE",
      imageScanningConfiguration: { scanOnPush: false },
      encryptionConfiguration: { encryptionType: "KMS", kmsKey: "alias/airgap" },
    });
    await copy(target, apiserver, "v1.27.2", "locked");
    expect([...(await target.observe!([item(apiserver, "v1.27.2", "locked")])).values()]).toEqual([{ state: "present", digest: apiserver.root.digest, immutable: true }]);

    const mark = ecr.requests.length;
    const again = await copy(target, apiserver, "v1.27.2", "locked");
    expect(again.tags).toEqual([{ tag: "v1.27.2", changed: false }]);
    expect(ecr.requests.slice(mark).filter((r) => r.method === "PUT" && r.path.endsWith("/manifests/v1.27.2"))).toEqual([]);

    await copyReference(new RegistryRepository(sourceClient, apiserverNext.repository), target.repository!("locked/kube-apiserver"), "v1.27.3", ["v1.27.3"], { preserveDigests: true });
    const moved = await target.repository!("locked/kube-apiserver").tag({ mediaType: apiserverNext.root.mediaType, digest: apiserverNext.root.digest as Digest, size: apiserverNext.root.size }, "v1.27.2").catch((e: unknown) => e);
    expect((moved as Error).message).toContain("locked/kube-apiserver: the repository is IMMUTABLE and the tag already holds another image; ECR never moves it. ECR said:");
    expect((moved as Error).message).toContain("The image tag 'v1.27.2' already exists in the 'locked/kube-apiserver' repository and cannot be overwritten because the tag is immutable.");
    expect(ecr.repository("locked/kube-apiserver")?.tags.get("v1.27.2")).toBe(apiserver.root.digest);
  });
});

describe("ecr provider: the authorization token", () => {
  it("replaces the token before it expires, and after it expired mid-apply, without a refused request", async () => {
    ecr.setTokenLifetime(3600);
    const target = await provider();
    const issued = ecr.issuedTokens.length;
    await applyAll(target, [item(kindnet, "v20230227-15197099", "longrun"), item(apiserver, "v1.27.2", "longrun")]);
    const mark = ecr.requests.length;
    await copy(target, kindnet, "v20230227-15197099", "longrun");
    expect(ecr.issuedTokens.length).toBe(issued + 1);
    const first = ecr.issuedTokens.at(-1)!;

    // Fifty minutes later (ten before expiry): the next call gets a fresh token although the old one still works.
    now += 50 * 60_000;
    expect((await target.observe!([item(kindnet, "v20230227-15197099", "longrun")])).size).toBe(1);
    await target.repository!("longrun/kindest/kindnetd").resolve("v20230227-15197099");
    expect(ecr.issuedTokens.length).toBe(issued + 2);
    const second = ecr.issuedTokens.at(-1)!;
    expect(second).not.toBe(first);
    const secondExpires = now + 3600_000;

    // A long apply: every answered request takes two minutes of (injected) time, so copying one more
    // image outlives a one-hour token; requests in flight never outlive the refresh margin.
    const started = now;
    const before = ecr.issuedTokens.length;
    onAnswered = () => {
      now += 2 * 60_000;
    };
    try {
      await copy(target, apiserver, "v1.27.2", "longrun");
      await copyReference(new RegistryRepository(sourceClient, apiserverNext.repository), target.repository!("longrun/kube-apiserver"), "v1.27.3", ["v1.27.3"], { preserveDigests: true });
    } finally {
      onAnswered = () => undefined;
    }
    // The apply outlived the token it started with, which was replaced in time.
    expect(now).toBeGreaterThan(secondExpires);
    expect(now - started).toBeGreaterThan(3600_000);
    expect(ecr.issuedTokens.length - before).toBeGreaterThanOrEqual(1);
    const wire = ecr.requests.slice(mark);
    // Refused: a 403 (ECR's answer to an expired token) or a 401 to credentials. A new client's first, anonymous request is challenged with 401 once.
    expect(wire.filter((r) => r.status === 403 || (r.status === 401 && r.headers.authorization !== undefined)).map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([]);
    expect(wire.filter((r) => r.status === 401).length).toBeLessThanOrEqual(ecr.issuedTokens.length - issued);
    const basic = (t: string) => `Basic ${Buffer.from(`AWS:${t}`).toString("base64")}`;
    const used = [...new Set(wire.flatMap((r) => (r.headers.authorization ? [r.headers.authorization] : [])))];
    // Each token in turn, none of them skipped or used again after the next one arrived.
    expect(used).toEqual([first, second, ...ecr.issuedTokens.slice(before)].map(basic));
    expect((await target.observe!([item(apiserver, "v1.27.2", "longrun")])).get(item(apiserver, "v1.27.2", "longrun").address)).toEqual({ state: "present", digest: apiserver.root.digest });

    // The server would have refused the old tokens, with ECR's words.
    const stale = await new RegistryClient({ transport, url: ecr.registryUrl, credentials: { username: "AWS", password: first } }).getManifest("longrun/kube-apiserver", "v1.27.2").catch((e: unknown) => e);
    expect((stale as Error).message).toContain("Your authorization token has expired. Reauthenticate and try again.");
    ecr.setTokenLifetime(12 * 3600);
  });
});

describe("ecr provider: bad input", () => {
  it("makes repository names with uppercase letters a plan error, and ECR refuses them too", async () => {
    const target = await provider();
    const bad = { ...item(kindnet, "v1"), repository: "spectro-images/Kindest/KindNetd" };
    const problems = await target.preflight!({ items: [bad, item(kindnet, "v1", "x")], uploads: [], writes: true });
    expect(problems.map((p) => p.message)).toEqual([
      `ECR refuses the repository name \`spectro-images/Kindest/KindNetd\`: it has uppercase letters (${ecr.registryHost}); change the bundle's \`path\` or naming`,
    ]);
    await expect(target.prerequisites!([bad])).rejects.toThrow(/ECR refuses the repository name `spectro-images\/Kindest\/KindNetd`: it has uppercase letters/);
    const forced = await target.applyPrerequisite!({ key: "k", reason: "r", data: { action: "create-repository", request: { repositoryName: "Upper/Case", imageTagMutability: "MUTABLE", imageScanningConfiguration: { scanOnPush: false }, encryptionConfiguration: { encryptionType: "AES256" } } } });
    expect(forced).toEqual({ status: "failed", error: expect.stringContaining("CreateRepository Upper/Case: InvalidParameterException: Invalid parameter at 'repositoryName' failed to satisfy constraint") });
  });

  it("explains a push into a repository that was never created (ECR's NAME_UNKNOWN)", async () => {
    const target = await provider();
    const failure = await copy(target, kindnet, "v20230227-15197099", "uncreated").catch((e: unknown) => e);
    expect((failure as Error).message).toContain("repository uncreated/kindest/kindnetd does not exist in");
    expect((failure as Error).message).toContain("ECR never creates repositories on push; airgap creates them as prerequisites of the plan");
    expect((failure as Error).message).toContain("The repository with name 'uncreated/kindest/kindnetd' does not exist in the registry with id '123456789012'");
  });

  it("says what is wrong with the AWS credentials: none found, or refused", async () => {
    useCredentials(undefined);
    try {
      const none = await provider();
      const problems = await none.preflight!({ items: [item(kindnet, "v1")], uploads: [], writes: true });
      expect(problems.map((p) => p.message)).toEqual([expect.stringMatching(/GetAuthorizationToken: no AWS credentials found .*provide them through the environment \(AWS_ACCESS_KEY_ID\/AWS_SECRET_ACCESS_KEY\), a shared profile/)]);
      useCredentials({ id: "AKIAWRONGWRONGWRONG0", secret: "nope" });
      const wrong = await provider();
      const refused = await wrong.preflight!({ items: [item(kindnet, "v1")], uploads: [], writes: true });
      expect(refused.map((p) => p.message)).toEqual([`${ecr.registryHost}: GetAuthorizationToken: UnrecognizedClientException: The security token included in the request is invalid.`]);
      expect(refused.join("")).not.toContain("nope");
    } finally {
      useCredentials({ id: ecr.accessKeyId, secret: ecr.secretAccessKey });
    }
  });

  it("takes account and region from an ECR registry URL and refuses settings that contradict it", async () => {
    await expect(provider({ url: "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com", region: "us-east-1" })).rejects.toThrow(
      "registries.ecr: `region: us-east-1` contradicts the registry URL https://123456789012.dkr.ecr.eu-west-1.amazonaws.com, which is in eu-west-1",
    );
    const fromUrl = await createProvider("ecr", { url: "https://210987654321.dkr.ecr.eu-west-1.amazonaws.com", endpoint: ecr.apiUrl }, { registryName: "ecr", baseDir: dir.path, logger: silentLogger, oci: createOciToolkit({ transport, logger: silentLogger, env: {} }), clock });
    providers.push(fromUrl);
    expect(fromUrl.display).toBe("210987654321.dkr.ecr.eu-west-1.amazonaws.com");
    // Only a region: the registry is the one GetAuthorizationToken names (the caller's account).
    const regionOnly = await createProvider("ecr", { region: "us-east-1", endpoint: ecr.apiUrl }, { registryName: "ecr", baseDir: dir.path, logger: silentLogger, oci: createOciToolkit({ transport, logger: silentLogger, env: {} }), clock });
    providers.push(regionOnly);
    expect(regionOnly.display).toBe(ecr.registryHost);
  });

  it("deletes exactly one tag with BatchDeleteImage, leaving the image's other tags", async () => {
    const target = await provider();
    await target.deleteTag!("spectro-packs/cni-calico", "stable", calico.root.digest);
    expect(ecr.apiCalls.filter((c) => c.operation === "BatchDeleteImage").map((c) => c.input)).toEqual([{ registryId: "123456789012", repositoryName: "spectro-packs/cni-calico", imageIds: [{ imageTag: "stable" }] }]);
    expect(await target.listTags!("spectro-packs/cni-calico")).toEqual(["3.25.1"]);
    expect((await new RegistryClient({ transport, url: upstream.url, credentials: anonymousCredentials }).listTags("spectro-packs/cni-calico")).sort()).toEqual(["3.25.1"]);
  });
});

describe("ecr provider: the AWS SDK loads lazily", () => {
  it("is imported only by a dynamic import() in the plugin, never statically and never by the core", () => {
    const root = new URL("../../../", import.meta.url).pathname;
    const files = (d: string): string[] => readdirSync(join(root, d), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(d, e.name)) : /\.tsx?$/.test(e.name) ? [join(d, e.name)] : []));
    const statically = [...files("src"), ...files("plugins")].filter((f) => /^\s*import\s+(?!type\b)[^;]*from\s+["']@aws-sdk\//m.test(readFileSync(join(root, f), "utf8")));
    expect(statically).toEqual([]);
    const dynamically = [...files("src"), ...files("plugins")].filter((f) => /import\(\s*["']@aws-sdk\/client-ecr["']\s*\)/.test(readFileSync(join(root, f), "utf8")));
    expect(dynamically).toEqual(["plugins/ecr/api.ts"]);
  });
});
