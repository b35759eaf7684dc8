import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CredentialsError, authFileLocations, environmentCredentials, lookupCredentials, staticCredentials } from "../../../../src/oci/registry/credentials.js";
import { describeCredentials } from "../../../../src/oci/registry/credentials-types.js";

let dir: string;
let binDir: string;
let env: Record<string, string | undefined>;

const b64 = (s: string): string => Buffer.from(s).toString("base64");

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "airgap-creds-"));
  binDir = join(dir, "bin");
  await mkdir(binDir);
  // A fake credential helper: answers for two servers, logs what it was asked, "not found" otherwise.
  const script = `#!/bin/sh
read server
echo "$1 $server" >> "${join(dir, "helper.log")}"
case "$server" in
  helped.example:5000) echo '{"ServerURL":"helped.example:5000","Username":"helper-user","Secret":"helper-secret"}' ;;
  https://index.docker.io/v1/) echo '{"ServerURL":"https://index.docker.io/v1/","Username":"hub-user","Secret":"hub-secret"}' ;;
  token.example) echo '{"ServerURL":"token.example","Username":"<token>","Secret":"identity-token"}' ;;
  broken.example) echo "keychain exploded" >&2; exit 3 ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
`;
  await writeFile(join(binDir, "docker-credential-test"), script);
  await chmod(join(binDir, "docker-credential-test"), 0o755);
  env = { PATH: `${binDir}:/usr/bin:/bin`, HOME: join(dir, "home") };
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function dockerConfig(name: string, content: unknown): Promise<Record<string, string | undefined>> {
  const configDir = join(dir, name);
  await mkdir(configDir, { recursive: true });
  await writeFile(join(configDir, "config.json"), JSON.stringify(content));
  return { ...env, DOCKER_CONFIG: configDir };
}

describe("lookupCredentials", () => {
  it("reads base64 auth from $DOCKER_CONFIG/config.json, with and without scheme in the key", async () => {
    const e = await dockerConfig("plain", { auths: { "https://reg.example:5000": { auth: b64("alice:s3cret") }, "other.example": { username: "bob", password: "pw" } } });
    const hit = await lookupCredentials("reg.example:5000", { env: e });
    expect(hit).toMatchObject({ found: true, credentials: { username: "alice", password: "s3cret" } });
    if (hit.found) expect(hit.source).not.toContain("s3cret");
    expect(await lookupCredentials("other.example", { env: e })).toMatchObject({ found: true, credentials: { username: "bob", password: "pw" } });
    const miss = await lookupCredentials("unknown.example", { env: e });
    expect(miss).toEqual({ found: false, searched: [join(e.DOCKER_CONFIG ?? "", "config.json")] });
  });

  it("maps docker.io to https://index.docker.io/v1/", async () => {
    const e = await dockerConfig("hub", { auths: { "https://index.docker.io/v1/": { auth: b64("hubber:pw") } } });
    expect(await lookupCredentials("docker.io", { env: e })).toMatchObject({ found: true, credentials: { username: "hubber" } });
  });

  it("uses ~/.docker/config.json without DOCKER_CONFIG", async () => {
    const home = join(dir, "home2");
    await mkdir(join(home, ".docker"), { recursive: true });
    await writeFile(join(home, ".docker", "config.json"), JSON.stringify({ auths: { "h.example": { auth: b64("u:p") } } }));
    expect(await lookupCredentials("h.example", { env: { PATH: env.PATH }, homeDir: home })).toMatchObject({ found: true, credentials: { username: "u" } });
    expect(authFileLocations({ env: {}, homeDir: home }).map((l) => l.path)).toEqual([join(home, ".docker", "config.json")]);
  });

  it("calls credHelpers for their host with the host on stdin", async () => {
    const e = await dockerConfig("helpers", { auths: { "helped.example:5000": {} }, credHelpers: { "helped.example:5000": "test" } });
    const hit = await lookupCredentials("helped.example:5000", { env: e });
    expect(hit).toMatchObject({ found: true, credentials: { username: "helper-user", password: "helper-secret" } });
    if (hit.found) expect(hit.source).toContain("docker-credential-test");
  });

  it("calls the credsStore for Docker Hub with docker's server URL, and maps <token> to an identity token", async () => {
    const e = await dockerConfig("store", { auths: { "https://index.docker.io/v1/": {} }, credsStore: "test" });
    expect(await lookupCredentials("docker.io", { env: e })).toMatchObject({ found: true, credentials: { username: "hub-user", password: "hub-secret" } });
    expect(await lookupCredentials("token.example", { env: e })).toMatchObject({ found: true, credentials: { identityToken: "identity-token" } });
    // The helper's "not found" is absence, not an error.
    expect(await lookupCredentials("nothing.example", { env: e })).toMatchObject({ found: false });
  });

  it("reports a missing helper clearly", async () => {
    const e = await dockerConfig("missing", { credHelpers: { "x.example": "nonexistent-helper" } });
    const error = await lookupCredentials("x.example", { env: e }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as Error).message).toMatch(/docker-credential-nonexistent-helper is not installed or not on PATH.*credHelpers/);
  });

  it("reports a failing helper without leaking anything it printed on stdout", async () => {
    const e = await dockerConfig("failing", { credsStore: "test" });
    await expect(lookupCredentials("broken.example", { env: e })).rejects.toThrow(/docker-credential-test failed for broken.example: keychain exploded/);
  });

  it("reports a config.json that is not JSON", async () => {
    const configDir = join(dir, "badjson");
    await mkdir(configDir, { recursive: true });
    await writeFile(join(configDir, "config.json"), "{ nope");
    await expect(lookupCredentials("x", { env: { ...env, DOCKER_CONFIG: configDir } })).rejects.toThrow(/config\.json is not valid JSON/);
  });

  it("reads REGISTRY_AUTH_FILE and XDG_RUNTIME_DIR auth.json before docker's config", async () => {
    const authFile = join(dir, "auth.json");
    await writeFile(authFile, JSON.stringify({ auths: { "reg.example:5000": { auth: b64("from-auth-file:1") }, "quay.io/team": { auth: b64("team-user:2") } } }));
    const runDir = join(dir, "run");
    await mkdir(join(runDir, "containers"), { recursive: true });
    await writeFile(join(runDir, "containers", "auth.json"), JSON.stringify({ auths: { "xdg.example": { auth: b64("xdg-user:3") } } }));
    const e = { ...(await dockerConfig("shadowed", { auths: { "reg.example:5000": { auth: b64("from-docker:9") }, "docker-only.example": { auth: b64("d:4") } } })), REGISTRY_AUTH_FILE: authFile, XDG_RUNTIME_DIR: runDir };
    expect(await lookupCredentials("reg.example:5000", { env: e })).toMatchObject({ found: true, credentials: { username: "from-auth-file" } });
    expect(await lookupCredentials("xdg.example", { env: e })).toMatchObject({ found: true, credentials: { username: "xdg-user" } });
    expect(await lookupCredentials("docker-only.example", { env: e })).toMatchObject({ found: true, credentials: { username: "d" } });
    expect(await lookupCredentials("quay.io", { env: e, repository: "team/app" })).toMatchObject({ found: true, credentials: { username: "team-user" } });
    expect(await lookupCredentials("quay.io", { env: e, repository: "other/app" })).toMatchObject({ found: false });
  });
});

