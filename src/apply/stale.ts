/**
 * The stale-plan check: before a saved plan runs, every target object it
 * will change must still hold what the plan saw. Otherwise the reviewed plan
 * no longer describes what apply would do (Terraform's "Saved plan is stale").
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { AirgapError } from "../core/errors.js";
import { mapLimit } from "../core/concurrency.js";
import { isArtifactChange, UNVERIFIED, type PlannedChange } from "../plan/model.js";
import type { Provider, TargetItem } from "../sdk/provider.js";

/** Targets changed since the plan was made. */
export class StalePlanError extends AirgapError {
  readonly changed: readonly { readonly address: string; readonly planned: string; readonly now: string }[];

  /** `replan`: the command that makes a new plan here (`airgap plan --from site.tar` on the far side of the gap). */
  constructor(changed: readonly { address: string; planned: string; now: string }[], replan = "airgap plan") {
    super(
      "STALE_PLAN",
      `stale plan: ${changed.length} target object(s) changed since the plan was made:\n${changed.map((c) => `  ${c.address}: planned over ${c.planned}, now ${c.now}`).join("\n")}\nRun \`${replan}\` again and review the new plan.`,
    );
    this.changed = changed;
  }
}

/** What a change expects to find before it runs (`absent` for a create), or undefined when it is not checked. */
async function nowAndPlanned(change: PlannedChange, providers: ReadonlyMap<string, Provider>, baseDir: string, signal?: AbortSignal): Promise<{ now: string; planned: string } | undefined> {
  if (change.action === "no-op") return undefined;
  switch (change.kind) {
    case "image":
    case "chart":
    case "referrer": {
      if (change.tag === undefined) return undefined;
      const store = providers.get(change.registry)?.repository?.(change.repository);
      if (!store) return undefined;
      const now = (await store.resolve(change.tag, signal ? { signal } : {}))?.digest ?? "absent";
      return { now, planned: change.action === "create" ? "absent" : change.before };
    }
    case "output": {
      const text = await readFile(resolve(baseDir, change.path)).catch((error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return undefined;
        throw error;
      });
      const now = text === undefined ? "absent" : `sha256:${createHash("sha256").update(text).digest("hex")}`;
      return { now, planned: change.before ?? "absent" };
    }
    case "file": {
      const provider = providers.get(change.registry);
      if (!provider?.observeFiles) return undefined;
      const answer = (await provider.observeFiles([change.path], signal ? { signal } : {})).get(change.path);
      const now = answer?.state === "present" ? `sha256:${answer.sha256}` : answer?.state === "unverified" ? UNVERIFIED : answer?.state === "absent" ? "absent" : `unknown (${answer?.state === "unknown" ? answer.error : "no answer"})`;
      return { now, planned: change.action === "create" ? "absent" : change.before };
    }
    default:
      return undefined;
  }
}

/** Digests observed now through providers' batched `observe`, for the artifact changes whose provider has one. */
async function observedNow(changes: readonly PlannedChange[], providers: ReadonlyMap<string, Provider>, signal?: AbortSignal): Promise<Map<string, string>> {
  const now = new Map<string, string>();
  const byRegistry = new Map<string, TargetItem[]>();
  for (const c of changes) {
    if (c.action === "no-op" || !isArtifactChange(c) || c.tag === undefined || !providers.get(c.registry)?.observe) continue;
    let list = byRegistry.get(c.registry);
    if (!list) byRegistry.set(c.registry, (list = []));
    list.push({ address: c.address, kind: c.kind === "referrer" ? "image" : c.kind, repository: c.repository, tag: c.tag, digest: c.action === "delete" ? c.before : c.after });
  }
  for (const [registry, items] of byRegistry) {
    const answers = await providers.get(registry)!.observe!(items, signal ? { signal } : {});
    for (const [address, o] of answers) {
      if (o.state === "present") now.set(address, o.digest);
      else if (o.state === "absent") now.set(address, "absent");
      else throw new StalePlanError([{ address, planned: "?", now: `unknown (${o.error.message})` }]);
    }
  }
  return now;
}

/** Throws StalePlanError when any target object moved since `before` was observed. */
export async function assertNotStale(
  changes: readonly PlannedChange[],
  providers: ReadonlyMap<string, Provider>,
  options: { readonly signal?: AbortSignal; readonly baseDir?: string; readonly concurrency?: number; readonly replan?: string } = {},
): Promise<void> {
  const changed: { address: string; planned: string; now: string }[] = [];
  const batched = await observedNow(changes, providers, options.signal);
  await mapLimit(changes, options.concurrency ?? 16, async (change) => {
    const seen = batched.get(change.address);
    const found =
      seen !== undefined && isArtifactChange(change) && change.action !== "no-op"
        ? { now: seen, planned: change.action === "create" ? "absent" : change.before }
        : await nowAndPlanned(change, providers, options.baseDir ?? ".", options.signal);
    if (found && found.now !== found.planned) changed.push({ address: change.address, ...found });
  });
  if (changed.length > 0) throw new StalePlanError(changed.sort((a, b) => a.address.localeCompare(b.address)), options.replan);
}
