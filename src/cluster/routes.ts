/**
 * The mapping of the cluster's images, per upstream registry host, in the
 * terms mirror configurations speak: the path the mirror puts in front of
 * every repository of that host (`prefix`), and the repositories that do
 * not follow it because the naming flattened or renamed them (`exceptions`).
 * Renderers that can only prepend a path (containerd, k0s, MKE 4k) need no
 * exceptions; renderers that rewrite names (k3s/RKE2, registries.conf)
 * list them one by one.
 */
import { prependedPrefix, RepositoryIndex } from "../core/naming.js";
import type { ClusterArtifact, ClusterModel, OutputProblem } from "./model.js";

/** One upstream repository and where the nodes find it (the endpoint's namespace included). */
export interface RouteRepository {
  readonly upstream: string;
  readonly target: string;
  /** What must be prepended to `upstream` to get `target`; undefined when flattened or renamed. */
  readonly prefix: string | undefined;
}

/** How one upstream registry host maps onto the mirror. */
export interface HostRoute {
  /** Upstream registry host (`docker.io`, `127.0.0.1:5001`). */
  readonly host: string;
  /**
   * The prefix most of the host's repositories share (ties: the shortest,
   * then the first alphabetically); undefined when no repository follows a prefix.
   */
  readonly prefix: string | undefined;
  /** Every image repository of the host, sorted by upstream name. */
  readonly repositories: readonly RouteRepository[];
  /** Repositories whose target is not `<prefix>/<upstream>`, sorted. */
  readonly exceptions: readonly RouteRepository[];
}

/** Joins repository path parts, skipping empty ones. */
export function joinPath(...parts: readonly string[]): string {
  return parts.filter((p) => p !== "").join("/");
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The repository as the nodes see it: the endpoint's namespace, then the target repository. */
export function nodeRepository(model: ClusterModel, artifact: Pick<ClusterArtifact, "targetRepository">): string {
  return joinPath(model.registry.namespace, artifact.targetRepository);
}

function mostCommon(prefixes: readonly string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const p of prefixes) counts.set(p, (counts.get(p) ?? 0) + 1);
  return [...counts.entries()].sort(([a, n], [b, m]) => m - n || a.length - b.length || compare(a, b))[0]?.[0];
}

/** Groups `kind` artifacts by upstream host, sorted by host. */
export function hostRoutes(model: ClusterModel, kind: ClusterArtifact["kind"] = "image"): HostRoute[] {
  const byHost = new Map<string, Map<string, RouteRepository>>();
  for (const a of model.artifacts) {
    if (a.kind !== kind) continue;
    const target = nodeRepository(model, a);
    const repositories = byHost.get(a.registry) ?? new Map<string, RouteRepository>();
    repositories.set(`${a.repository}\n${target}`, { upstream: a.repository, target, prefix: prependedPrefix(a.repository, target) });
    byHost.set(a.registry, repositories);
  }
  return [...byHost.entries()]
    .sort(([a], [b]) => compare(a, b))
    .map(([host, map]) => {
      const repositories = [...map.values()].sort((a, b) => compare(a.upstream, b.upstream) || compare(a.target, b.target));
      const prefix = mostCommon(repositories.flatMap((r) => (r.prefix === undefined ? [] : [r.prefix])));
      return { host, prefix, repositories, exceptions: repositories.filter((r) => r.prefix === undefined || r.prefix !== prefix) };
    });
}

/** Names an exception for messages: `docker.io/team/sub/app → mirror/a/team-sub-app`. */
export function describeException(host: string, r: RouteRepository): string {
  return `${host}/${r.upstream} → ${r.target}`;
}

/**
 * Warnings for target repositories that several upstream repositories land
 * in (the host was dropped): a node asking either registry for a tag that
 * the other one pushed gets the other image.
 */
export function conflictWarnings(model: ClusterModel): OutputProblem[] {
  const index = new RepositoryIndex(
    model.artifacts.map((a) => ({ upstream: { registry: a.registry, repository: a.repository }, target: nodeRepository(model, a) })),
  );
  return index.conflicts().map((c) => ({
    severity: "warning" as const,
    message: `${c.upstreams.join(" and ")} all land in ${c.target}; a node asking one of them for a tag another one pushed gets that image (keep the host with \`naming: { host: keep }\`)`,
  }));
}
