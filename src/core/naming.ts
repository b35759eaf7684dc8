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

/**
 * The prefix every repository of upstream `registry` gets in the target when
 * the mapping neither flattens nor renames it: `<path>[/<host segment>]`, or
 * `""` when there is neither. Mirror configurations that can only prepend a
 * path (containerd's `override_path`, k0s's `images.repository`) are built
 * from it.
 */
export function hostPrefix(registry: string, prefix: string | undefined, policy: NamingPolicy = DEFAULT_NAMING): string {
  const segments: string[] = [];
  if (prefix) segments.push(prefix);
  if (policy.host === "keep") segments.push(hostSegment(registry));
  return segments.join("/");
}

/**
 * What a client that can only prepend a path must prepend to `upstream` to
 * reach `target`: `""` when they are equal, the leading part when `target` is
 * `<prefix>/<upstream>`, and undefined when the mapping flattened or renamed
 * the repository (only a rewriting client can follow it then).
 */
export function prependedPrefix(upstream: string, target: string): string | undefined {
  if (target === upstream) return "";
  return target.endsWith(`/${upstream}`) ? target.slice(0, target.length - upstream.length - 1) : undefined;
}

/** An upstream repository and where the naming put it. */
export interface MappedRepository {
  readonly upstream: { readonly registry: string; readonly repository: string };
  readonly target: string;
}

/** Two or more upstream repositories the naming sends to one target repository. */
export interface NamingConflict {
  readonly target: string;
  /** `registry/repository` of each, sorted. */
  readonly upstreams: readonly string[];
}

/**
 * The naming read in both directions over a known set of repositories: a
 * target repository maps back to exactly one upstream, or the index reports
 * the conflict. The mapping alone cannot be inverted (dropping the host or
 * flattening forgets things), so the inverse is over what a config names.
 */
export class RepositoryIndex {
  private readonly forward = new Map<string, string>();
  private readonly backward = new Map<string, Set<string>>();
  private readonly upstreams = new Map<string, MappedRepository["upstream"]>();

  constructor(mapped: Iterable<MappedRepository>) {
    for (const m of mapped) {
      const key = `${m.upstream.registry}/${m.upstream.repository}`;
      this.upstreams.set(key, m.upstream);
      this.forward.set(key, m.target);
      const set = this.backward.get(m.target) ?? new Set<string>();
      set.add(key);
      this.backward.set(m.target, set);
    }
  }

  /** Where an upstream repository landed; undefined when the index does not hold it. */
  targetOf(upstream: MappedRepository["upstream"]): string | undefined {
    return this.forward.get(`${upstream.registry}/${upstream.repository}`);
  }

  /** The one upstream repository a target repository holds; undefined when none or several (see {@link conflicts}). */
  upstreamOf(target: string): MappedRepository["upstream"] | undefined {
    const keys = this.backward.get(target);
    if (keys === undefined || keys.size !== 1) return undefined;
    return this.upstreams.get([...keys][0]!);
  }

  /** Every target repository that several upstream repositories land in, sorted by target. */
  conflicts(): NamingConflict[] {
    return [...this.backward.entries()]
      .filter(([, keys]) => keys.size > 1)
      .map(([target, keys]) => ({ target, upstreams: [...keys].sort() }))
      .sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
  }
}
