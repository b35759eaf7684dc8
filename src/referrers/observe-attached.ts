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
import { listedAt } from "./fallback-index.js";

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
  // One look-up per subject and repository, however many of its referrers are checked.
  const lists = new Map<string, Promise<"api" | ReadonlySet<string>>>();
  await mapLimit(check, options.concurrency ?? 8, async (item) => {
    if (item.kind !== "referrer" || item.subject === undefined) return;
    const store = providers.get(item.registry)?.repository?.(item.repository);
    if (!store) return;
    const key = `${item.registry}\u0000${item.repository}\u0000${item.subject}`;
    let listed = lists.get(key);
    if (!listed) lists.set(key, (listed = listedAt(store, item.subject, call)));
    try {
      const found = await listed;
      if (found !== "api" && !found.has(item.digest)) out.set(item.address, { state: "absent" });
    } catch (error) {
      out.set(item.address, { state: "unknown", error: { message: `cannot read the referrers of ${item.subject} in ${store.name}: ${error instanceof Error ? error.message : String(error)}` } });
    }
  });
  return out;
}
