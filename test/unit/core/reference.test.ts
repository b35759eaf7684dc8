import { describe, expect, it } from "vitest";
import { canonicalRegistryHost, familiarReference, formatReference, parseReference, registryApiHost } from "../../../src/core/reference.js";
import { parseDigest, shortDigest } from "../../../src/core/digest.js";

const D = `sha256:${"a".repeat(64)}`;

describe("image references normalise the way docker does", () => {
  it.each([
    ["nginx", "docker.io/library/nginx"],
    ["nginx:1.25", "docker.io/library/nginx:1.25"],
    ["library/nginx:1.25", "docker.io/library/nginx:1.25"],
    ["bitnami/nginx", "docker.io/bitnami/nginx"],
    ["index.docker.io/user1/simple-app-bundle:v1.0.0", "docker.io/user1/simple-app-bundle:v1.0.0"],
    ["quay.io/k0sproject/coredns:1.11.3", "quay.io/k0sproject/coredns:1.11.3"],
    ["127.0.0.1:5001/team/sub/app:1.0", "127.0.0.1:5001/team/sub/app:1.0"],
    ["localhost/app", "localhost/app"],
    ["localhost:5000/app", "localhost:5000/app"],
    [`nginx@${D}`, `docker.io/library/nginx@${D}`],
    [`nginx:1.25@${D}`, `docker.io/library/nginx:1.25@${D}`],
    ["[::1]:5000/app:1", "[::1]:5000/app:1"],
  ])("%s → %s", (input, expected) => {
    const parsed = parseReference(input);
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(formatReference(parsed.reference)).toBe(expected);
  });

  it.each([
    ["", /empty/],
    ["NGINX", /lowercase/],
    ["nginx@sha256:abc", /64 lowercase hex/],
    ["nginx@md5:abcdef", /unsupported digest algorithm/],
    ["nginx:bad tag", /white space/],
    ["nginx:-x", /invalid tag/],
    ["https://quay.io/app", /URL scheme/],
    ["a//b", /invalid repository/],
  ])("refuses %j", (input, reason) => {
    const parsed = parseReference(input);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });

  it("prints the familiar docker form for display", () => {
    const parsed = parseReference("docker.io/library/nginx:1.25");
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(familiarReference(parsed.reference)).toBe("nginx:1.25");
  });

  it("checks digests and shortens them for humans", () => {
    expect(parseDigest(D).ok).toBe(true);
    expect(parseDigest(`sha512:${"b".repeat(128)}`).ok).toBe(true);
    expect(parseDigest(`sha256:${"A".repeat(64)}`).ok).toBe(false);
    expect(shortDigest(D)).toBe("sha256:aaaaaaaaaaaa");
  });
});

describe("one name per registry host", () => {
  it("folds every spelling of Docker Hub to docker.io, and lowercases hosts", () => {
    for (const host of ["docker.io", "index.docker.io", "registry-1.docker.io", "Docker.IO", " INDEX.DOCKER.IO "]) expect(canonicalRegistryHost(host)).toBe("docker.io");
    expect(canonicalRegistryHost("Registry.Example.com:5000")).toBe("registry.example.com:5000");
    expect(canonicalRegistryHost("127.0.0.1:5001")).toBe("127.0.0.1:5001");
    // Only Docker Hub's own names are folded: a look-alike keeps its name.
    expect(canonicalRegistryHost("docker.io.example.com")).toBe("docker.io.example.com");
    expect(canonicalRegistryHost("registry-2.docker.io")).toBe("registry-2.docker.io");
  });

  it("connects to Docker Hub's API host for every spelling, and to any other host as it is", () => {
    for (const host of ["docker.io", "index.docker.io", "registry-1.docker.io"]) expect(registryApiHost(host)).toBe("registry-1.docker.io");
    expect(registryApiHost("quay.io")).toBe("quay.io");
    // Both directions meet: the API host names the same registry.
    expect(canonicalRegistryHost(registryApiHost("index.docker.io"))).toBe("docker.io");
  });

  it("parses references with any spelling to the same repository (and so the same lock key)", () => {
    const names = ["nginx:1", "docker.io/library/nginx:1", "index.docker.io/library/nginx:1", "registry-1.docker.io/library/nginx:1"].map((text) => {
      const parsed = parseReference(text);
      return parsed.ok ? formatReference(parsed.reference) : parsed.reason;
    });
    expect(new Set(names)).toEqual(new Set(["docker.io/library/nginx:1"]));
  });
});
