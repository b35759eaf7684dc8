import { describe, expect, it } from "vitest";
import { DEFAULT_NAMING, hostPrefix, prependedPrefix, RepositoryIndex, targetRepository, type NamingPolicy } from "../../../src/core/naming.js";

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

const keep: NamingPolicy = { host: "keep", separator: "-" };
const drop: NamingPolicy = DEFAULT_NAMING;
const UPSTREAMS = [
  { registry: "docker.io", repository: "library/nginx" },
  { registry: "docker.io", repository: "team/sub/app" },
  { registry: "quay.io", repository: "k0sproject/coredns" },
  { registry: "127.0.0.1:5001", repository: "a" },
  { registry: "registry.k8s.io", repository: "pause" },
];

describe("the mapping read as a prefix (what mirror configs can express)", () => {
  it.each([
    ["drop, no path", undefined, drop],
    ["drop, path", "mke", drop],
    ["drop, nested path", "mirror/mke", drop],
    ["keep, no path", undefined, keep],
    ["keep, path", "mke", keep],
  ] as const)("without flattening every target is hostPrefix/upstream (%s)", (_label, path, policy) => {
    for (const u of UPSTREAMS) {
      const target = targetRepository(u, path, policy);
      const prefix = hostPrefix(u.registry, path, policy);
      expect(target).toBe(prefix === "" ? u.repository : `${prefix}/${u.repository}`);
      expect(prependedPrefix(u.repository, target)).toBe(prefix);
    }
  });

  it("keeps the host as its path segment (port made legal)", () => {
    expect(hostPrefix("127.0.0.1:5001", "mirror", keep)).toBe("mirror/127.0.0.1-5001");
    expect(hostPrefix("docker.io", undefined, drop)).toBe("");
  });

  it("flattened or renamed repositories have no prefix", () => {
    const flat = targetRepository({ registry: "docker.io", repository: "team/sub/app" }, "mke", { host: "drop", maxDepth: 2, separator: "-" });
    expect(flat).toBe("mke/team-sub-app");
    expect(prependedPrefix("team/sub/app", flat)).toBeUndefined();
    expect(prependedPrefix("library/nginx", targetRepository(nginx, "mke", drop, "web/nginx"))).toBeUndefined();
    // a depth limit that the repository stays within changes nothing
    expect(prependedPrefix("library/nginx", targetRepository(nginx, "mke", { host: "drop", maxDepth: 3, separator: "-" }))).toBe("mke");
  });

  it("only cuts at a segment boundary", () => {
    expect(prependedPrefix("b/c", "a/xb/c")).toBeUndefined();
    expect(prependedPrefix("b/c", "a/b/c")).toBe("a");
    expect(prependedPrefix("b/c", "b/c")).toBe("");
  });
});

describe("the mapping in both directions", () => {
  it("maps every target back to exactly its upstream (round trip) when nothing collides", () => {
    for (const [path, policy] of [["mke", keep], [undefined, keep], ["mke", { host: "keep", maxDepth: 3, separator: "_" }]] as const) {
      const index = new RepositoryIndex(UPSTREAMS.map((u) => ({ upstream: u, target: targetRepository(u, path, policy) })));
      expect(index.conflicts()).toEqual([]);
      for (const u of UPSTREAMS) {
        const target = index.targetOf(u);
        expect(target).toBe(targetRepository(u, path, policy));
        expect(index.upstreamOf(target!)).toEqual(u);
      }
    }
  });

  it("reports targets that two upstreams share instead of picking one: the host dropped", () => {
    const upstreams = [nginx, { registry: "quay.io", repository: "library/nginx" }, { registry: "quay.io", repository: "x" }];
    const index = new RepositoryIndex(upstreams.map((u) => ({ upstream: u, target: targetRepository(u, "mke") })));
    expect(index.conflicts()).toEqual([{ target: "mke/library/nginx", upstreams: ["docker.io/library/nginx", "quay.io/library/nginx"] }]);
    expect(index.upstreamOf("mke/library/nginx")).toBeUndefined();
    expect(index.upstreamOf("mke/x")).toEqual({ registry: "quay.io", repository: "x" });
    expect(index.upstreamOf("mke/unknown")).toBeUndefined();
  });

  it("reports targets that two upstreams share instead of picking one: flattening", () => {
    const policy: NamingPolicy = { host: "drop", maxDepth: 2, separator: "-" };
    const upstreams = [{ registry: "x.io", repository: "b/c" }, { registry: "x.io", repository: "b-c" }];
    const index = new RepositoryIndex(upstreams.map((u) => ({ upstream: u, target: targetRepository(u, "a", policy) })));
    expect(index.conflicts()).toEqual([{ target: "a/b-c", upstreams: ["x.io/b-c", "x.io/b/c"] }]);
  });
});
