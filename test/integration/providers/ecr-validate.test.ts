/**
 * `airgap validate` of ECR settings: where the account and region come from,
 * and encryption settings that go together, checked before AWS is asked.
 */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load.js";
import { createProviderCatalog } from "../../../src/providers/catalog.js";
import { loadYaml } from "../../helpers/config.js";

const ecr = (settings: string): string => `apiVersion: airgap/v1
registries:
  ecr:
    provider: ecr
${settings}`;

describe("validate: ECR registries", () => {
  it("accepts the palette-ecr example as written", async () => {
    const file = new URL("../../../examples/palette-ecr/airgap.yaml", import.meta.url).pathname;
    const result = await loadConfig({ file, env: {}, providers: createProviderCatalog(".") });
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  });

  it("takes the region from an ECR registry URL, and asks for it with any other URL", async () => {
    const fromUrl = await loadYaml(ecr("    url: https://123456789012.dkr.ecr.eu-west-1.amazonaws.com\n"));
    expect(fromUrl.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const other = await loadYaml(ecr("    url: https://registry.vpce.example.internal\n"));
    expect(other.lines).toEqual(["airgap.yaml:3:3: error: missing required key `region` (at /registries/ecr)"]);
    const nothing = await loadYaml(ecr("    repositories: { scanOnPush: true }\n"));
    expect(nothing.lines).toEqual(["airgap.yaml:3:3: error: missing required key `region` (at /registries/ecr)"]);
  });

  it("accepts a KMS key only with KMS encryption", async () => {
    const good = await loadYaml(ecr("    region: us-east-1\n    repositories: { encryption: KMS, kmsKey: alias/airgap }\n"));
    expect(good.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const aes = await loadYaml(ecr("    region: us-east-1\n    repositories: { encryption: AES256, kmsKey: alias/airgap }\n"));
    expect(aes.lines).toEqual(['airgap.yaml:6:33: error: "AES256" is not allowed; expected one of: KMS, KMS_DSSE (at /registries/ecr/repositories/encryption)']);
    const missing = await loadYaml(ecr("    region: us-east-1\n    repositories: { kmsKey: alias/airgap }\n"));
    expect(missing.lines).toEqual(["airgap.yaml:6:5: error: missing required key `encryption` (at /registries/ecr/repositories)"]);
  });

  it("refuses an unknown tag mutability and a malformed account id", async () => {
    const result = await loadYaml(ecr("    region: us-east-1\n    registryId: \"12345\"\n    repositories: { tagMutability: immutable }\n"));
    expect(result.diagnostics.filter((d) => d.severity === "error").map((d) => d.pointer)).toEqual(["/registries/ecr/registryId", "/registries/ecr/repositories/tagMutability"]);
  });
});
