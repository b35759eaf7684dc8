/**
 * Real parsers for the rendered files: smol-toml (TOML 1.0), Python's
 * tomllib as a second opinion (one process for many files: Python starts
 * slowly), and the `yaml` package, plus interpreters of
 * each mirror format that answer "where does a node pull this upstream
 * repository from?", the way containerd, k3s and containers/image do.
 */
import { execFileSync } from "node:child_process";
import { parse as parseTomlText } from "smol-toml";
import { parse } from "yaml";

/** Parses TOML (smol-toml); throws on invalid TOML. Values come back as plain JSON data. */
export function parseToml(text: string): Record<string, unknown> {
  return JSON.parse(JSON.stringify(parseTomlText(text))) as Record<string, unknown>;
}

/** Parses every text with Python's tomllib in one process; throws with the parser's message on invalid TOML. */
export function parseTomlWithPython(texts: readonly string[]): Record<string, unknown>[] {
  const script = "import sys, json, tomllib\nprint(json.dumps([tomllib.loads(t) for t in json.loads(sys.stdin.read())]))";
  return JSON.parse(execFileSync("python3", ["-c", script], { input: JSON.stringify(texts), encoding: "utf8" })) as Record<string, unknown>[];
}

/** Parses YAML strictly (duplicate keys and bad syntax throw). */
export function parseYaml(text: string): unknown {
  return parse(text, { strict: true, uniqueKeys: true });
}

/** containerd hosts.toml: the URL a pull of `repository` goes to first (override_path: host path + repository). */
export function containerdPullUrl(hostsToml: string, repository: string): string {
  const doc = parseToml(hostsToml) as { host?: Record<string, { override_path?: boolean; capabilities?: string[] }> };
  const [url, host] = Object.entries(doc.host ?? {})[0] ?? [];
  if (url === undefined || host === undefined) throw new Error("no [host] table");
  return host.override_path ? `${url}/${repository}` : `${url}/v2/${repository}`;
}

/** k3s registries.yaml: the repository a pull of `repository` asks the mirror for (first matching rewrite; rules must not overlap). */
export function k3sRewrite(registriesYaml: string, host: string, repository: string): string {
  const doc = parseYaml(registriesYaml) as { mirrors: Record<string, { rewrite?: Record<string, string> }> };
  const rules = Object.entries(doc.mirrors[host]?.rewrite ?? {});
  const matching = rules.filter(([pattern]) => new RegExp(pattern).test(repository));
  if (matching.length > 1) throw new Error(`rewrite rules overlap for ${repository}: ${matching.map(([p]) => p).join(", ")}`);
  const [pattern, replacement] = matching[0] ?? [];
  return pattern === undefined ? repository : repository.replace(new RegExp(pattern), replacement!);
}

/** containers-registries.conf: the mirror location a pull of `host/repository` goes to (longest matching prefix, containers/image's rule). */
export function registriesConfMirror(registriesConf: string, name: string): string | undefined {
  const doc = parseToml(registriesConf) as { registry?: { prefix?: string; location: string; mirror?: { location: string }[] }[] };
  const matches = (doc.registry ?? []).filter((r) => {
    const prefix = r.prefix ?? r.location;
    return name === prefix || name.startsWith(`${prefix}/`) || name.startsWith(`${prefix}:`) || name.startsWith(`${prefix}@`);
  });
  const best = matches.sort((a, b) => (b.prefix ?? b.location).length - (a.prefix ?? a.location).length)[0];
  const mirror = best?.mirror?.[0]?.location;
  if (best === undefined || mirror === undefined) return undefined;
  return `${mirror}${name.slice((best.prefix ?? best.location).length)}`;
}
