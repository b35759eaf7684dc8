/**
 * Every example validates: with its environment variables set (no
 * warnings), and in a clean environment with none of them set (validate runs
 * without secrets: each unset ${VAR} is a warning, never an error).
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatDiagnostic } from "../../src/core/diagnostics.js";
import { loadConfig } from "../../src/config/load.js";
import { createProviderCatalog } from "../../src/providers/catalog.js";

const examplesDir = new URL("../../examples/", import.meta.url).pathname;
const examples = readdirSync(examplesDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
const caFile = new URL("../fixtures/canonical/corp-ca.pem", import.meta.url).pathname;
/** Every variable set: CA files to a real PEM file (validate reads them), the rest to a dummy value. */
const env = new Proxy({} as Record<string, string>, {
  get: (_t, key) => (typeof key !== "string" ? undefined : key.endsWith("_CA_FILE") ? caFile : `dummy-${key.toLowerCase()}`),
});

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

  const canonical = new URL("../fixtures/canonical/airgap.yaml", import.meta.url).pathname;
  const files = [...examples.map((name) => join(examplesDir, name, "airgap.yaml")), canonical];

  it.each(files)("%s validates in a clean environment, with a warning per unset variable", async (file) => {
    const text = readFileSync(file, "utf8");
    const needed = [...new Set([...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]))];
    const result = await loadConfig({ file, displayName: "airgap.yaml", env: {}, providers: createProviderCatalog(dirname(file)), unsetVariables: "unknown" });
    expect(result.diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic)).toEqual([]);
    expect(result.ok).toBe(true);
    const warned = result.diagnostics.map((d) => /^environment variable (\w+) is not set: validate treats this value as unknown/.exec(d.message)?.[1]);
    expect(warned.sort()).toEqual([...needed].sort());
    for (const d of result.diagnostics) expect(d.location?.line).toBeGreaterThan(0);
  });

  it.each(files)("%s is refused without its variables where they are needed (lock, plan, apply, bundle)", async (file) => {
    const text = readFileSync(file, "utf8");
    const needed = [...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)];
    const result = await loadConfig({ file, displayName: "airgap.yaml", env: {}, providers: createProviderCatalog(dirname(file)) });
    expect(result.ok).toBe(needed.length === 0);
    expect(result.diagnostics.filter((d) => d.severity === "error")).toHaveLength(needed.length);
    for (const d of result.diagnostics) expect(formatDiagnostic(d)).toMatch(/^airgap\.yaml:\d+:\d+: error: environment variable \w+ is not set/);
  });
});
