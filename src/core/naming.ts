/**
 * Where an upstream repository lands in a target: one pure function shared by
 * the plan, the bundle and the cluster outputs, so that what is pushed and
 * what the cluster is told to pull can never disagree.
 */

/** The `naming` settings of a bundle, with defaults applied. */
export interface NamingPolicy {
  /** Drop the upstream registry host (default) or keep it as a path segment. */
  readonly host: "drop" | "keep";
  /** Most path segments in a target repository; surplus segments are joined with `separator`. */
  readonly maxDepth?: number;
  readonly separator: "-" | "_" | ".";
}

/** The default policy: `<path>/<upstream repository>`, host dropped, no depth limit. */
export const DEFAULT_NAMING: NamingPolicy = { host: "drop", separator: "-" };

/**
 * A registry host as a repository path segment: lowercase, with the port's
 * `:` (illegal in repository names) turned into `-` (`127.0.0.1:5001` → `127.0.0.1-5001`).
 */
export function hostSegment(host: string): string {
  return host.toLowerCase().replace(/[[\]]/g, "").replace(/:/g, "-");
}

/**
 * Maps an upstream repository to its target repository.
 * `as` replaces the upstream repository (and host) when an entry renames it.
 */
export function targetRepository(
  upstream: { readonly registry: string; readonly repository: string },
  prefix: string | undefined,
  policy: NamingPolicy = DEFAULT_NAMING,
  as?: string,
): string {
  const segments: string[] = [];
  if (prefix) segments.push(...prefix.split("/"));
  if (as !== undefined) segments.push(...as.split("/"));
  else {
    if (policy.host === "keep") segments.push(hostSegment(upstream.registry));
    segments.push(...upstream.repository.split("/"));
  }
  const depth = policy.maxDepth;
  if (depth !== undefined && segments.length > depth) {
    const kept = segments.slice(0, Math.max(0, depth - 1));
    const joined = segments.slice(Math.max(0, depth - 1)).join(policy.separator);
    return [...kept, joined].join("/");
  }
  return segments.join("/");
}
