import { describe, expect, it } from "vitest";
import { DOCKER_HUB_AUTH_KEY, decodeAuthEntry, helperServerUrl, matchAuthKey, normalizeRegistryHost, parseAuthKey } from "../../../../src/oci/registry/auth-files.js";

describe("auth file keys", () => {
  it("folds Docker Hub aliases", () => {
    for (const host of ["docker.io", "index.docker.io", "registry-1.docker.io", "Docker.IO"]) expect(normalizeRegistryHost(host)).toBe("docker.io");
    expect(helperServerUrl("docker.io")).toBe(DOCKER_HUB_AUTH_KEY);
    expect(helperServerUrl("reg.example:5000")).toBe("reg.example:5000");
  });

  it("parses keys with and without scheme", () => {
    expect(parseAuthKey("https://index.docker.io/v1/")).toEqual({ host: "docker.io", namespace: "" });
    expect(parseAuthKey("http://reg.example:5000/v2/")).toEqual({ host: "reg.example:5000", namespace: "" });
    expect(parseAuthKey("reg.example:5000")).toEqual({ host: "reg.example:5000", namespace: "" });
    expect(parseAuthKey("quay.io/team/")).toEqual({ host: "quay.io", namespace: "team" });
  });

  it("matches docker.io to docker's Hub key", () => {
    expect(matchAuthKey([DOCKER_HUB_AUTH_KEY, "other.example"], "docker.io")).toBe(DOCKER_HUB_AUTH_KEY);
    expect(matchAuthKey(["docker.io"], "registry-1.docker.io")).toBe("docker.io");
  });

  it("matches a host with or without scheme, and not another port", () => {
    expect(matchAuthKey(["https://reg.example:5000"], "reg.example:5000")).toBe("https://reg.example:5000");
    expect(matchAuthKey(["reg.example:5000"], "reg.example:5001")).toBeUndefined();
    expect(matchAuthKey(["reg.example"], "reg.example:5000")).toBeUndefined();
  });

  it("prefers the longest matching namespace (containers auth.json)", () => {
    const keys = ["quay.io", "quay.io/team", "quay.io/team/sub"];
    expect(matchAuthKey(keys, "quay.io", "team/sub/app")).toBe("quay.io/team/sub");
    expect(matchAuthKey(keys, "quay.io", "team/other")).toBe("quay.io/team");
    expect(matchAuthKey(keys, "quay.io", "elsewhere/app")).toBe("quay.io");
    expect(matchAuthKey(["quay.io/team"], "quay.io")).toBeUndefined();
    expect(matchAuthKey(["quay.io/team"], "quay.io", "teamster/app")).toBeUndefined();
  });
});

describe("decodeAuthEntry", () => {
  it("decodes base64 auth, keeping colons in the password", () => {
    const auth = Buffer.from("user:pa:ss").toString("base64");
    expect(decodeAuthEntry({ auth })).toEqual({ kind: "credentials", credentials: { username: "user", password: "pa:ss" } });
  });

  it("accepts split username/password and identity tokens", () => {
    expect(decodeAuthEntry({ username: "u", password: "p" })).toEqual({ kind: "credentials", credentials: { username: "u", password: "p" } });
    expect(decodeAuthEntry({ auth: "", identitytoken: "tok" })).toEqual({ kind: "credentials", credentials: { identityToken: "tok" } });
  });

  it("reports placeholders and broken entries", () => {
    expect(decodeAuthEntry({})).toEqual({ kind: "empty" });
    expect(decodeAuthEntry({ auth: Buffer.from("nocolon").toString("base64") }).kind).toBe("invalid");
  });
});
