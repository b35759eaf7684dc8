import { describe, expect, it } from "vitest";
import { familiarReference, formatReference, parseReference } from "../../../src/core/reference.js";
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
