/**
 * The layering of DESIGN §6, enforced: core imports nothing of ours; oci
 * knows no config; ui does no network; and the
 * pipeline folders (config → sources → resolve → lock → desired → observe →
 * plan → apply) import only what comes before them. That plugins import
 * only `airgap/sdk` is plugin-imports.test.ts.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(new URL("../../../", import.meta.url).pathname);

function sourceFiles(dir: string): string[] {
  const abs = join(root, dir);
  let entries: string[];
  try {
    entries = readdirSync(abs);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = join(abs, name);
    if (statSync(path).isDirectory()) return name === "node_modules" ? [] : sourceFiles(relative(root, path));
    return /\.tsx?$/.test(name) && !name.endsWith(".d.ts") ? [relative(root, path)] : [];
  });
}

/** Every module specifier a file imports, statically or dynamically. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), "utf8");
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']/g), ...text.matchAll(/import\(\s*["']([^"']+)["']\s*\)/g), ...text.matchAll(/(?:^|\n)\s*import\s*["']([^"']+)["']/g)];
  return specifiers.map((m) => m[1]!);
}

/** The project folder an import lands in (`src/oci`, `plugins/harbor`), or the package name. */
function target(file: string, specifier: string): string {
  if (!specifier.startsWith(".")) return specifier.startsWith("node:") ? specifier : specifier.split("/").slice(0, specifier.startsWith("@") ? 2 : 1).join("/");
  const path = relative(root, resolve(dirname(join(root, file)), specifier));
  // Event and plan types are plain data the views may read, though their folders do I/O elsewhere.
  if (/^src\/apply\/events\.(js|ts)$/.test(path)) return "src/apply/events";
  const parts = path.split("/");
  return parts[0] === "src" || parts[0] === "plugins" ? parts.slice(0, 2).join("/") : parts[0]!;
}

function violations(dir: string, allowed: (target: string, file: string) => boolean): string[] {
  return sourceFiles(dir).flatMap((file) => importsOf(file).filter((s) => !allowed(target(file, s), file)).map((s) => `${file} imports ${s}`));
}

const NETWORK = ["undici", "node:http", "node:https", "node:net", "node:tls", "node:dgram", "src/oci", "src/providers", "src/observe", "src/sources", "src/resolve", "src/desired", "src/apply"];

describe("layering (DESIGN §6)", () => {
  it("finds the source files it checks", () => {
    expect(sourceFiles("src/core").length).toBeGreaterThan(3);
    expect(importsOf("src/config/load.ts")).toContain("./schema.js");
  });

  it("core imports nothing of ours and no packages", () => {
    expect(violations("src/core", (t) => t === "src/core")).toEqual([]);
  });

  it("oci knows nothing of airgap.yaml, plans, providers or views", () => {
    const forbidden = ["src/config", "src/plan", "src/apply", "src/ui", "src/cli", "src/providers", "src/sources", "src/resolve", "src/lock", "src/desired", "src/observe", "src/cluster", "src/sdk", "src/bundle"];
    expect(violations("src/oci", (t) => !forbidden.includes(t) && !t.startsWith("plugins/"))).toEqual([]);
  });

  it("config does no network and knows no views", () => {
    expect(violations("src/config", (t) => !NETWORK.includes(t) && !["src/ui", "src/cli", "src/plan", "src/apply"].includes(t))).toEqual([]);
  });

  it("sources open upstream content and know nothing of the lock, plans or targets", () => {
    const allowed = ["src/sources", "src/core", "src/config", "src/oci", "src/fs"];
    expect(violations("src/sources", (t) => !t.startsWith("src/") || allowed.includes(t))).toEqual([]);
  });

  it("the lock is data and a file: no network, no sources", () => {
    expect(violations("src/lock", (t) => !NETWORK.includes(t) && ["src/lock", "src/core", "src/config", "src/fs"].includes(t) || !t.startsWith("src/") && !NETWORK.includes(t))).toEqual([]);
  });

  it("resolve turns config and sources into a lock, and knows nothing of targets", () => {
    const allowed = ["src/resolve", "src/core", "src/config", "src/oci", "src/sources", "src/lock"];
    expect(violations("src/resolve", (t) => !t.startsWith("src/") || allowed.includes(t))).toEqual([]);
  });

  it("the plan model, diff and plan file do no network and know no sources", () => {
    expect(violations("src/plan", (t) => !NETWORK.includes(t) && (!t.startsWith("src/") || ["src/plan", "src/core", "src/fs"].includes(t)))).toEqual([]);
  });

  it("ui never touches the network or loads config", () => {
    expect(violations("src/ui", (t) => !NETWORK.includes(t) && t !== "src/config" && t !== "src/cli")).toEqual([]);
  });

  it("nothing outside cli and ui writes to the console", () => {
    const offenders = [...sourceFiles("src"), ...sourceFiles("plugins")]
      .filter((f) => !f.startsWith("src/cli/") && !f.startsWith("src/ui/"))
      .filter((f) => /\bconsole\.(log|error|warn|info|debug)\(/.test(readFileSync(join(root, f), "utf8")));
    expect(offenders).toEqual([]);
  });
});
