/**
 * k3s / RKE2 `registries.yaml`: a mirror per upstream registry (`mirrors.<host>.endpoint`)
 * and the mirror's TLS (`configs.<mirror host>.tls`).
 *
 * Names are rewritten with `rewrite` (regular expression → replacement on
 * the repository): one `^(.*)$` rule when every repository of a host is
 * under one prefix, otherwise one anchored rule per repository. k3s does not
 * keep the order of rewrite rules, so rules never overlap. Credentials are
 * never written (they would end up in the plan); add `configs.<host>.auth`
 * on the nodes.
 */
import type { RegistriesYamlOutput } from "../config/generated/airgap-config.js";
import { mirrorBaseUrl, nodeCaFile, skipVerify } from "./mirror.js";
import { type ClusterModel, type OutputProblem } from "./model.js";
import { hostRoutes, type HostRoute } from "./routes.js";
import type { Rendering } from "./rendering.js";
import { yamlText } from "./yaml-text.js";

/** A Go (RE2) regular expression matching exactly `text`. */
function exactly(text: string): string {
  return `^${text.replace(/[\\^$.|?*+()[\]{}]/g, "\\$&")}$`;
}

function rewrites(route: HostRoute): Record<string, string> | undefined {
  if (route.exceptions.length === 0) return route.prefix === "" || route.prefix === undefined ? undefined : { "^(.*)$": `${route.prefix}/$1` };
  const rules: Record<string, string> = {};
  for (const r of route.repositories) if (r.upstream !== r.target) rules[exactly(r.upstream)] = r.target;
  return rules;
}

/** Renders registries.yaml (the same file for k3s and RKE2). */
export function renderRegistriesYaml(model: ClusterModel, output: RegistriesYamlOutput): Rendering {
  const problems: OutputProblem[] = [];
  const endpoint = mirrorBaseUrl(model);
  const mirrors: Record<string, { endpoint: string[]; rewrite?: Record<string, string> }> = {};
  for (const route of hostRoutes(model, "image")) {
    const rules = rewrites(route);
    mirrors[route.host] = { endpoint: [endpoint], ...(rules !== undefined ? { rewrite: rules } : {}) };
  }
  // Direct pulls of the mirror's own names.
  mirrors[model.registry.host] ??= { endpoint: [endpoint] };
  const ca = nodeCaFile(model, undefined, `${output.type} registries.yaml \`ca_file\``);
  problems.push(...ca.problems);
  const tls: Record<string, string | boolean> = {};
  if (ca.caFile !== undefined) tls["ca_file"] = ca.caFile;
  if (skipVerify(model, undefined)) tls["insecure_skip_verify"] = true;
  const document = { mirrors, ...(Object.keys(tls).length > 0 ? { configs: { [model.registry.host]: { tls } } } : {}) };
  if (hostRoutes(model, "image").length === 0) problems.push({ severity: "warning", message: "the cluster's bundles hold no images: only the mirror's own entry is written" });
  return { files: [{ path: output.path, content: yamlText(document) }], problems };
}
