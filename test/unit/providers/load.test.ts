import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../../src/core/logger.js";
import { createProvider, loadPlugin, ProviderLoadError } from "../../../src/providers/load.js";
import { createOciToolkit } from "../../../src/providers/toolkit.js";
import { Transport } from "../../../src/oci/registry/index.js";
import { tempDir } from "../../helpers/config.js";

const context = (baseDir: string, registryName = "r") => ({ registryName, baseDir, logger: silentLogger, oci: createOciToolkit({ logger: silentLogger, transport: new Transport(), env: {} }) });

/** Writes a real npm package that exports a plugin, as a third party would publish it. */
function thirdPartyPackage(dir: string, name: string, body: string): void {
  const pkg = join(dir, "node_modules", name);
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, "package.json"), JSON.stringify({ name, version: "1.0.0", type: "module", exports: "./index.js" }));
  writeFileSync(join(pkg, "index.js"), body);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "site", private: true }));
}

describe("provider plugins load by one path", () => {
  it("loads the built-in oci and oci-layout plugins", async () => {
    for (const name of ["oci", "oci-layout"]) {
      const plugin = await loadPlugin(name, tempDir());
      expect(plugin.name).toBe(name);
      expect(plugin.apiVersion).toBe(1);
      expect(plugin.configSchema).toMatchObject({ type: "object" });
    }
  });

  it("loads a third-party package, and checks its settings with its own schema", async () => {
    const dir = tempDir();
    thirdPartyPackage(dir, "airgap-provider-example", `
      export const plugin = {
        apiVersion: 1, name: "airgap-provider-example", kinds: ["file"],
        configSchema: { type: "object", required: ["bucket"], properties: { bucket: { type: "string" } }, additionalProperties: false },
        async create(settings, context) { return { display: "example:" + settings.bucket + ":" + context.registryName }; },
      };`);
    const provider = await createProvider("airgap-provider-example", { bucket: "b1" }, context(dir, "files"));
    expect(provider.display).toBe("example:b1:files");
    await expect(createProvider("airgap-provider-example", { bukket: "b1" }, context(dir, "files"))).rejects.toThrow(/registries\.files: settings rejected by provider `airgap-provider-example`/);
  });

  it("refuses a package that is not a plugin, or one for another API version", async () => {
    const dir = tempDir();
    thirdPartyPackage(dir, "not-a-plugin", "export const something = 1;");
    await expect(loadPlugin("not-a-plugin", dir)).rejects.toThrow(ProviderLoadError);
    thirdPartyPackage(dir, "old-plugin", 'export const plugin = { apiVersion: 0, name: "old-plugin", kinds: [], configSchema: {}, create() {} };');
    await expect(loadPlugin("old-plugin", dir)).rejects.toThrow(/built for plugin API 0; this airgap speaks 1/);
    await expect(loadPlugin("no-such-package-xyz", dir)).rejects.toThrow(/cannot load provider `no-such-package-xyz`/);
  });

  it("oci-layout: reading a missing directory finds nothing and creates nothing", async () => {
    const path = join(tempDir(), "mirror");
    const provider = await createProvider("oci-layout", { path }, context(tempDir()));
    expect(await provider.repository!("library/hello").resolve("1.0")).toBeUndefined();
    expect(await provider.listTags!("library/hello")).toEqual([]);
    expect(existsSync(path)).toBe(false);
  });
});
