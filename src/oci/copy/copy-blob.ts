/**
 * One blob into one target repository, at most once per run: skip it when
 * the run already put it there or the target has it, mount it from another
 * repository of the same target when one is known to hold it, otherwise
 * stream it from the source (providers-notes §1.11: HEAD, mount, upload).
 */
import type { Descriptor } from "../../core/oci-types.js";
import type { CopyContext } from "./context.js";
import { throttledProgress, type BlobOutcome, type SkipReason } from "./events.js";
import { isNonDistributable } from "./manifest-content.js";
import { sourceHas, targetHas } from "./store-calls.js";
import { streamBlob } from "./stream-blob.js";

interface BlobResult {
  readonly how: BlobOutcome;
  readonly bytes: number;
  readonly reason?: SkipReason;
  readonly from?: string;
}

/**
 * Copies a blob, deduplicated through the coordinator: claimed per (store,
 * digest), so a concurrent copy of the same blob to another repository of
 * this target waits for the first, then mounts from it instead of uploading.
 * The claim is awaited without a transfer slot; the slot covers only this
 * blob's own exists/mount/upload.
 */
export async function copyBlob(ctx: CopyContext, descriptor: Descriptor): Promise<void> {
  const { coordinator, identity } = ctx;
  const present = (): boolean => coordinator.isPresent("blob", identity.store, identity.repository, descriptor.digest);
  if (present()) return finish(ctx, descriptor, { how: "skipped", bytes: 0, reason: "copied-in-run" }, true);
  const release = await coordinator.claim("blob", identity.store, identity.repository, descriptor.digest, ctx.signal);
  try {
    if (present()) return finish(ctx, descriptor, { how: "skipped", bytes: 0, reason: "copied-in-run" }, true);
    const result = await coordinator.limiter.run(() => transferBlob(ctx, descriptor), ctx.signal);
    // A foreign layer left out is not in the target: it must not become a mount source.
    if (result.reason !== "foreign") coordinator.recordPresent("blob", identity.store, identity.repository, descriptor.digest);
    finish(ctx, descriptor, result, false);
  } finally {
    release();
  }
}

function finish(ctx: CopyContext, descriptor: Descriptor, result: BlobResult, announce: boolean): void {
  if (announce) ctx.emit({ type: "blob-start", target: ctx.target.name, descriptor });
  if (result.how === "uploaded") {
    ctx.stats.blobsUploaded++;
    ctx.stats.bytesUploaded += result.bytes;
  } else if (result.how === "mounted") ctx.stats.blobsMounted++;
  else ctx.stats.blobsSkipped++;
  ctx.emit({
    type: "blob-done",
    target: ctx.target.name,
    descriptor,
    how: result.how,
    bytes: result.bytes,
    ...(result.reason !== undefined ? { reason: result.reason } : {}),
    ...(result.from !== undefined ? { from: result.from } : {}),
  });
}

/** The work of one blob while holding a transfer slot. */
async function transferBlob(ctx: CopyContext, descriptor: Descriptor): Promise<BlobResult> {
  ctx.emit({ type: "blob-start", target: ctx.target.name, descriptor });
  if (!ctx.knownAbsent(descriptor) && (await targetHas(ctx, descriptor))) return { how: "skipped", bytes: 0, reason: "exists" };
  if (isNonDistributable(descriptor) && ctx.foreignLayers !== "require") {
    const available = ctx.foreignLayers === "copy-if-available" && (await sourceHas(ctx, descriptor));
    if (!available) {
      ctx.logger.log("info", "non-distributable layer not copied; clients fetch it from its urls", { digest: descriptor.digest, source: ctx.source.name, policy: ctx.foreignLayers });
      return { how: "skipped", bytes: 0, reason: "foreign" };
    }
  }
  const from = await tryMount(ctx, descriptor);
  if (from !== undefined) return { how: "mounted", bytes: 0, from };
  const progress = throttledProgress(
    ctx.progressIntervalMs,
    (bytes) => ctx.emit({ type: "blob-progress", target: ctx.target.name, descriptor, bytes, total: descriptor.size }),
    descriptor.size,
  );
  const bytes = await streamBlob(ctx.source, ctx.target, descriptor, progress, ctx.signal);
  return { how: "uploaded", bytes };
}

/**
 * Tries cross-repository mounts: first the repositories this run knows hold
 * the blob, then the caller's candidates. A declined or failed mount moves
 * on to the next candidate and finally to an upload (go-containerregistry
 * retries without mount on any mount error). A mount is confirmed with
 * `exists`, because registries have answered 201 without the blob being
 * usable (providers-notes §1.5, "mount ≠ present").
 */
async function tryMount(ctx: CopyContext, descriptor: Descriptor): Promise<string | undefined> {
  const target = ctx.target;
  if (target.mount === undefined) return undefined;
  const candidates = new Set(ctx.coordinator.locations(ctx.identity.store, descriptor.digest));
  if (ctx.mountCandidates !== undefined) {
    try {
      for (const repository of await ctx.mountCandidates(descriptor)) candidates.add(repository);
    } catch (error) {
      ctx.logger.log("warn", "mount candidate lookup failed; uploading instead", { digest: descriptor.digest, error: error instanceof Error ? error.message : String(error) });
    }
  }
  candidates.delete(ctx.identity.repository);
  let attempts = 0;
  for (const from of candidates) {
    if (attempts++ >= ctx.maxMountAttempts) break;
    let mounted: boolean;
    try {
      mounted = await target.mount(descriptor, from, { signal: ctx.signal });
    } catch (error) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      ctx.logger.log("debug", "mount failed; trying the next source", { digest: descriptor.digest, from, error: error instanceof Error ? error.message : String(error) });
      continue;
    }
    if (!mounted) continue;
    if (await targetHas(ctx, descriptor)) return from;
    ctx.logger.log("warn", "the target reported a mount but does not have the blob; uploading it", { digest: descriptor.digest, from, target: ctx.target.name });
  }
  return undefined;
}
