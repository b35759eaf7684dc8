/**
 * A provider is in the catalog that validate reads only when it is
 * implemented: every built-in name loads its plugin (so no accepted config
 * can end in "Cannot find module"), and the plugin holds exactly the kinds of
 * content validate allows to be sent to it.
 */
import { describe, expect, it } from "vitest";
import { BUILTIN_PROVIDERS, createProviderCatalog } from "../../../src/providers/catalog.js";
import { loadPlugin } from "../../../src/providers/load.js";
import { loadYaml, tempDir } from "../../helpers/config.js";

describe("the provider catalog", () => {
  it.each(Object.keys(BUILTIN_PROVIDERS))("%s loads, and holds what the catalog says", async (name) => {
    const plugin = await loadPlugin(name, tempDir());
    expect(plugin.name).toBe(name);
    expect([...plugin.kinds].sort()).toEqual([...BUILTIN_PROVIDERS[name]!].sort());
    expect(createProviderCatalog(tempDir()).isKnown(name)).toBe(true);
  });

  it("a provider that is neither built in nor installed is a validate error, with the built-in names", async () => {
    const result = await loadYaml("apiVersion: airgap/v1\nregistries:\n  q: { provider: quay, url: \"https://quay.internal\" }\n");
    expect(result.ok).toBe(false);
    expect(result.lines).toEqual([
      `airgap.yaml:3:18: error: unknown provider \`quay\`: not built in (${Object.keys(BUILTIN_PROVIDERS).join(", ")}) and no installed package of that name (at /registries/q/provider)`,
    ]);
  });
});
