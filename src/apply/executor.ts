/**
 * The executor: runs exactly the changes of a plan. Prerequisites first,
 * then content through one copy coordinator (every blob moves once across
 * the whole plan, later repositories mount it), deletions last. Work is
 * spread across artifacts, bounded by `parallelism`. One failed change does
 * not stop the others; an abort stops everything in flight, and no tag ever
 * points at an incomplete image because tags are written last.
 */
import type { Descriptor } from "../core/oci-types.js";
import { parsePlatform } from "../core/oci-types.js";
import { mapLimit } from "../core/concurrency.js";
import type { ContentReader } from "../oci/content.js";
import { CopyCoordinator, copyGraph } from "../oci/copy/index.js";
import type { PlannedChange } from "../plan/model.js";
import type { Plan } from "../plan/model.js";
import type { Provider, WriteLock, WriteLockOptions } from "../sdk/provider.js";
import type { ApplyEvent, ApplySummary } from "./events.js";

/** Everything the executor needs besides the plan. */
export interface ExecutorOptions {
  readonly providers: ReadonlyMap<string, Provider>;
  /** The upstream reader for an image or chart change. */
  openSource(change: PlannedChange): Promise<ContentReader>;
  /** Artifacts in flight at once. */
  readonly parallelism: number;
  readonly signal: AbortSignal;
  readonly onEvent: (event: ApplyEvent) => void;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Takes the write lock of every target that `changes` write to and that
 * offers one (`Provider.lockForWrite`), for the caller to hold around the
 * stale-plan check and {@link executePlan} and release in a `finally`.
 * The executor itself does not lock, so that a saved plan's staleness is
 * checked under the same lock as the writes that follow it. Locks are taken
 * in the order of the targets' display names, the same in every process, so
 * two applies into the same two layouts cannot each hold one and wait for
 * the other; if one cannot be had, those already taken are released.
 */
export async function lockTargets(changes: readonly PlannedChange[], providers: ReadonlyMap<string, Provider>, options: WriteLockOptions): Promise<WriteLock> {
  const writing = [...new Set(changes.filter((c) => c.action !== "no-op").map((c) => c.registry))]
    .flatMap((name) => {
      const provider = providers.get(name);
      return provider?.lockForWrite ? [provider] : [];
    })
    .sort((a, b) => (a.display < b.display ? -1 : a.display > b.display ? 1 : 0));
  const held: WriteLock[] = [];
  const releaseAll = async (): Promise<void> => {
    for (const lock of held.splice(0).reverse()) await lock.release();
  };
  try {
    for (const provider of writing) held.push(await provider.lockForWrite!(options));
  } catch (error) {
    await releaseAll();
    throw error;
  }
  return { release: releaseAll };
}

/** Runs a plan's changes; never throws for a failed change: the summary lists failures. The caller holds the targets' write locks ({@link lockTargets}). */
export async function executePlan(plan: Plan, options: ExecutorOptions): Promise<ApplySummary> {
  const work = plan.changes.filter((c) => c.action !== "no-op");
  const coordinator = new CopyCoordinator({ concurrency: Math.max(4, options.parallelism) });
  const failures: { address: string; error: string }[] = [];
  let done = 0;
  let bytesMoved = 0;
  let started = 0;
  options.onEvent({ type: "apply-start", changes: work.length, bytes: plan.summary.transferBytes });

  const run = async (change: PlannedChange): Promise<void> => {
    if (options.signal.aborted) return;
    started++;
    options.onEvent({ type: "change-start", address: change.address, action: change.action, bytes: change.transfer ?? 0 });
    try {
      const result = await applyChange(change, options, coordinator, (bytes) => options.onEvent({ type: "change-progress", address: change.address, bytes }));
      done++;
      bytesMoved += result.bytesMoved;
      options.onEvent({ type: "change-done", address: change.address, action: change.action, bytesMoved: result.bytesMoved, ...(result.digest ? { digest: result.digest } : {}) });
    } catch (error) {
      const message = options.signal.aborted ? "interrupted" : errorText(error);
      failures.push({ address: change.address, error: message });
      options.onEvent({ type: "change-failed", address: change.address, error: message });
    }
  };

  // Prerequisites before content, deletions after it: each phase completes before the next starts.
  const phases = [work.filter((c) => c.kind === "prerequisite"), work.filter((c) => c.kind !== "prerequisite" && c.action !== "delete"), work.filter((c) => c.kind !== "prerequisite" && c.action === "delete")];
  for (const phase of phases) await mapLimit(phase, Math.max(1, options.parallelism), run);

  const summary: ApplySummary = {
    done,
    failed: failures.length,
    notStarted: work.length - started,
    bytesMoved,
    interrupted: options.signal.aborted,
    failures: failures.sort((a, b) => a.address.localeCompare(b.address)),
  };
  options.onEvent({ type: "apply-done", summary });
  return summary;
}

async function applyChange(change: PlannedChange, options: ExecutorOptions, coordinator: CopyCoordinator, progress: (bytes: number) => void): Promise<{ bytesMoved: number; digest?: string }> {
  const provider = options.providers.get(change.registry);
  if (!provider) throw new Error(`no provider for registry ${change.registry}`);
  const call = { signal: options.signal };

  if (change.kind === "prerequisite") {
    if (!provider.applyPrerequisite || !change.provider) throw new Error(`provider of ${change.registry} cannot apply ${change.address}`);
    const result = await provider.applyPrerequisite({ key: change.address, reason: change.reason, data: change.provider.data }, call);
    if (result.status === "failed") throw new Error(result.error);
    return { bytesMoved: 0 };
  }
  if (change.kind !== "image" && change.kind !== "chart") throw new Error(`${change.kind} changes are not supported by this version of airgap yet`);
  if (change.repository === undefined) throw new Error(`${change.address} has no target repository`);

  if (change.action === "delete") {
    if (!provider.deleteTag || change.tag === undefined) throw new Error(`provider of ${change.registry} cannot delete ${change.address}`);
    await provider.deleteTag(change.repository, change.tag, change.before ?? "", call);
    return { bytesMoved: 0 };
  }

  const spec = change.copy;
  if (!spec || !provider.repository) throw new Error(`${change.address}: nothing to copy (the plan has no source) or the target holds no OCI content`);
  const source = await options.openSource(change);
  const target = provider.repository(change.repository);
  const root: Descriptor = { mediaType: spec.sourceMediaType, digest: spec.sourceDigest as Descriptor["digest"], size: spec.sourceSize };
  const platforms = spec.platforms?.map((p) => {
    const parsed = parsePlatform(p);
    if (!parsed.ok) throw new Error(parsed.reason);
    return parsed.platform;
  });
  const inFlight = new Map<string, number>();
  let moved = 0;
  const result = await copyGraph(source, target, root, {
    ...call,
    preserveDigests: spec.preserveDigests,
    ...(platforms ? { platforms } : {}),
    coordinator,
    onEvent(event) {
      if (event.type === "blob-progress") {
        inFlight.set(event.descriptor.digest, event.bytes);
        progress(moved + [...inFlight.values()].reduce((a, b) => a + b, 0));
      } else if (event.type === "blob-done") {
        inFlight.delete(event.descriptor.digest);
        if (event.how === "uploaded") moved += event.bytes;
        progress(moved + [...inFlight.values()].reduce((a, b) => a + b, 0));
      }
    },
  });
  if (result.root.digest !== change.after) {
    throw new Error(`the source now yields ${result.root.digest}, not the planned ${change.after ?? "?"}: the upstream content changed since the plan; nothing was tagged. Run \`airgap plan\` again`);
  }
  options.signal.throwIfAborted();
  // The tag last: only now does the target point at the complete image. Digest-pinned images stay untagged.
  if (change.tag !== undefined) await target.tag(result.root, change.tag, call);
  return { bytesMoved: moved, digest: result.root.digest };
}