describe("environmentCredentials", () => {
  it("caches per host so a helper runs once", async () => {
    const e = await dockerConfig("cached", { credHelpers: { "helped.example:5000": "test" } });
    const log = join(dir, "helper.log");
    await writeFile(log, "");
    const provider = environmentCredentials({ env: e });
    const [a, b] = await Promise.all([provider("helped.example:5000"), provider("helped.example:5000")]);
    expect(a).toMatchObject({ username: "helper-user", password: "helper-secret", origin: expect.stringMatching(/^credential helper docker-credential-test \(docker config .*config\.json\)$/) });
    expect(b).toEqual(a);
    const { readFile } = await import("node:fs/promises");
    expect((await readFile(log, "utf8")).trim().split("\n")).toEqual(["get helped.example:5000"]);
  });
});

describe("describeCredentials", () => {
  it("says which credentials by kind and origin, never the secret", () => {
    expect(describeCredentials({ username: "alice", password: "s3cret-pw", origin: "airgap.yaml" })).toBe('username "alice" from airgap.yaml');
    expect(describeCredentials({ identityToken: "tok-s3cret", origin: "docker config /home/u/.docker/config.json auths[\"reg\"]" })).toBe(
      'an identity token from docker config /home/u/.docker/config.json auths["reg"]',
    );
    expect(describeCredentials(undefined)).toBe("anonymous access (no credentials are configured for this registry)");
    expect(describeCredentials({ username: "bob", password: "pw" })).toBe('username "bob"');
  });

  it("the auth files and static settings record where the credentials came from", async () => {
    const e = await dockerConfig("origin", { auths: { "reg.example:5000": { auth: b64("carol:pw-123") } } });
    const found = await environmentCredentials({ env: e })("reg.example:5000");
    expect(found?.origin).toBe(`docker config ${join(e.DOCKER_CONFIG ?? "", "config.json")} auths["reg.example:5000"]`);
    expect(await staticCredentials({ username: "dave", password: "x" }, "airgap.yaml")("any")).toMatchObject({ username: "dave", origin: "airgap.yaml" });
  });
});
