import { describe, expect, it } from "vitest";
import { normalizeConfig, type NormalizedConfig } from "../../../src/config/normalize.js";
import type { AirgapLock } from "../../../src/lock/model.js";
import { compareLock, LockIndex } from "../../../src/lock/lookup.js";
import { RefreshPolicy } from "../../../src/resolve/refresh.js";
import { loadYaml } from "../../helpers/config.js";

const D = (c: string): string => `sha256:${c.repeat(64)}`;
const M = "application/vnd.oci.image.manifest.v1+json";

async function config(): Promise<NormalizedConfig> {
  const loaded = await loadYaml(`apiVersion: airgap/v1
registries:
  mirror: { provider: oci, url: "http://127.0.0.1:5000" }
  files: { provider: fileserver, url: "http://127.0.0.1:8080" }
bundles:
  b:
    registry: mirror
    images:
      - registry.example/team/app:1.0
      - { ref: registry.example/team/app, tags: { semver: "^1" } }
      - nginx
    charts:
      - { ref: oci://registry.example/charts, name: nginx, version: 15.x }
    files:
      - { url: "https://example.com/k0s", sha256: ${"a".repeat(64)}, to: { registry: files, path: k0s } }
`);
  if (!loaded.ok) throw new Error(loaded.lines.join("\n"));
  return normalizeConfig(loaded.loaded.config, loaded.loaded.baseDir);
}

const LOCK: AirgapLock = {
  lockVersion: 1,
  generated: "2025-01-01T00:00:00.000Z",
  images: [
    { ref: "registry.example/team/app:1.0", digest: D("1"), mediaType: M, size: 1 },
    { ref: "registry.example/team/app", filter: { semver: "^1" }, selected: ["1.1", "1.0"] },
    { ref: "registry.example/team/app:1.1", digest: D("2"), mediaType: M, size: 2 },
    { ref: "docker.io/library/nginx:latest", digest: D("3"), mediaType: M, size: 3 },
    { ref: "registry.example/old:1", digest: D("4"), mediaType: M, size: 4 },
  ],
  charts: [{ type: "oci", ref: "registry.example/charts/nginx", version: "15.x", resolvedVersion: "15.2.0", digest: D("5"), mediaType: M, size: 5 }],
  files: [{ url: "https://example.com/k0s", sha256: "a".repeat(64), size: 6 }],
};

describe("lock lookups", () => {
  it("finds concrete images, expands filters, and matches charts and files", async () => {
    const cfg = await config();
    const bundle = cfg.bundles[0];
    if (bundle === undefined) throw new Error("fixture");
    const index = new LockIndex(LOCK);
    expect(index.imagesFor(bundle.images[0]!)).toMatchObject({ found: true, images: [{ digest: D("1") }] });
    expect(index.imagesFor(bundle.images[1]!)).toMatchObject({ found: true, images: [{ ref: "registry.example/team/app:1.1" }, { ref: "registry.example/team/app:1.0" }] });
    expect(index.imagesFor(bundle.images[2]!)).toMatchObject({ found: true, images: [{ ref: "docker.io/library/nginx:latest" }] });
    expect(index.chartFor(bundle.charts[0]!)).toMatchObject({ resolvedVersion: "15.2.0" });
    expect(index.fileFor(bundle.files[0]!, cfg.baseDir)).toMatchObject({ size: 6 });
  });

  it("says when config and lock disagree", async () => {
    const cfg = await config();
    expect(compareLock(cfg, LOCK)).toEqual({ upToDate: false, missing: [], unused: ["registry.example/old:1"] });
    const changed: AirgapLock = { ...LOCK, images: LOCK.images.filter((e) => !("filter" in e)), files: [{ ...LOCK.files[0]!, sha256: "b".repeat(64) }] };
    const result = compareLock(cfg, changed);
    expect(result.upToDate).toBe(false);
    expect(result.missing.map((m) => [m.pointer, m.reason])).toEqual([
      ["/bundles/b/images/1", "the tag filter of registry.example/team/app is not in airgap.lock (new, or the filter changed)"],
      ["/bundles/b/files/0", "file https://example.com/k0s is not in airgap.lock with the declared sha256"],
    ]);
  });
});

describe("RefreshPolicy", () => {
  const app = { registry: "registry.example", repository: "team/app" };

  it("matches references by repository, tag and digest, and filters only by a tag-less REF", () => {
    const policy = new RefreshPolicy(["registry.example/team/app:1.0", "oci://registry.example/charts/nginx", "unused/thing"]);
    expect(policy.image({ ...app, tag: "1.0" })).toBe(true);
    expect(policy.image({ ...app, tag: "1.1" })).toBe(false);
    expect(policy.repository(app)).toBe(false);
    expect(new RefreshPolicy(["registry.example/team/app"]).repository(app)).toBe(true);
    expect(policy.unmatched()).toEqual(["oci://registry.example/charts/nginx", "unused/thing"]);
  });

  it("true refreshes everything, nothing refreshes nothing", () => {
    expect(new RefreshPolicy(true).image({ ...app, tag: "x" })).toBe(true);
    expect(new RefreshPolicy(undefined).image({ ...app, tag: "x" })).toBe(false);
    expect(new RefreshPolicy(false).unmatched()).toEqual([]);
  });
});

describe("lock keys are the data itself", () => {
  async function tagged(env: Record<string, string>): Promise<NormalizedConfig> {
    const loaded = await loadYaml(`apiVersion: airgap/v1
sources:
  up: { type: registry, host: registry.example, credentials: { username: "\${USER_NAME}", password: "\${PASSWORD}" } }
registries:
  mirror: { provider: oci, url: "http://127.0.0.1:5000" }
bundles:
  b:
    registry: mirror
    images: ["registry.example/team/app:\${TAG:-1.0}"]
`, { USER_NAME: "team", PASSWORD: "1.0", ...env });
    if (!loaded.ok) throw new Error(loaded.lines.join("\n"));
    return normalizeConfig(loaded.loaded.config, loaded.loaded.baseDir);
  }
  const lock: AirgapLock = { lockVersion: 1, generated: "2025-01-01T00:00:00.000Z", images: [{ ref: "registry.example/team/app:1.0", digest: D("1"), mediaType: M, size: 1 }], charts: [], files: [] };

  it("a ${TAG:-default} tag is matched exactly, and another value of TAG makes the lock out of date", async () => {
    expect(compareLock(await tagged({}), lock)).toEqual({ upToDate: true, missing: [], unused: [] });
    const other = compareLock(await tagged({ TAG: "2.0" }), lock);
    expect(other.upToDate).toBe(false);
    expect(other.missing).toEqual([{ pointer: "/bundles/b/images/0", subject: "registry.example/team/app:2.0", reason: "registry.example/team/app:2.0 is not in airgap.lock" }]);
    expect(other.unused).toEqual(["registry.example/team/app:1.0"]);
  });
});
