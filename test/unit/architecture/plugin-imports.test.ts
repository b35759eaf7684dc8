/**
 * The sdk is the plugins' only door into airgap (issue 10 item 4): every
 * file under plugins/ imports `airgap/sdk` by the package's own name, as a
 * third-party plugin would, plus node built-ins, files of its own plugin
 * folder and packages airgap declares as runtime dependencies. Anything
 * else (a relative path into src/, a dev dependency, another plugin) fails.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(new URL("../../../", import.meta.url).pathname);
const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
const dependencies = new Set(Object.keys(manifest.dependencies ?? {}));

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "node_modules" ? [] : filesUnder(path);
    return /\.(c|m)?(t|j)sx?$/.test(name) && !name.endsWith(".d.ts") ? [path] : [];
  });
}

/** Every module specifier in a source text: static imports and re-exports, side-effect imports, `import()` and `require()`. */
function specifiersOf(text: string): string[] {
  const patterns = [
    /(?:^|[\n;])\s*(?:import|export)\s[^'"]*?\sfrom\s*["']([^"']+)["']/g,
    /(?:^|[\n;])\s*import\s*["']([^"']+)["']/g,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
    /\brequire\(\s*["']([^"']+)["']\s*\)/g,
    /createRequire\([^)]*\)\(\s*["']([^"']+)["']\s*\)/g,
  ];
  return [...new Set(patterns.flatMap((p) => [...text.matchAll(p)].map((m) => m[1]!)))];
}

/** The package a bare specifier names (`@aws-sdk/client-ecr/x` → `@aws-sdk/client-ecr`). */
function packageOf(specifier: string): string {
  return specifier.split("/").slice(0, specifier.startsWith("@") ? 2 : 1).join("/");
}

/** Why `specifier`, imported by `file` of the plugin folder `pluginDir`, is not allowed; undefined when it is. */
function problem(file: string, pluginDir: string, specifier: string): string | undefined {
  if (specifier === "airgap/sdk" || specifier.startsWith("node:")) return undefined;
  if (specifier.startsWith(".")) {
    const target = resolve(dirname(file), specifier);
    return target === pluginDir || target.startsWith(`${pluginDir}/`) ? undefined : `reaches outside its plugin folder to ${relative(root, target)}`;
  }
  if (specifier.startsWith("airgap")) return "imports airgap other than through `airgap/sdk`";
  if (specifier.startsWith("/")) return "imports an absolute path";
  return dependencies.has(packageOf(specifier)) ? undefined : `imports ${packageOf(specifier)}, which is not a runtime dependency in package.json (use \`node:\` for built-ins)`;
}

function violations(pluginsDir: string, read: (file: string) => string = (f) => readFileSync(f, "utf8")): string[] {
  return readdirSync(pluginsDir)
    .map((name) => join(pluginsDir, name))
    .filter((dir) => statSync(dir).isDirectory())
    .flatMap((pluginDir) =>
      filesUnder(pluginDir).flatMap((file) =>
        specifiersOf(read(file)).flatMap((s) => {
          const why = problem(file, pluginDir, s);
          return why === undefined ? [] : [`${relative(root, file)}: \`${s}\` ${why}`];
        }),
      ),
    );
}

describe("plugins import only the sdk", () => {
  it("finds every plugin's imports, including the sdk by the package's name", () => {
    const files = filesUnder(join(root, "plugins"));
    expect(files.length).toBeGreaterThan(10);
    const all = files.flatMap((f) => specifiersOf(readFileSync(f, "utf8")));
    expect(all).toContain("airgap/sdk");
    expect(all).toContain("./config.schema.json");
    expect(all.some((s) => s.startsWith("node:"))).toBe(true);
  });

  it("flags a path into src/, another plugin, airgap's internals, an undeclared or dev dependency, and a bare built-in", () => {
    const pluginDir = join(root, "plugins", "demo");
    const file = join(pluginDir, "index.ts");
    const text = [
      'import { RegistryClient } from "../../src/oci/registry/index.js";',
      'import type { X } from "../harbor/api.js";',
      'export { y } from "airgap/dist/src/core/errors.js";',
      'const z = await import("vitest");',
      'import "left-pad";',
      'import { readFile } from "fs/promises";',
      'import { ok } from "./own.js";',
      'import type { Provider } from "airgap/sdk";',
      'import { request } from "undici";',
      'import { join } from "node:path";',
    ].join("\n");
    const found = specifiersOf(text).flatMap((s) => (problem(file, pluginDir, s) === undefined ? [] : [s]));
    expect(found.sort()).toEqual(["../../src/oci/registry/index.js", "../harbor/api.js", "airgap/dist/src/core/errors.js", "fs/promises", "left-pad", "vitest"]);
  });

  it("every file in plugins/ imports nothing but airgap/sdk, node built-ins, its own folder and declared dependencies", () => {
    expect(violations(join(root, "plugins"))).toEqual([]);
  });
});

describe("the sdk is a boundary", () => {
  it("exports interfaces, factories and value types: the only classes are the error base and Secret", async () => {
    const sdk = (await import("airgap/sdk")) as Record<string, unknown>;
    const classes = Object.entries(sdk)
      .filter(([, value]) => typeof value === "function" && /^class\b/.test(Function.prototype.toString.call(value)))
      .map(([name]) => name)
      .sort();
    expect(classes).toEqual(["AirgapError", "Secret"]);
    // The factories and predicates that replaced the client and layout classes are there.
    for (const name of ["openLayoutDirectory", "lockLayoutForWrite", "isLayoutFailure", "isRegistryFailure", "failureFacts", "httpAuthorization"]) expect(typeof sdk[name]).toBe("function");
  });
});
