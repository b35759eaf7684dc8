/**
 * Preflight at plan time: before a plan is shown, every target that offers
 * a `preflight` capability checks it can take the plan (Harbor's quota and
 * project rights, ECR's repository names and account, a layout's free disk
 * space) given every object the plan writes and every blob it uploads. All
 * problems of all targets are collected, so one `airgap plan` lists them
 * all, each naming its registry and the fix.
 */
import { failureFacts } from "../core/errors.js";
import type { Plan } from "../plan/model.js";
import type { DesiredItem } from "../plan/diff.js";
import type { PlannedUpload, Provider, TargetItem } from "../sdk/provider.js";

/** One reason a target cannot take the plan. */
export interface PreflightProblem {
  readonly registry: string;
  readonly message: string;
  readonly subject?: string;
}

function targetItem(item: DesiredItem): TargetItem {
  return item.kind === "file"
    ? { address: item.address, kind: "file", path: item.path, digest: item.digest }
    : { address: item.address, kind: item.kind === "referrer" ? "image" : item.kind, repository: item.repository, ...(item.tag !== undefined ? { tag: item.tag } : {}), digest: item.digest };
}

/** Runs every target's preflight over the plan; an empty list means every target can take it. */
export async function preflightTargets(plan: Plan, desired: readonly DesiredItem[], providers: ReadonlyMap<string, Provider>, signal?: AbortSignal): Promise<PreflightProblem[]> {
  const uploads = new Map<string, PlannedUpload[]>();
  const writing = new Set<string>();
  for (const c of plan.changes) {
    if (c.action !== "no-op" && "registry" in c && c.registry !== undefined) writing.add(c.registry);
    if (c.action !== "create" && c.action !== "update") continue;
    if (c.kind === "image" || c.kind === "chart" || c.kind === "referrer") {
      let list = uploads.get(c.registry);
      if (!list) uploads.set(c.registry, (list = []));
      for (const u of c.uploads) list.push({ repository: c.repository, digest: u.digest, size: u.size });
    } else if (c.kind === "file") {
      let list = uploads.get(c.registry);
      if (!list) uploads.set(c.registry, (list = []));
      list.push({ repository: c.path, digest: c.after, size: c.size });
    }
  }
  const problems: PreflightProblem[] = [];
  for (const [registry, provider] of providers) {
    if (!provider.preflight) continue;
    const items = desired.filter((i) => i.registry === registry).map(targetItem);
    try {
      for (const p of await provider.preflight({ items, uploads: uploads.get(registry) ?? [], writes: writing.has(registry) }, signal ? { signal } : {})) {
        problems.push({ registry, message: p.message, ...(p.subject !== undefined ? { subject: p.subject } : {}) });
      }
    } catch (error) {
      problems.push({ registry, message: `preflight failed: ${failureFacts(error).message}` });
    }
  }
  return problems;
}

/**
 * Before anything is observed: every target that can be pinged is asked once,
 * all at the same time, whether it answers, is trusted and accepts the
 * credentials. An unreachable registry then costs one line naming it and the
 * setting to check, instead of one failure per object of the plan, and every
 * unreachable target is named in the same run. Read-only: `GET /v2/`.
 */
export async function reachTargets(providers: ReadonlyMap<string, Provider>, signal?: AbortSignal): Promise<PreflightProblem[]> {
  const checks = [...providers].map(async ([registry, provider]): Promise<PreflightProblem | undefined> => {
    if (!provider.ping) return undefined;
    try {
      await provider.ping(signal ? { signal } : {});
      return undefined;
    } catch (error) {
      if (signal?.aborted) throw error;
      const facts = failureFacts(error);
      return { registry, subject: provider.display, message: `${facts.message}${fixFor(registry, facts.code)}` };
    }
  });
  return (await Promise.all(checks)).filter((p): p is PreflightProblem => p !== undefined);
}

/** What to check, by failure family; TLS and protocol errors already say their fix. */
function fixFor(registry: string, code: string | undefined): string {
  if (code === "REGISTRY_NETWORK") return `; check \`registries.${registry}.url\` and that the registry is running and reachable from here`;
  if (code === "REGISTRY_AUTH") return `; check \`registries.${registry}.credentials\``;
  return "";
}
