import { describe, expect, it } from "vitest";
import { targetRepository } from "../../../src/core/naming.js";

const nginx = { registry: "docker.io", repository: "library/nginx" };

describe("target repository naming", () => {
  it("drops the upstream host by default and prefixes the bundle path", () => {
    expect(targetRepository(nginx, "mke")).toBe("mke/library/nginx");
    expect(targetRepository(nginx, undefined)).toBe("library/nginx");
  });

  it("keeps the host as a path segment, with the port made legal", () => {
    expect(targetRepository(nginx, "mirror", { host: "keep", separator: "-" })).toBe("mirror/docker.io/library/nginx");
    expect(targetRepository({ registry: "127.0.0.1:5001", repository: "a" }, undefined, { host: "keep", separator: "-" })).toBe("127.0.0.1-5001/a");
  });

  it("flattens to a depth limit: a/b/c/d at depth 2 is a/b-c-d", () => {
    expect(targetRepository({ registry: "x", repository: "b/c/d" }, "a", { host: "drop", maxDepth: 2, separator: "-" })).toBe("a/b-c-d");
    expect(targetRepository({ registry: "x", repository: "b/c/d" }, "a", { host: "drop", maxDepth: 3, separator: "_" })).toBe("a/b/c_d");
    expect(targetRepository({ registry: "x", repository: "b" }, "a", { host: "drop", maxDepth: 3, separator: "-" })).toBe("a/b");
  });

  it("lets `as` replace the upstream repository", () => {
    expect(targetRepository(nginx, "mke", undefined, "web/nginx")).toBe("mke/web/nginx");
  });
});
