/**
 * The stale-plan check: before a saved plan runs, every target object it
 * will change must still hold what the plan saw. Otherwise the reviewed plan
 * no longer describes what apply would do (Terraform's "Saved plan is stale").
 */
import { AirgapError } from "../core/errors.js";
import { mapLimit } from "../core/concurrency.js";
import type { PlannedChange } from "../plan/model.js";
import type { Provider } from "../sdk/provider.js";

/** Targets changed since the plan was made. */
export class StalePlanError extends AirgapError {
  readonly changed: readonly { readonly address: string; readonly planned: string; readonly now: string }[];

  constructor(changed: readonly { address: string; planned: string; now: string }[]) {
    super(
      "STALE_PLAN",
      `stale plan: ${changed.length} target object(s) changed since the plan was made:\n${changed.map((c) => `  ${c.address}: planned over ${c.planned}, now ${c.now}`).join("\n")}\nRun \`airgap plan\` again and review the new plan.`,
    );
    this.changed = changed;
  }
}

/** Throws StalePlanError when any target tag moved since `before` was observed. */
export async function assertNotStale(changes: readonly PlannedChange[], providers: ReadonlyMap<string, Provider>, signal?: AbortSignal): Promise<void> {
  const checked = changes.filter((c) => c.action !== "no-op" && c.repository !== undefined && c.tag !== undefined);
  const changed: { address: string; planned: string; now: string }[] = [];
  await mapLimit(checked, 16, async (change) => {
    const store = providers.get(change.registry)?.repository?.(change.repository!);
    if (!store) return;
    const now = (await store.resolve(change.tag!, signal ? { signal } : {}))?.digest;
    if ((now ?? "absent") !== (change.before ?? "absent")) changed.push({ address: change.address, planned: change.before ?? "absent", now: now ?? "absent" });
  });
  if (changed.length > 0) throw new StalePlanError(changed.sort((a, b) => a.address.localeCompare(b.address)));
}
