/**
 * Resolution against a real registry (distribution 2.8 from the harness),
 * with every request going through the fault proxy so the tests can count
 * exactly what the resolver asked.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compareLock, isTagSelection, serializeLock, type AirgapLock, type LockedImage, type LockedTagSelection } from "../../../src/lock/index.js";
import { startFaultProxy, type FaultProxy } from "../../harness/fault-proxy.js";
import { DEFAULT_IMAGE_SPECS, generateImages, LINUX_AMD64, pushImages, type ImageSpec, type TestImage } from "../../harness/images.js";
import { getFreePort } from "../../harness/ports.js";
import { sha256Digest } from "../../harness/random.js";
import { startRegistry, type RunningRegistry } from "../../harness/registry.js";
import { inspectRaw } from "../../harness/skopeo.js";
import { configFrom, testTransport, problemLines, resolve, type TestConfig } from "./helpers.js";

const MANY = ["1.0.0", "1.0.1", "1.1.0", "1.2.0-rc.1", "1.2.0", "v1.3.0", "2.0.0", "latest", "build-9", "build-10"];
const specs: ImageSpec[] = [
  ...DEFAULT_IMAGE_SPECS,
  ...MANY.map((tag): ImageSpec => ({ repository: "tags/many", tags: [tag], format: "oci", layerSize: 256, sharedBase: false })),
  { repository: "doomed/app", tags: ["1.0"], format: "oci", layerSize: 256 },
  { repository: "moving/app", tags: ["1.0"], format: "oci", layerSize: 256 },
];
const images = generateImages("resolve-registry", specs);

/** A Helm chart stored as an OCI artifact (config and content media types from helm/pkg/registry). */
function chartArtifact(repository: string, version: string): TestImage {
  const configData = Buffer.from(JSON.stringify({ apiVersion: "v2", name: repository.split("/").pop(), version }));
  const chart = Buffer.from(`not really a tgz: ${repository} ${version}`);
  const config = { mediaType: "application/vnd.cncf.helm.config.v1+json", digest: sha256Digest(configData), size: configData.length, data: configData };
  const layer = { mediaType: "application/vnd.cncf.helm.chart.content.v1.tar+gzip", digest: sha256Digest(chart), size: chart.length, data: chart, diffId: sha256Digest(chart) };
  const mediaType = "application/vnd.oci.image.manifest.v1+json";
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, config: { mediaType: config.mediaType, digest: config.digest, size: config.size }, layers: [{ mediaType: layer.mediaType, digest: layer.digest, size: layer.size }] }));
  return { repository, tags: [version.replace(/\+/g, "_")], format: "oci", root: { kind: "manifest", mediaType, digest: sha256Digest(bytes), size: bytes.length, bytes, platform: LINUX_AMD64, config, layers: [layer] } };
}
const charts = ["15.13.0", "15.14.0", "15.14.1+build.2", "16.0.0", "15.15.0-rc.1"].map((v) => chartArtifact("charts/nginx", v));

let registry: RunningRegistry;
let proxy: FaultProxy;
let host: string;

beforeAll(async () => {
  registry = await startRegistry();
  await pushImages(registry, images);
  await pushImages(registry, charts);
  proxy = await startFaultProxy({ upstream: registry });
  host = registry.host;
});

afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
  await testTransport.close();
});

function sources(): string {
  return `sources:\n  up: { type: registry, host: "${host}", url: "${proxy.url}" }\n`;
}

function yaml(body: string): string {
  return `apiVersion: airgap/v1\n${sources()}registries:\n  mirror: { provider: oci, url: "http://127.0.0.1:5999" }\nbundles:\n  main:\n    registry: mirror\n${body}`;
}

function concrete(lock: AirgapLock, ref: string): LockedImage {
  const found = lock.images.find((e): e is LockedImage => !isTagSelection(e) && e.ref === ref);
  if (found === undefined) throw new Error(`${ref} not in lock: ${lock.images.map((e) => e.ref).join(", ")}`);
  return found;
}

function selection(lock: AirgapLock, ref: string, key: string): LockedTagSelection {
  const found = lock.images.find((e): e is LockedTagSelection => isTagSelection(e) && e.ref === ref && JSON.stringify(e.filter).includes(key));
  if (found === undefined) throw new Error(`no selection for ${ref} ${key}`);
  return found;
}

function root(repository: string, tag: string): TestImage["root"] {
  return images.get(repository, tag).root;
}

