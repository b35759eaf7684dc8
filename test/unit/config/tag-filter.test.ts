import { describe, expect, it } from "vitest";
import { canonicalTagFilter, describeTagFilter, selectTags } from "../../../src/config/tag-filter.js";
import { naturalCompare, newestInRange, parseTagVersion, sortNewestFirst } from "../../../src/config/version-order.js";

const TAGS = ["1.0.0", "1.0.1", "1.1.0", "1.2.0-rc.1", "1.2.0", "v1.3.0", "2.0.0", "2.1.0-beta.2", "latest", "1.2.0-debug", "stable"];

function tags(available: readonly string[], filter: Parameters<typeof selectTags>[1]): string[] {
  const result = selectTags(available, filter);
  if (!("tags" in result)) throw new Error(`expected tags, got missing ${result.missing.join(",")}`);
  return result.tags;
}

describe("selectTags", () => {
  it("list (both spellings) selects exactly those tags, newest first", () => {
    expect(tags(TAGS, ["1.0.0", "latest", "2.0.0"])).toEqual(["latest", "2.0.0", "1.0.0"]);
    expect(tags(TAGS, { list: ["1.1.0", "1.0.1"] })).toEqual(["1.1.0", "1.0.1"]);
  });

  it("list reports every missing tag instead of a partial selection", () => {
    expect(selectTags(TAGS, ["1.0.0", "9.9.9", "nope"])).toEqual({ missing: ["9.9.9", "nope"] });
  });

  it("glob matches whole tags, dots allowed", () => {
    expect(tags(TAGS, { glob: "1.2*" })).toEqual(["1.2.0", "1.2.0-rc.1", "1.2.0-debug"]);
    expect(tags(TAGS, { glob: "v1.?.*" })).toEqual(["v1.3.0"]);
    expect(tags([".hidden", "a.b"], { glob: "*" })).toEqual(["a.b", ".hidden"]);
  });

  it("regex is JavaScript syntax, not anchored for you", () => {
    expect(tags(TAGS, { regex: "^1\\.0\\.[0-9]+$" })).toEqual(["1.0.1", "1.0.0"]);
    expect(tags(TAGS, { regex: "rc" })).toEqual(["1.2.0-rc.1"]);
  });

  it("semver ranges accept a leading v and skip pre-releases unless the range names one", () => {
    expect(tags(TAGS, { semver: ">=1.0 <2" })).toEqual(["v1.3.0", "1.2.0", "1.1.0", "1.0.1", "1.0.0"]);
    expect(tags(TAGS, { semver: "1.2.x" })).toEqual(["1.2.0"]);
    expect(tags(TAGS, { semver: ">=1.2.0-rc.0 <1.3" })).toEqual(["1.2.0", "1.2.0-rc.1"]); // "debug" sorts before "rc.0"
    expect(tags(TAGS, { semver: ">=1.2.0-a <1.3" })).toEqual(["1.2.0", "1.2.0-rc.1", "1.2.0-debug"]);
    expect(tags(TAGS, { semver: "^2" })).toEqual(["2.0.0"]);
    expect(tags(TAGS, { semver: ">=3" })).toEqual([]);
  });

  it("exclude drops tags after the selector", () => {
    expect(tags(TAGS, { glob: "1.2.*", exclude: "-(rc|debug)" })).toEqual(["1.2.0"]);
    expect(tags(TAGS, { exclude: "^(latest|stable)$|-" })).toEqual(["2.0.0", "v1.3.0", "1.2.0", "1.1.0", "1.0.1", "1.0.0"]);
  });

  it("newest N orders by semver when every candidate is a version", () => {
    expect(tags(["1.9.0", "1.10.0", "v1.11.0", "1.2.0"], { newest: 2 })).toEqual(["v1.11.0", "1.10.0"]);
    expect(tags(TAGS, { semver: ">=1", newest: 3 })).toEqual(["2.0.0", "v1.3.0", "1.2.0"]);
  });

  it("newest N falls back to natural name order when a candidate is not a version", () => {
    expect(tags(["build-9", "build-10", "build-100", "build-11"], { newest: 2 })).toEqual(["build-100", "build-11"]);
    expect(tags(["1.25", "1.9", "1.25.3", "latest"], { newest: 3 })).toEqual(["latest", "1.25.3", "1.25"]);
  });

  it("newest larger than the candidates keeps them all; no filter keys selects everything", () => {
    expect(tags(["a", "b"], { newest: 5 })).toEqual(["b", "a"]);
    expect(tags(["b", "a", "b"], {})).toEqual(["b", "a"]);
  });

  it("is deterministic whatever the order of the tag list", () => {
    const shuffled = [...TAGS].reverse();
    expect(tags(shuffled, { glob: "*" })).toEqual(tags(TAGS, { glob: "*" }));
    expect(tags(["1.0.0", "v1.0.0"], {})).toEqual(tags(["v1.0.0", "1.0.0"], {}));
  });
});

describe("version order", () => {
  it("parses tags as versions with an optional v", () => {
    expect(parseTagVersion("v1.2.3")?.version).toBe("1.2.3");
    expect(parseTagVersion("V1.2.3-rc.1")?.version).toBe("1.2.3-rc.1");
    expect(parseTagVersion("1.25")).toBeUndefined();
    expect(parseTagVersion("latest")).toBeUndefined();
  });

  it("compares names naturally and totally", () => {
    expect(["a10", "a9", "a1", "a01"].sort(naturalCompare)).toEqual(["a01", "a1", "a9", "a10"]);
    expect(naturalCompare("x", "x")).toBe(0);
  });

  it("sorts newest first and finds the newest in a range", () => {
    expect(sortNewestFirst(["4.8.1", "4.10.0", "4.8.10", "4.9.0-beta.1"])).toEqual(["4.10.0", "4.9.0-beta.1", "4.8.10", "4.8.1"]);
    expect(newestInRange(["4.8.1", "4.10.0", "4.8.10", "4.8.11-rc.1"], "4.8.x")).toBe("4.8.10");
    expect(newestInRange(["4.7.0"], "4.8.x")).toBeUndefined();
  });
});

describe("filter helpers", () => {
  it("canonicalises both spellings and describes filters", () => {
    expect(canonicalTagFilter(["a", "b"])).toEqual({ list: ["a", "b"] });
    expect(Object.keys(canonicalTagFilter({ semver: "1.x", newest: 2, exclude: "rc" }))).toEqual(["exclude", "newest", "semver"]);
    expect(describeTagFilter({ semver: ">=1 <2", newest: 3 })).toBe('semver ">=1 <2", newest 3');
  });
});
