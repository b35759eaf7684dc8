/**
 * Source settings reach the registry client: credentials (from the
 * environment, never written) and a per-source CA file, against a TLS
 * registry with Basic auth.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serializeLock } from "../../../src/lock/index.js";
import { generateImages, pushImages } from "../../harness/images.js";
import { startRegistry, type RunningRegistry } from "../../harness/registry.js";
import { configFrom, testTransport, resolve } from "./helpers.js";

const images = generateImages("resolve-auth", [{ repository: "private/app", tags: ["1.0"], format: "oci", layerSize: 256 }]);
let registry: RunningRegistry;

beforeAll(async () => {
  registry = await startRegistry({ auth: "basic", tls: true });
  await pushImages(registry, images);
});

afterAll(async () => {
  await registry?.stop();
  await testTransport.close();
});

function yaml(credentials: string): string {
  return `apiVersion: airgap/v1
sources:
  private:
    type: registry
    host: "${registry.host}"
    url: "${registry.url}"
    tls: { caFile: "${registry.caFile ?? ""}" }
${credentials}
registries:
  mirror: { provider: oci, url: "http://127.0.0.1:5999" }
bundles:
  main:
    registry: mirror
    images:
      - ${registry.host}/private/app:1.0
`;
}

describe("registry source settings", () => {
  it("uses the source's credentials and CA file, and writes neither", async () => {
    const test = await configFrom(yaml("    credentials: { username: \"${REG_USER}\", password: \"${REG_PASSWORD}\" }"), { REG_USER: registry.username ?? "", REG_PASSWORD: registry.password ?? "" });
    const result = await resolve(test);
    expect(result.problems).toEqual([]);
    expect(result.lock.images[0]).toMatchObject({ ref: `${registry.host}/private/app:1.0`, digest: images.get("private/app", "1.0").root.digest });
    const text = serializeLock(result.lock);
    expect(text).not.toContain(registry.password ?? "?");
  });

  it("reports refused credentials as a problem of the entry, with the registry's answer", async () => {
    const test = await configFrom(yaml('    credentials: { username: tester, password: "${REG_PASSWORD}" }'), { REG_PASSWORD: "wrong-password" });
    const result = await resolve(test);
    expect(result.problems.map((p) => [p.kind, p.pointer])).toEqual([["source-error", "/bundles/main/images/0"]]);
    expect(result.problems[0]?.message).toMatch(/401|unauthorized|authentication/i);
    expect(result.problems[0]?.message).not.toContain("wrong-password");
  });

  it("refuses the registry's certificate without the CA file", async () => {
    const test = await configFrom(yaml('    credentials: { username: tester, password: "x" }').replace(/ {4}tls: .*\n/, ""));
    const result = await resolve(test);
    expect(result.problems.map((p) => p.kind)).toEqual(["source-unreachable"]);
    expect(result.problems[0]?.message).toMatch(/certificate/i);
  });
});