describe("resolving from a registry", () => {
  let test: TestConfig;
  let lock: AirgapLock;

  beforeAll(async () => {
    const pinned = root("library/oci-single", "1.0").digest;
    test = await configFrom(
      yaml(`    platforms: [linux/amd64, linux/arm64]
    images:
      - ${host}/library/single:1.0
      - ${host}/library/oci-single@${pinned}
      - ${host}/team/sub/app:v1
      - ${host}/team/sub/legacy:v1
      - { ref: ${host}/tags/many, tags: { semver: ">=1.0 <2" } }
      - { ref: ${host}/tags/many, tags: { glob: "build-*" } }
      - { ref: ${host}/tags/many, tags: { regex: "^[0-9.]+$", newest: 2 } }
      - { ref: ${host}/tags/many, tags: ["latest", "1.0.0"] }
    charts:
      - oci://${host}/charts/nginx:15.14.0
      - { ref: oci://${host}/charts, name: nginx, version: "15.x" }
`),
    );
    const result = await resolve(test, { now: () => new Date("2025-05-05T00:00:00Z") });
    expect(problemLines(result)).toEqual([]);
    lock = result.lock;
  });

  it("locks plain tags and digests to the digests the registry serves", () => {
    const single = root("library/single", "1.0");
    expect(concrete(lock, `${host}/library/single:1.0`)).toMatchObject({ digest: single.digest, mediaType: single.mediaType, size: single.size });
    const pinned = root("library/oci-single", "1.0");
    expect(concrete(lock, `${host}/library/oci-single@${pinned.digest}`)).toMatchObject({ digest: pinned.digest, size: pinned.size });
    expect(lock.generated).toBe("2025-05-05T00:00:00.000Z");
  });

  it("records config+layer bytes for single manifests", () => {
    const single = root("library/single", "1.0");
    if (single.kind !== "manifest") throw new Error("fixture");
    expect(concrete(lock, `${host}/library/single:1.0`).contentSize).toBe(single.config.size + single.layers.reduce((s, l) => s + l.size, 0));
  });

  it("records every child of a multi-arch index as skopeo inspect --raw reports it", async () => {
    for (const [repository, tag] of [["team/sub/app", "v1"], ["team/sub/legacy", "v1"]] as const) {
      const raw = await inspectRaw(`docker://${host}/${repository}:${tag}`);
      const index = JSON.parse(raw.bytes.toString("utf8")) as { manifests: { digest: string; size: number; mediaType: string; platform: { os: string; architecture: string; variant?: string } }[] };
      const locked = concrete(lock, `${host}/${repository}:${tag}`);
      expect(locked.digest).toBe(raw.digest);
      expect(locked.mediaType).toBe(raw.mediaType);
      expect(locked.manifests?.map((m) => [m.platform, m.digest, m.size, m.mediaType])).toEqual(
        index.manifests.map((m) => [[m.platform.os, m.platform.architecture, m.platform.variant].filter(Boolean).join("/"), m.digest, m.size, m.mediaType]),
      );
      const model = root(repository, tag);
      if (model.kind !== "index") throw new Error("fixture");
      for (const [i, child] of model.manifests.entries()) {
        expect(locked.manifests?.[i]?.contentSize).toBe(child.config.size + child.layers.reduce((s, l) => s + l.size, 0));
      }
      expect(locked.contentSize).toBe(locked.manifests?.reduce((s, m) => s + m.size + (m.contentSize ?? 0), 0));
    }
  });

  it("evaluates semver, glob, regex+newest and list filters over the tag list, newest first", () => {
    const repo = `${host}/tags/many`;
    expect(selection(lock, repo, "semver").selected).toEqual(["v1.3.0", "1.2.0", "1.1.0", "1.0.1", "1.0.0"]);
    expect(selection(lock, repo, "glob").selected).toEqual(["build-10", "build-9"]);
    expect(selection(lock, repo, "regex").selected).toEqual(["2.0.0", "1.2.0"]);
    expect(selection(lock, repo, "list").selected).toEqual(["latest", "1.0.0"]);
    for (const tag of ["v1.3.0", "1.0.0", "build-9", "2.0.0", "latest"]) {
      expect(concrete(lock, `${repo}:${tag}`).digest).toBe(root("tags/many", tag).digest);
    }
    // Selected once, however many filters select it.
    expect(lock.images.filter((e) => e.ref === `${repo}:1.0.0`)).toHaveLength(1);
    expect(lock.images.some((e) => e.ref === `${repo}:1.2.0-rc.1`)).toBe(false);
  });

  it("locks OCI charts by exact version and by range (newest match, `+` stored as `_`)", () => {
    const exact = lock.charts.find((c) => c.type === "oci" && c.version === "15.14.0");
    const range = lock.charts.find((c) => c.type === "oci" && c.version === "15.x");
    expect(exact).toMatchObject({ ref: `${host}/charts/nginx`, resolvedVersion: "15.14.0", digest: charts[1]?.root.digest });
    expect(range).toMatchObject({ ref: `${host}/charts/nginx`, resolvedVersion: "15.14.1+build.2", digest: charts[2]?.root.digest });
  });

  it("gives byte-identical lock content on a rerun, and the lock covers the config", async () => {
    const again = await resolve(test, { now: () => new Date("2030-01-01T00:00:00Z") });
    expect(serializeLock(again.lock)).not.toBe(serializeLock(lock)); // only `generated` differs without a previous lock…
    const withLock = await resolve(test, { lock, now: () => new Date("2030-01-01T00:00:00Z") });
    expect(serializeLock(withLock.lock)).toBe(serializeLock(lock)); // …and is kept when there is one
    expect(compareLock(test.config, lock)).toEqual({ upToDate: true, missing: [], unused: [] });
  });

  it("reruns with the lock using only HEAD requests by digest", async () => {
    proxy.clearRequests();
    const result = await resolve(test, { lock });
    await proxy.settled();
    expect(problemLines(result)).toEqual([]);
    const requests = proxy.requests.map((r) => `${r.method} ${r.path}`);
    const concreteCount = lock.images.filter((e) => !isTagSelection(e)).length + lock.charts.length;
    expect(requests).toHaveLength(concreteCount);
    for (const r of requests) expect(r).toMatch(/^HEAD \/v2\/[a-z/-]+\/manifests\/sha256:[a-f0-9]{64}$/);
  });
});

