/**
 * Every example validates. Environment variables the examples use are set to
 * dummy values, since validate requires every ${VAR} without a default.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatDiagnostic } from "../../src/core/diagnostics.js";
import { loadConfig } from "../../src/config/load.js";
import { createProviderCatalog } from "../../src/providers/catalog.js";

const examplesDir = new URL("../../examples/", import.meta.url).pathname;
const examples = readdirSync(examplesDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
const env = new Proxy({} as Record<string, string>, { get: (_t, key) => (typeof key === "string" ? `dummy-${key.toLowerCase()}` : undefined) });

describe("examples", () => {
  it("has one example per seed and the offline quickstart", () => {
    expect(examples).toEqual(expect.arrayContaining(["quickstart", "mke4", "k0s", "palette", "palette-ecr", "kapp-controller", "charmed-kubernetes"]));
  });

  it.each(examples)("%s/airgap.yaml validates with no warnings", async (name) => {
    const dir = join(examplesDir, name);
    const result = await loadConfig({ file: join(dir, "airgap.yaml"), displayName: `${name}/airgap.yaml`, env, providers: createProviderCatalog(dir) });
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it("the quickstart validates with an empty environment: it needs nothing from outside", async () => {
    const dir = join(examplesDir, "quickstart");
    const result = await loadConfig({ file: join(dir, "airgap.yaml"), env: {}, providers: createProviderCatalog(dir) });
    expect(result.ok).toBe(true);
  });
});
