/**
 * Resolving `-f/--file` and loading the config the same way for every command.
 */
import { dirname, relative, resolve } from "node:path";
import { loadConfig, type LoadResult, type UnsetVariables } from "../config/load.js";
import { createProviderCatalog } from "../providers/catalog.js";
import type { CommandIo } from "./io.js";

/** The default config file name. */
export const DEFAULT_CONFIG_FILE = "airgap.yaml";

/**
 * Loads the config named by `--file` (default ./airgap.yaml), naming it in
 * diagnostics as the user wrote it. Its secrets are handed to the run's
 * output boundary before anything can print. `unsetVariables: "unknown"` is
 * for validate (see config/load.ts); every other command needs the values.
 */
export async function loadConfigFile(io: CommandIo, file: string | undefined, unsetVariables: UnsetVariables = "error"): Promise<LoadResult> {
  const path = resolve(io.cwd, file ?? DEFAULT_CONFIG_FILE);
  const display = file ?? (relative(io.cwd, path) || DEFAULT_CONFIG_FILE);
  const result = await loadConfig({ file: path, displayName: display, env: io.env, providers: createProviderCatalog(dirname(path)), unsetVariables });
  io.boundary.protect(result.ok ? result.loaded.secrets : (result.secrets ?? []));
  return result;
}