describe("expected failures are problems, and the other entries still resolve", () => {
  it("reports a missing tag and a missing repository with what the registry has", async () => {
    const test = await configFrom(
      yaml(`    images:
      - ${host}/library/single:9.9
      - ${host}/no/such/repo:1.0
      - ${host}/library/single:1.0
      - { ref: ${host}/tags/many, tags: { semver: ">=7" } }
      - { ref: ${host}/tags/many, tags: ["1.0.0", "0.0.1"] }
`),
    );
    const result = await resolve(test);
    expect(problemLines(result)).toEqual([
      `tag-not-found /bundles/main/images/0: ${host}/library/single:9.9: tag "9.9" not found; ${host}/library/single has 2 tags: latest, 1.0`,
      `repository-not-found /bundles/main/images/1: ${host}/no/such/repo:1.0: repository not found (${host}/no/such/repo lists no tags)`,
      `no-matching-tags /bundles/main/images/3: ${host}/tags/many: no tag matches semver ">=7"; ${host}/tags/many has 10 tags: v1.3.0, latest, build-10, build-9, 2.0.0, 1.2.0-rc.1, 1.2.0, 1.1.0 and 2 more`,
      `no-matching-tags /bundles/main/images/4: ${host}/tags/many: tag "0.0.1" not found; ${host}/tags/many has 10 tags: v1.3.0, latest, build-10, build-9, 2.0.0, 1.2.0-rc.1, 1.2.0, 1.1.0 and 2 more`,
    ]);
    expect(result.lock.images.map((e) => e.ref)).toEqual([`${host}/library/single:1.0`]);
  });

  it("reports requested platforms an index lacks, listing the available ones", async () => {
    const test = await configFrom(
      yaml(`    platforms: [linux/amd64, linux/s390x]
    images:
      - ${host}/team/sub/app:v2
      - { ref: ${host}/team/sub/legacy:v1, platforms: [linux/ppc64le] }
      - { ref: ${host}/team/sub/app:v1, platforms: [linux/arm], preserveDigests: true }
`),
    );
    const result = await resolve(test);
    expect(result.problems.map((p) => [p.kind, p.severity, p.pointer, p.message])).toEqual([
      ["platform-missing", "warning", "/bundles/main/images/0", `${host}/team/sub/app:v2 has no linux/s390x image; available: linux/amd64, linux/arm64`],
      ["platform-missing", "error", "/bundles/main/images/1", `${host}/team/sub/legacy:v1 has no linux/ppc64le image (none of the requested platforms); available: linux/amd64, linux/arm64`],
    ]);
    expect(result.lock.images).toHaveLength(3);
  });

  it("reports an unreachable registry with the error text, once per entry", async () => {
    const port = await getFreePort();
    const test = await configFrom(`apiVersion: airgap/v1
${sources()}  down: { type: registry, host: "127.0.0.1:${port}", url: "http://127.0.0.1:${port}" }
registries:
  mirror: { provider: oci, url: "http://127.0.0.1:5999" }
bundles:
  main:
    registry: mirror
    images:
      - 127.0.0.1:${port}/a/b:1
      - 127.0.0.1:${port}/a/c:1
      - ${host}/library/single:1.0
`);
    const result = await resolve(test);
    expect(result.problems.map((p) => [p.kind, p.pointer])).toEqual([
      ["source-unreachable", "/bundles/main/images/0"],
      ["source-unreachable", "/bundles/main/images/1"],
    ]);
    expect(result.problems[0]?.message).toMatch(new RegExp(`^127\\.0\\.0\\.1:${port}/a/b:1: cannot reach 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
    expect(result.lock.images).toHaveLength(1);
  });
});

describe("aborting", () => {
  it("rejects instead of reporting problems when the signal aborts", async () => {
    const test = await configFrom(yaml(`    images:\n      - ${host}/library/single:1.0\n      - ${host}/team/sub/app:v1\n`));
    const controller = new AbortController();
    controller.abort(new Error("stopped by the user"));
    await expect(resolve(test, { signal: controller.signal })).rejects.toThrow("stopped by the user");
  });
});

describe("a lock that no longer matches the registry", () => {
  it("reports a locked digest the registry deleted, and keeps the locked entry", async () => {
    const test = await configFrom(yaml(`    images:\n      - ${host}/doomed/app:1.0\n      - ${host}/library/single:1.0\n`));
    const first = await resolve(test);
    expect(first.problems).toEqual([]);
    const digest = root("doomed/app", "1.0").digest;
    const res = await registry.fetch(`/v2/doomed/app/manifests/${digest}`, { method: "DELETE" });
    expect(res.status).toBe(202);
    const again = await resolve(test, { lock: first.lock });
    expect(problemLines(again)).toEqual([
      `locked-digest-missing /bundles/main/images/0: airgap.lock pins ${host}/doomed/app:1.0 to ${digest}, which ${host}/doomed/app no longer has (deleted or garbage-collected upstream); run \`airgap lock --update ${host}/doomed/app:1.0\` to lock what it points at now`,
    ]);
    expect(serializeLock(again.lock)).toBe(serializeLock(first.lock));
    const refreshed = await resolve(test, { lock: first.lock, refresh: [`${host}/doomed/app:1.0`] });
    // Its only tag went with the manifest, so the registry lists none.
    expect(refreshed.problems.map((p) => p.kind)).toEqual(["repository-not-found"]);
  });

  it("keeps a moved tag's locked digest until refreshed (by REF or everything)", async () => {
    const test = await configFrom(yaml(`    images:\n      - ${host}/moving/app:1.0\n      - ${host}/library/single:1.0\n`));
    const first = await resolve(test);
    const before = root("moving/app", "1.0").digest;
    expect(concrete(first.lock, `${host}/moving/app:1.0`).digest).toBe(before);
    const moved = generateImages("resolve-registry-moved", [{ repository: "moving/app", tags: ["1.0"], format: "docker", layerSize: 300 }]);
    await pushImages(registry, moved);
    const after = moved.get("moving/app", "1.0").root.digest;

    const kept = await resolve(test, { lock: first.lock });
    expect(concrete(kept.lock, `${host}/moving/app:1.0`).digest).toBe(before);
    expect(kept.lock.generated).toBe(first.lock.generated);

    const byRef = await resolve(test, { lock: first.lock, refresh: ["127.0.0.1:" + registry.port + "/moving/app", "nothing/here"], now: () => new Date("2031-01-01T00:00:00Z") });
    expect(concrete(byRef.lock, `${host}/moving/app:1.0`).digest).toBe(after);
    expect(byRef.lock.generated).toBe("2031-01-01T00:00:00.000Z");
    expect(problemLines(byRef)).toEqual(["refresh-unmatched -: --update nothing/here: no image, chart or file of the configuration matches it"]);

    const all = await resolve(test, { lock: first.lock, refresh: true });
    expect(concrete(all.lock, `${host}/moving/app:1.0`).digest).toBe(after);
  });
});
