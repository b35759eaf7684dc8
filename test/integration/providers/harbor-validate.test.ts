/**
 * `airgap validate` of Harbor settings: project names Harbor would refuse and
 * quotas it cannot hold are errors in airgap.yaml, before any server is asked.
 */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load.js";
import { createProviderCatalog } from "../../../src/providers/catalog.js";
import { loadYaml } from "../../helpers/config.js";

const harbor = (projects: string): string => `apiVersion: airgap/v1
registries:
  harbor:
    provider: harbor
    url: https://harbor.example.internal
    projects:
${projects}`;

describe("validate: Harbor projects", () => {
  it("accepts the palette example as written", async () => {
    const file = new URL("../../../examples/palette/airgap.yaml", import.meta.url).pathname;
    const result = await loadConfig({ file, env: { HARBOR_USER: "admin", HARBOR_PASSWORD: "x", HARBOR_CA_FILE: new URL("../../fixtures/canonical/corp-ca.pem", import.meta.url).pathname, FILES_USER: "u", FILES_PASSWORD: "p" }, providers: createProviderCatalog(".") });
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  });

  it("refuses project names Harbor would reject: uppercase, doubled separators, more than 255 characters", async () => {
    const long = "a".repeat(256);
    const result = await loadYaml(harbor(`      Spectro-Images: {}\n      spectro__images: {}\n      spectro-images-: {}\n      ${long}: {}\n      ${"b".repeat(255)}: {}\n      spectro.images_1-x: {}\n`));
    expect(result.ok).toBe(false);
    const errors = result.diagnostics.filter((d) => d.severity === "error");
    expect(result.lines[0]).toBe(
      "airgap.yaml:7:7: error: `Spectro-Images` is not a valid name: Harbor project names are lowercase letters and digits separated by single `.`, `_` or `-`, at most 255 characters. (at /registries/harbor/projects/Spectro-Images)",
    );
    expect(errors.map((d) => d.pointer)).toEqual([
      "/registries/harbor/projects/Spectro-Images",
      "/registries/harbor/projects/spectro__images",
      "/registries/harbor/projects/spectro-images-",
      `/registries/harbor/projects/${long}`,
    ]);
  });

  it("accepts storage limits Harbor can hold and refuses the rest", async () => {
    const good = await loadYaml(harbor(`      a: { storageLimit: 200GiB }\n      b: { storageLimit: -1 }\n      c: { storageLimit: 1073741824 }\n      d: { storageLimit: "1.5 TB" }\n`));
    expect(good.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const bad = await loadYaml(harbor(`      a: { storageLimit: 0 }\n      b: { storageLimit: -5 }\n      c: { storageLimit: 0GiB }\n      d: { storageLimit: lots }\n`));
    expect(bad.lines).toEqual([
      "airgap.yaml:7:26: error: 0 is not allowed here. A quota above zero (bytes, or a size such as `50GiB`), or -1 for unlimited, for a project airgap creates. (at /registries/harbor/projects/a/storageLimit)",
      "airgap.yaml:8:26: error: must be >= -1 (at /registries/harbor/projects/b/storageLimit)",
      "airgap.yaml:9:26: error: \"0GiB\" is not valid here. A quota above zero (bytes, or a size such as `50GiB`), or -1 for unlimited, for a project airgap creates. (at /registries/harbor/projects/c/storageLimit)",
      "airgap.yaml:10:26: error: \"lots\" is not valid here. A quota above zero (bytes, or a size such as `50GiB`), or -1 for unlimited, for a project airgap creates. (at /registries/harbor/projects/d/storageLimit)",
    ]);
  });
});
