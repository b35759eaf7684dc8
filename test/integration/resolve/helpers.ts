/**
 * Helpers for the resolve integration tests: a config from YAML (through the
 * real loader and normalizer), and running the resolver with a fresh opener.
 */
import { normalizeConfig, type NormalizedConfig } from "../../../src/config/normalize.js";
import { SourceOpener } from "../../../src/sources/index.js";
import { resolveDesired, type ResolveDeps, type ResolveResult } from "../../../src/resolve/index.js";
import { Transport } from "../../../src/oci/registry/index.js";
import { loadYaml } from "../../helpers/config.js";

/** Transport with short backoff, so failure paths stay fast. */
export const testTransport = new Transport({ retry: { baseDelayMs: 10, maxDelayMs: 50, maxAttempts: 2 } });

/** A loaded and normalised config. */
export interface TestConfig {
  readonly config: NormalizedConfig;
}

/** Loads YAML through validation and normalisation; throws with the diagnostics when invalid. */
export async function configFrom(yaml: string, env: Record<string, string> = {}): Promise<TestConfig> {
  const loaded = await loadYaml(yaml, env);
  if (!loaded.ok) throw new Error(`invalid test config:\n${loaded.lines.join("\n")}`);
  return { config: normalizeConfig(loaded.loaded.config, loaded.loaded.baseDir) };
}

/** Resolves with a fresh SourceOpener (closed afterwards); HOME points nowhere so no user credentials leak in. */
export async function resolve(test: TestConfig, deps: Partial<Omit<ResolveDeps, "opener">> = {}): Promise<ResolveResult> {
  const opener = new SourceOpener({ transport: testTransport, credentialLookup: { env: { HOME: "/nonexistent" }, homeDir: "/nonexistent" } });
  try {
    return await resolveDesired(test.config, { ...deps, opener });
  } finally {
    await opener.close();
  }
}

/** The problems as `kind pointer: message` lines, for readable assertions. */
export function problemLines(result: ResolveResult): string[] {
  return result.problems.map((p) => `${p.kind} ${p.pointer ?? "-"}: ${p.message}`);
}
