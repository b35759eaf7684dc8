import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { RegistrySourceSettings } from "../../../src/config/normalize.js";
import { Secret } from "../../../src/core/secret.js";
import { basicAuthorization, registryCredentials } from "../../../src/sources/credentials.js";
import { sourceCredentials } from "../../../src/sources/opener.js";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A docker config.json with one `auths` key, in a fresh DOCKER_CONFIG directory. */
function dockerConfig(key: string): { env: Record<string, string>; homeDir: string } {
  const dir = mkdtempSync(join(tmpdir(), "airgap-creds-"));
  dirs.push(dir);
  writeFileSync(join(dir, "config.json"), JSON.stringify({ auths: { [key]: { auth: Buffer.from("hub-user:hub-pass").toString("base64") } } }));
  return { env: { DOCKER_CONFIG: dir, HOME: join(dir, "home") }, homeDir: join(dir, "home") };
}

function source(host: string): RegistrySourceSettings {
  return { name: "hub", host, url: "https://registry-1.docker.io", mirrors: [] };
}

describe("Docker Hub credentials under any spelling", () => {
  const keys = ["https://index.docker.io/v1/", "docker.io", "registry-1.docker.io", "index.docker.io"];
  const hosts = ["docker.io", "index.docker.io", "registry-1.docker.io"];
  for (const key of keys) {
    it.each(hosts)(`docker config key ${key} serves a source declared as %s`, async (host) => {
      const provider = sourceCredentials(source(host), dockerConfig(key));
      expect(await provider!("docker.io", "library/nginx")).toMatchObject({ username: "hub-user", password: "hub-pass" });
      expect(await provider!("registry-1.docker.io", "library/nginx")).toMatchObject({ username: "hub-user", password: "hub-pass" });
    });
  }

  it("finds them for an undeclared Docker Hub host asked under any spelling (targets)", async () => {
    const provider = registryCredentials(undefined, { lookup: dockerConfig("https://index.docker.io/v1/"), configuredIn: "test" });
    for (const host of hosts) expect(await provider(host)).toMatchObject({ username: "hub-user", password: "hub-pass" });
    expect(await provider("quay.io")).toBeUndefined();
  });
});

describe("a credentials block on the wire", () => {
  const lookup = { env: { HOME: "/nonexistent" }, homeDir: "/nonexistent" };
  it("reveals the password or token only to the client", async () => {
    const password = new Secret("pw-1");
    expect(await registryCredentials({ username: "team", password }, { lookup, configuredIn: "t" })("registry.example")).toEqual({ username: "team", password: "pw-1", origin: "airgap.yaml" });
    expect(await registryCredentials({ token: new Secret("tok-1") }, { lookup, configuredIn: "t" })("registry.example")).toEqual({ identityToken: "tok-1", origin: "airgap.yaml" });
    // An empty username (${USER:-} unset) is anonymous; an empty token is no token.
    expect(await registryCredentials({ username: "", password }, { lookup, configuredIn: "t" })("registry.example")).toBeUndefined();
    expect(await registryCredentials({ token: new Secret(""), username: "u", password }, { lookup, configuredIn: "t" })("registry.example")).toEqual({ username: "u", password: "pw-1", origin: "airgap.yaml" });
    expect(await registryCredentials({ dockerConfig: false }, { lookup, configuredIn: "t" })("registry.example")).toBeUndefined();
  });

  it("sends helm/http credentials as Basic auth", () => {
    expect(basicAuthorization({ username: "reader", password: new Secret("p:w") })).toBe(`Basic ${Buffer.from("reader:p:w").toString("base64")}`);
  });
});
