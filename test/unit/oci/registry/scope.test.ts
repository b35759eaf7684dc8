import { describe, expect, it } from "vitest";
import { mergeScopes, mountScopes, repositoryScope, scopeKey, scopesCover } from "../../../../src/oci/registry/scope.js";

describe("scopes", () => {
  it("formats repository scopes with stable action order", () => {
    expect(repositoryScope("team/app", ["push", "pull"])).toBe("repository:team/app:pull,push");
    expect(repositoryScope("a", ["pull"])).toBe("repository:a:pull");
  });

  it("asks for both repositories on a mount", () => {
    expect(mountScopes("dst/app", "src/app")).toEqual(["repository:dst/app:pull,push", "repository:src/app:pull"]);
  });

  it("merges actions per resource and keeps the first resource first", () => {
    expect(mergeScopes(["repository:a:pull"], ["repository:b:pull", "repository:a:push"])).toEqual(["repository:a:pull,push", "repository:b:pull"]);
    expect(mergeScopes(["registry:catalog:*"])).toEqual(["registry:catalog:*"]);
  });

  it("keys scope sets independently of order", () => {
    expect(scopeKey(["repository:b:pull", "repository:a:push,pull"])).toBe(scopeKey(["repository:a:pull,push", "repository:b:pull"]));
    expect(scopeKey(["repository:a:pull"])).not.toBe(scopeKey(["repository:a:pull,push"]));
  });

  it("checks coverage", () => {
    expect(scopesCover(["repository:a:pull,push"], ["repository:a:pull"])).toBe(true);
    expect(scopesCover(["repository:a:pull"], ["repository:a:push"])).toBe(false);
  });
});
