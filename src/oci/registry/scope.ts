/**
 * Token scopes (distribution auth-scope: `resourcetype:resourcename:action[,action]`).
 * A request names the scopes it needs up front so a token can be fetched
 * before the first request, not only after a 401.
 */

/** Actions airgap asks for on a repository. */
export type RepositoryAction = "pull" | "push" | "delete";

/** `repository:NAME:ACTIONS`, actions in a stable order (`pull,push`). */
export function repositoryScope(repository: string, actions: readonly RepositoryAction[]): string {
  const order: readonly RepositoryAction[] = ["pull", "push", "delete"];
  const sorted = order.filter((a) => actions.includes(a));
  return `repository:${repository}:${sorted.join(",")}`;
}

/** Scope to list the registry catalog. */
export const CATALOG_SCOPE = "registry:catalog:*";

/** The scopes of a cross-repository mount: push on the target, pull on the source (distribution adds the latter). */
export function mountScopes(targetRepository: string, fromRepository: string): string[] {
  return [repositoryScope(targetRepository, ["pull", "push"]), repositoryScope(fromRepository, ["pull"])];
}

/**
 * Merges scope lists: entries for the same resource have their actions
 * united, first-seen order is kept (some registries only read the first
 * `scope` parameter, so the caller's primary scope stays first).
 */
export function mergeScopes(...lists: readonly (readonly string[])[]): string[] {
  const byResource = new Map<string, Set<string>>();
  for (const list of lists) {
    for (const scope of list) {
      const last = scope.lastIndexOf(":");
      if (last <= 0) {
        if (!byResource.has(scope)) byResource.set(scope, new Set());
        continue;
      }
      const resource = scope.slice(0, last);
      const actions = scope.slice(last + 1).split(",").filter((a) => a !== "");
      const set = byResource.get(resource) ?? new Set<string>();
      for (const a of actions) set.add(a);
      byResource.set(resource, set);
    }
  }
  const out: string[] = [];
  for (const [resource, actions] of byResource) {
    if (actions.size === 0) {
      out.push(resource);
      continue;
    }
    const sorted = [...actions].sort((a, b) => actionRank(a) - actionRank(b) || a.localeCompare(b));
    out.push(`${resource}:${sorted.join(",")}`);
  }
  return out;
}

function actionRank(action: string): number {
  const rank = ["pull", "push", "delete", "*"].indexOf(action);
  return rank < 0 ? 10 : rank;
}

/** A cache key for a set of scopes, independent of their order. */
export function scopeKey(scopes: readonly string[]): string {
  return mergeScopes(scopes).sort().join(" ");
}

/** True when every action of `wanted` is covered by `granted` (both scope lists). */
export function scopesCover(granted: readonly string[], wanted: readonly string[]): boolean {
  const have = new Set(mergeScopes(granted).flatMap(expand));
  return mergeScopes(wanted).flatMap(expand).every((s) => have.has(s));
}

function expand(scope: string): string[] {
  const last = scope.lastIndexOf(":");
  if (last <= 0) return [scope];
  const resource = scope.slice(0, last);
  return scope.slice(last + 1).split(",").map((a) => `${resource}:${a}`);
}
