/**
 * For outputs that replace the registry host of every image with one
 * `host/path` (k0s `images.repository`, MKE 4k's image and chart registry
 * URLs): the one path every repository is prepended with, or why there is
 * none.
 */
import type { ClusterArtifact, ClusterModel } from "./model.js";
import { describeException, hostRoutes } from "./routes.js";

/** The shared prefix, or an error message naming the repositories that break it. */
export type SinglePrefix = { readonly ok: true; readonly prefix: string } | { readonly ok: false; readonly reason: string };

/** The one prefix all `kind` artifacts share; `what` names the setting in messages. */
export function singlePrefix(model: ClusterModel, kind: ClusterArtifact["kind"], what: string): SinglePrefix | undefined {
  const routes = hostRoutes(model, kind);
  if (routes.length === 0) return undefined;
  const broken = routes.flatMap((r) => r.exceptions.map((e) => describeException(r.host, e)));
  if (broken.length > 0) {
    return { ok: false, reason: `${what} replaces only the registry host, but the naming flattened or renamed ${broken.join(", ")}; drop \`maxDepth\`/\`as\` for the cluster's bundles` };
  }
  const prefixes = [...new Set(routes.map((r) => r.prefix ?? ""))];
  if (prefixes.length > 1) {
    const detail = routes.map((r) => `${r.host} → ${r.prefix || "(root)"}`).join(", ");
    return { ok: false, reason: `${what} is one registry path for every upstream registry, but the ${kind}s land under different paths (${detail}); use \`naming: { host: drop }\` or give the cluster bundles of one upstream registry` };
  }
  return { ok: true, prefix: prefixes[0] ?? "" };
}
