/**
 * Test helpers for config loading: write YAML to a temp file, load it with
 * the real catalog, return the diagnostics as compiler-style lines.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { formatDiagnostic } from "../../src/core/diagnostics.js";
import { loadConfig, type LoadResult } from "../../src/config/load.js";
import { createProviderCatalog } from "../../src/providers/catalog.js";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temp directory, removed after the file's tests. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "airgap-test-"));
  dirs.push(dir);
  return dir;
}

/** Loads `yaml` written to airgap.yaml in a temp dir, with `env` as the environment. */
export async function loadYaml(yaml: string | Buffer, env: Record<string, string> = {}): Promise<LoadResult & { lines: string[] }> {
  const dir = tempDir();
  const file = join(dir, "airgap.yaml");
  writeFileSync(file, yaml);
  const result = await loadConfig({ file, displayName: "airgap.yaml", env, providers: createProviderCatalog(dir) });
  return { ...result, lines: result.diagnostics.map(formatDiagnostic) };
}

/** A minimal valid config that tests extend. */
export const BASE = `apiVersion: airgap/v1
registries:
  mirror: { provider: oci, url: "http://127.0.0.1:5000" }
  disk: { provider: oci-layout, path: ./mirror }
  files: { provider: fileserver, url: "http://127.0.0.1:8080" }
`;
