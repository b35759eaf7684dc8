/**
 * Which providers exist: the built-in ones and any installed third-party
 * plugin package. Validation needs only names and kinds; the plugins
 * themselves load later, and only when a command needs them.
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import type { ContentKind, ProviderCatalog } from "../config/rules/index.js";

/** Built-in providers and what each can hold. */
export const BUILTIN_PROVIDERS: Readonly<Record<string, readonly ContentKind[]>> = {
  oci: ["image", "chart", "file"],
  harbor: ["image", "chart"],
  ecr: ["image", "chart"],
  "oci-layout": ["image", "chart", "file"],
  fileserver: ["file", "chart"],
};

const PACKAGE_NAME = /^(@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;

/** True when a third-party plugin package can be found from the config's directory or from airgap itself. */
function isInstalled(name: string, baseDir: string): boolean {
  if (!PACKAGE_NAME.test(name)) return false;
  for (const from of [join(baseDir, "package.json"), import.meta.url]) {
    try {
      createRequire(from).resolve(name);
      return true;
    } catch {
      try {
        createRequire(from).resolve(`${name}/package.json`);
        return true;
      } catch {
        // not found from here; try the next place
      }
    }
  }
  return false;
}

/** The catalog validation uses: built-ins, plus packages installed where the config lives. */
export function createProviderCatalog(baseDir: string): ProviderCatalog {
  const builtins = Object.keys(BUILTIN_PROVIDERS);
  return {
    builtins,
    isKnown: (name) => name in BUILTIN_PROVIDERS || isInstalled(name, baseDir),
    kinds: (name) => BUILTIN_PROVIDERS[name],
  };
}
