/**
 * Observation: what the targets really hold, read-only and concurrent.
 * "Not found" and "repository unknown" are absence, not errors; anything
 * else is `unknown` with the registry's own message, which stops the plan.
 */
import type { Logger } from "../core/logger.js";
import type { Descriptor } from "../core/oci-types.js";
import { mapLimit } from "../core/concurrency.js";
import type { BlobRef } from "../plan/model.js";
import type { DesiredItem, Observation, PruneCandidate } from "../plan/diff.js";
import type { Provider } from "../sdk/provider.js";

/** What observation needs to know about the targets. */
export interface ObserveInput {
  readonly desired: readonly DesiredItem[];
  /** The instantiated provider per target registry name. */
  readonly providers: ReadonlyMap<string, Provider>;
  /** Repositories to list for prune: registry, repository, and the address scope of their bundle. */
  readonly prune?: readonly { readonly registry: string; readonly repository: string; readonly bundle: string; readonly kind: "image" | "chart" }[];
  readonly signal?: AbortSignal;
  readonly logger?: Logger;
  /** Requests in flight at once across all targets (each host also has its own limit). */
  readonly concurrency?: number;
}

/** Everything the diff needs from the targets. */
export interface ObservedState {
  readonly observed: ReadonlyMap<string, Observation>;
  readonly presentBlobs: ReadonlyMap<string, ReadonlySet<string>>;
  readonly pruneCandidates: readonly PruneCandidate[];
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Observes every desired object, the blobs missing objects need, and prune candidates. */
export async function observeTargets(input: ObserveInput): Promise<ObservedState> {
  const concurrency = input.concurrency ?? 16;
  const call = input.signal ? { signal: input.signal } : {};
  const observed = new Map<string, Observation>();

  // Objects: tags (images, charts) through the provider's repository store.
  await mapLimit(input.desired, concurrency, async (item) => {
    const provider = input.providers.get(item.registry);
    if (!provider?.repository || item.repository === undefined) {
      observed.set(item.address, { state: "absent" });
      return;
    }
    try {
      // An image pinned by digest only is stored untagged: observe it by digest.
      const found = await provider.repository(item.repository).resolve(item.tag ?? item.digest, call);
      observed.set(item.address, found ? { state: "present", digest: found.digest } : { state: "absent" });
    } catch (error) {
      observed.set(item.address, { state: "unknown", error: message(error) });
    }
  });

  // Blobs of objects that will be written: which does the target already hold?
  const presentBlobs = new Map<string, Set<string>>();
  const checks = new Map<string, { registry: string; repository: string; blob: BlobRef }>();
  for (const item of input.desired) {
    const o = observed.get(item.address);
    if (item.repository === undefined || (o?.state === "present" && o.digest === item.digest)) continue;
    for (const blob of item.blobs) checks.set(`${item.registry}|${blob.digest}`, { registry: item.registry, repository: item.repository, blob });
  }
  await mapLimit([...checks.values()], concurrency, async ({ registry, repository, blob }) => {
    const store = input.providers.get(registry)?.repository?.(repository);
    if (!store) return;
    const descriptor = { mediaType: "application/octet-stream", digest: blob.digest, size: blob.size } as Descriptor;
    const has = await store.exists(descriptor, call).catch(() => false);
    if (!has) return;
    let set = presentBlobs.get(registry);
    if (!set) presentBlobs.set(registry, (set = new Set()));
    set.add(blob.digest);
  });

  // Prune: every tag of a pruned repository, with its digest.
  const pruneCandidates: PruneCandidate[] = [];
  await mapLimit(input.prune ?? [], concurrency, async (repo) => {
    const provider = input.providers.get(repo.registry);
    if (!provider?.listTags || !provider.repository) return;
    const tags = await provider.listTags(repo.repository, call);
    const store = provider.repository(repo.repository);
    await mapLimit(tags, concurrency, async (tag) => {
      const found = await store.resolve(tag, call);
      if (!found) return;
      pruneCandidates.push({
        address: `bundle.${repo.bundle}.${repo.kind}[${JSON.stringify(`${repo.registry}/${repo.repository}:${tag}`)}]`,
        kind: repo.kind,
        registry: repo.registry,
        repository: repo.repository,
        tag,
        digest: found.digest,
      });
    });
  });
  pruneCandidates.sort((a, b) => a.address.localeCompare(b.address));
  return { observed, presentBlobs, pruneCandidates };
}
