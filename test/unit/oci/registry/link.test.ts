import { describe, expect, it } from "vitest";
import { nextPageUrl, parseLinkHeader } from "../../../../src/oci/registry/link.js";

describe("parseLinkHeader", () => {
  it("parses distribution's relative next link", () => {
    expect(parseLinkHeader('</v2/app/tags/list?last=b&n=2>; rel="next"')).toEqual([{ url: "/v2/app/tags/list?last=b&n=2", rel: ["next"] }]);
  });

  it("parses several links, unquoted rel, and several header lines", () => {
    const links = parseLinkHeader(['<https://r/a?x=1>; rel=prev', '<https://r/b?y=2>; title="a, b"; rel="next last"']);
    expect(links).toEqual([
      { url: "https://r/a?x=1", rel: ["prev"] },
      { url: "https://r/b?y=2", rel: ["next", "last"] },
    ]);
  });

  it("tolerates unescaped commas inside the target (Harbor)", () => {
    expect(parseLinkHeader('</api/v2.0/projects?page=2&q=name=~a,b>; rel="next"')[0]?.url).toBe("/api/v2.0/projects?page=2&q=name=~a,b");
  });
});

describe("nextPageUrl", () => {
  it("resolves a relative next link against the request URL", () => {
    expect(nextPageUrl('</v2/_catalog?last=x&n=5>; rel="next"', "http://127.0.0.1:5000/v2/_catalog?n=5")?.href).toBe("http://127.0.0.1:5000/v2/_catalog?last=x&n=5");
  });

  it("is undefined without a next relation", () => {
    expect(nextPageUrl('<https://r/a>; rel="prev"', "https://r/")).toBeUndefined();
    expect(nextPageUrl(undefined, "https://r/")).toBeUndefined();
  });
});
