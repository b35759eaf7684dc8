/**
 * A referrer counts as present at a target only when it can be found there
 * the way it was found upstream: its manifest is there AND it is listed by
 * its subject (the referrers API, or the fallback index). Otherwise the
 * plan copies it again (the manifest push is skipped as already there) and
 * apply lists it, instead of calling it up to date.
 */
import { mapLimit } from "../core/concurrency.js";
import type { Observation } from "../core/observation.js";
import type { DesiredItem } from "../plan/diff.js";
import type { Provider } from "../sdk/provider.js";
import { isAttached } from "./fallback-index.js";

/** The observations, with present referrers that their subject's list lacks turned absent. */
export async function observeAttachments(
  items: readonly DesiredItem[],
  observed: ReadonlyMap<string, Observation>,
  providers: ReadonlyMap<string, Provider>,
  options: { readonly signal?: AbortSignal; readonly concurrency?: number } = {},
): Promise<Map<string, Observation>> {
  const out = new Map(observed);
  const call = options.signal ? { signal: options.signal } : {};
  const check = items.filter((i) => i.kind === "referrer" && i.subject !== undefined && i.tag === undefined && observed.get(i.address)?.state === "present");
  await mapLimit(check, options.concurrency ?? 8, async (item) => {
    if (item.kind !== "referrer" || item.subject === undefined) return;
    const store = providers.get(item.registry)?.repository?.(item.repository);
    if (!store) return;
    try {
      if (!(await isAttached(store, item.digest, item.subject, call))) out.set(item.address, { state: "absent" });
    } catch (error) {
      out.set(item.address, { state: "unknown", error: { message: `cannot read the referrers of ${item.subject} in ${store.name}: ${error instanceof Error ? error.message : String(error)}` } });
    }
  });
  return out;
}
