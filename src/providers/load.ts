/**
 * Loading provider plugins: built-ins from plugins/, third-party ones by npm
 * package name, through the same checks (API version, name, config schema).
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { AirgapError } from "../core/errors.js";
import type { Provider, ProviderContext, ProviderPlugin } from "../sdk/provider.js";
import { PROVIDER_API_VERSION } from "../sdk/provider.js";
import { BUILTIN_PROVIDERS } from "./catalog.js";

/** A plugin could not be loaded or refused its settings. */
export class ProviderLoadError extends AirgapError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("PROVIDER_LOAD", message, options);
  }
}

/** Where a plugin module is: a built-in's folder, or the package resolved from the config's directory. */
function pluginUrl(name: string, baseDir: string): string {
  if (name in BUILTIN_PROVIDERS) return new URL(`../../plugins/${name}/index.js`, import.meta.url).href;
  try {
    return pathToFileURL(createRequire(join(baseDir, "package.json")).resolve(name)).href;
  } catch {
    return import.meta.resolve(name);
  }
}

/** Loads a plugin module and checks what it exports. */
export async function loadPlugin(name: string, baseDir: string): Promise<ProviderPlugin> {
  let module: { plugin?: ProviderPlugin };
  try {
    module = (await import(pluginUrl(name, baseDir))) as { plugin?: ProviderPlugin };
  } catch (error) {
    throw new ProviderLoadError(`cannot load provider \`${name}\`: ${(error as Error).message}`, { cause: error });
  }
  const plugin = module.plugin;
  if (!plugin || typeof plugin.create !== "function") throw new ProviderLoadError(`\`${name}\` does not export a provider plugin (a named export \`plugin\` with create())`);
  if (plugin.apiVersion !== PROVIDER_API_VERSION) {
    throw new ProviderLoadError(`provider \`${name}\` is built for plugin API ${String(plugin.apiVersion)}; this airgap speaks ${PROVIDER_API_VERSION}`);
  }
  if (plugin.name !== name && name in BUILTIN_PROVIDERS) throw new ProviderLoadError(`built-in provider \`${name}\` exports the name \`${plugin.name}\``);
  return plugin;
}

/** Validates third-party settings against the plugin's own schema; built-ins were checked with airgap.yaml. */
async function checkSettings(plugin: ProviderPlugin, registryName: string, settings: Readonly<Record<string, unknown>>): Promise<void> {
  if (plugin.name in BUILTIN_PROVIDERS) return;
  const { Ajv2020 } = await import("ajv/dist/2020.js");
  const validate = new Ajv2020({ allErrors: true, strict: false, logger: false }).compile(plugin.configSchema);
  // Secret fields (credentials.password, token) are Secrets here; the JSON form checks their shape without their value.
  if (validate(JSON.parse(JSON.stringify(settings)))) return;
  const problems = (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}`).join("; ");
  throw new ProviderLoadError(`registries.${registryName}: settings rejected by provider \`${plugin.name}\`: ${problems}`);
}

/** Loads, checks and creates the provider for one target registry. */
export async function createProvider(name: string, settings: Readonly<Record<string, unknown>>, context: ProviderContext): Promise<Provider> {
  const plugin = await loadPlugin(name, context.baseDir);
  await checkSettings(plugin, context.registryName, settings);
  return plugin.create(settings, context);
}
