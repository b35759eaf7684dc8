import { describe, expect, it } from "vitest";
import type { Digest } from "../../../../src/core/digest.js";
import { DOCKER_LAYER_TAR, normalizeRepoTag, synthesizeManifest } from "../../../../src/oci/docker-archive/index.js";
import { resolveLinkTarget } from "../../../../src/oci/layout/tar-index.js";
import { sha256 } from "./fixtures.js";

const config = { mediaType: "application/vnd.docker.container.image.v1+json", digest: sha256("config"), size: 6 };
const layer = (seed: string, size: number): { mediaType: string; digest: Digest; size: number } => ({ mediaType: DOCKER_LAYER_TAR, digest: sha256(seed), size });

describe("synthesizeManifest", () => {
  it("writes compact JSON in distribution's key order, whatever order the descriptors' keys have", () => {
    const shuffled = { size: 6, digest: config.digest, mediaType: config.mediaType, annotations: { ignored: "yes" } };
    const { bytes, descriptor } = synthesizeManifest(shuffled, [layer("a", 10), layer("b", 20)]);
    expect(bytes.toString()).toBe(
      `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":6,"digest":"${config.digest}"},` +
        `"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar","size":10,"digest":"${sha256("a")}"},{"mediaType":"application/vnd.docker.image.rootfs.diff.tar","size":20,"digest":"${sha256("b")}"}]}`,
    );
    expect(descriptor).toEqual({ mediaType: "application/vnd.docker.distribution.manifest.v2+json", digest: sha256(bytes), size: bytes.length });
    expect(JSON.parse(bytes.toString())).toMatchObject({ schemaVersion: 2, layers: [{ size: 10 }, { size: 20 }] });
  });

  it("is deterministic and keeps repeated layers (an image may repeat an empty layer)", () => {
    const a = synthesizeManifest(config, [layer("a", 10), layer("a", 10)]);
    const b = synthesizeManifest({ ...config }, [layer("a", 10), layer("a", 10)]);
    expect(a.bytes.equals(b.bytes)).toBe(true);
    expect((JSON.parse(a.bytes.toString()) as { layers: unknown[] }).layers).toHaveLength(2);
  });
});

describe("normalizeRepoTag", () => {
  it.each([
    ["nginx:1.25", "docker.io/library/nginx:1.25"],
    ["library/nginx:1.25", "docker.io/library/nginx:1.25"],
    ["docker.io/library/nginx:1.25", "docker.io/library/nginx:1.25"],
    ["index.docker.io/team/app:v1", "docker.io/team/app:v1"],
    ["bitnami/redis:7", "docker.io/bitnami/redis:7"],
    ["localhost:5000/app:dev", "localhost:5000/app:dev"],
    ["quay.io/org/app:1", "quay.io/org/app:1"],
  ])("%s → %s", (input, expected) => {
    expect(normalizeRepoTag(input, "here")).toBe(expected);
  });

  it.each(["nginx", `nginx@${sha256("x")}`, "nginx:1@" + sha256("x"), "Nginx:1", ""])("refuses %j", (input) => {
    expect(() => normalizeRepoTag(input, "here")).toThrow(/RepoTag/);
  });
});

describe("resolveLinkTarget", () => {
  it.each([
    ["abc/layer.tar", "../def/layer.tar", "def/layer.tar"],
    ["abc/layer.tar", "../0123.tar", "0123.tar"],
    ["abc/layer.tar", "./other", "abc/other"],
    ["top", "x/y", "x/y"],
    ["a/b/c", "../../d", "d"],
  ])("%s -> %s lands on %s", (name, target, expected) => {
    expect(resolveLinkTarget(name, target, "here")).toBe(expected);
  });

  it.each([
    ["abc/layer.tar", "../../etc/passwd"],
    ["top", ".."],
    ["top", "../x"],
    ["a", "/etc/passwd"],
    ["a", "C:\\Windows"],
    ["a", "\\\\server\\share"],
    ["a", ""],
    ["a/b", "..\\..\\x"],
    ["a", "."],
  ])("refuses %s -> %j", (name, target) => {
    expect(() => resolveLinkTarget(name, target, "here")).toThrow(/symbolic link/);
  });
});
