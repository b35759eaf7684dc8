import { describe, expect, it } from "vitest";
import { bearerChallenge, hasBasicChallenge, parseWwwAuthenticate } from "../../../../src/oci/registry/challenge.js";

describe("parseWwwAuthenticate", () => {
  it("parses a Bearer challenge with quoted values containing commas", () => {
    const c = parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push"');
    expect(c).toEqual([
      { scheme: "bearer", params: { realm: "https://auth.docker.io/token", service: "registry.docker.io", scope: "repository:samalba/my-app:pull,push" } },
    ]);
  });

  it("parses Basic with a realm", () => {
    expect(parseWwwAuthenticate('Basic realm="airgap-test"')).toEqual([{ scheme: "basic", params: { realm: "airgap-test" } }]);
  });

  it("parses several challenges on one line and over several lines", () => {
    const c = parseWwwAuthenticate(['Bearer realm="https://a/token", service="svc", Basic realm="x, y"', "Negotiate abc=="]);
    expect(c.map((x) => x.scheme)).toEqual(["bearer", "basic", "negotiate"]);
    expect(c[0]?.params).toEqual({ realm: "https://a/token", service: "svc" });
    expect(c[1]?.params).toEqual({ realm: "x, y" });
    expect(c[2]?.params).toEqual({ token68: "abc==" });
  });

  it("handles escaped quotes, unquoted values, odd spacing and case", () => {
    const c = parseWwwAuthenticate('BEARER  Realm = "https://a/t?x=\\"1\\"" ,  Error=insufficient_scope');
    expect(c).toEqual([{ scheme: "bearer", params: { realm: 'https://a/t?x="1"', error: "insufficient_scope" } }]);
  });

  it("returns nothing for an absent or empty header", () => {
    expect(parseWwwAuthenticate(undefined)).toEqual([]);
    expect(parseWwwAuthenticate("")).toEqual([]);
  });
});

describe("bearerChallenge", () => {
  it("splits space-separated scopes and keeps the error", () => {
    const b = bearerChallenge(parseWwwAuthenticate('Bearer realm="https://r/t",service="s",scope="repository:a:pull repository:b:pull,push",error="insufficient_scope"'));
    expect(b).toEqual({ realm: "https://r/t", service: "s", scopes: ["repository:a:pull", "repository:b:pull,push"], error: "insufficient_scope" });
  });

  it("is undefined without a realm or without Bearer", () => {
    expect(bearerChallenge(parseWwwAuthenticate('Bearer service="s"'))).toBeUndefined();
    expect(bearerChallenge(parseWwwAuthenticate('Basic realm="r"'))).toBeUndefined();
    expect(hasBasicChallenge(parseWwwAuthenticate('Basic realm="r"'))).toBe(true);
  });
});
