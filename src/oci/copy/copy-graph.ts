/**
 * `copyGraph`: copies the content graph under one root from any
 * ContentReader to any ContentWriter (registry ⇄ registry, registry ⇄ OCI
 * layout), in the spirit of oras-go's CopyGraph:
 *
 * - children before parents: a manifest is pushed only after every blob and
 *   child manifest it references is in the target, so a reader of the target
 *   never sees a manifest with missing content, whenever the copy stops;
 * - a manifest the target already has is skipped WITH its whole sub-graph
 *   (oras semantics: content is pushed children-first, so an existing
 *   manifest implies its children); a blob is checked before it is moved;
 * - blobs are mounted from another repository of the same target when one is
 *   known to hold them, and uploaded otherwise;
 * - blobs stream from source to target and are never held in memory;
 *   manifests (≤ 4 MiB) are read whole to find their children;
 * - every copy sharing a {@link CopyCoordinator} is deduplicated against the
 *   others, and leaf operations share its transfer slots;
 * - with `platforms` and without `preserveDigests`, indexes are filtered and
 *   rewritten (index-rewrite.ts), and the new root is returned.
 *
 * Tagging is the caller's last step (copy-reference.ts), after this resolves.
 */
import { setMaxListeners } from "node:events";
import { isIndexMediaType } from "../../core/media-types.js";
import { silentLogger } from "../../core/logger.js";
import { formatPlatform, type Descriptor } from "../../core/oci-types.js";
import type { ContentReader, ContentWriter } from "../content.js";
import type { CopyContext, CopyStats, GraphNode, ManifestNode, MutableStats } from "./context.js";
import { copyBlob } from "./copy-blob.js";
import { CopyCoordinator } from "./coordinator.js";
import { CopyError } from "./errors.js";
import { safeEmitter } from "./events.js";
import { planFilteredIndex } from "./index-rewrite.js";
import { childrenOf, isManifestDescriptor, parseManifestContent } from "./manifest-content.js";
import type { CopyGraphOptions } from "./options.js";
import { childNodes, fetchManifest, pushManifest, targetHas } from "./store-calls.js";
import { targetIdentity } from "./target-identity.js";

/** The outcome of {@link copyGraph}. */
export interface CopyGraphResult {
  /** The root as it is in the target: the source root, or the rewritten index when platform filtering changed it. Tag this. */
  readonly root: Descriptor;
  /** True when `root` differs from the source root (its digest changed). */
  readonly rewritten: boolean;
  readonly stats: CopyStats;
}

/**
 * Copies everything under `root` from `source` to `target`, children first.
 * Resolves with the root as stored in the target (see {@link CopyGraphResult});
 * rejects with a {@link CopyError} naming the failing side and descriptor,
 * or with the signal's reason when aborted. Nothing is tagged here.
 */
export async function copyGraph(source: ContentReader, target: ContentWriter, root: Descriptor, options: CopyGraphOptions): Promise<CopyGraphResult> {
  options.signal?.throwIfAborted();
  const internal = new AbortController();
  const signal = options.signal === undefined ? internal.signal : AbortSignal.any([options.signal, internal.signal]);
  // Every waiting node listens on this signal (hundreds for a large index); that is by design, not a leak.
  setMaxListeners(0, signal);
  const logger = options.logger ?? silentLogger;
  let firstError: unknown;
  const stats: MutableStats = { blobsUploaded: 0, blobsMounted: 0, blobsSkipped: 0, bytesUploaded: 0, manifestsPushed: 0, manifestsSkipped: 0 };
  const ctx: CopyContext = {
    source,
    target,
    identity: targetIdentity(target, options.targetIdentity),
    coordinator: options.coordinator ?? new CopyCoordinator(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    signal,
    platforms: !options.preserveDigests && options.platforms !== undefined && options.platforms.length > 0 ? options.platforms : undefined,
    foreignLayers: options.foreignLayers ?? "copy-if-available",
    mountCandidates: options.mountCandidates,
    knownAbsent: options.knownAbsent ?? (() => false),
    maxMountAttempts: options.maxMountAttempts ?? 3,
    progressIntervalMs: options.progressIntervalMs ?? 250,
    emit: safeEmitter(options.onEvent, logger),
    logger,
    stats,
    fail: (error) => {
      if (signal.aborted) return;
      firstError = error;
      internal.abort();
    },
  };
  try {
    const node = await rootNode(ctx, root);
    await copyNode(ctx, node);
    return { root: node.descriptor, rewritten: node.descriptor.digest !== root.digest, stats: { ...stats } };
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    throw firstError ?? error;
  }
}

/** The root as a node: an index to filter is planned (fetched and rewritten) first, anything else is copied as it is. */
export async function rootNode(ctx: CopyContext, root: Descriptor): Promise<GraphNode> {
  if (!isManifestDescriptor(root)) return { kind: "blob", descriptor: root };
  if (ctx.platforms === undefined || !isIndexMediaType(root.mediaType)) return { kind: "manifest", descriptor: root, source: root };
  const planned = await planFilteredIndex(ctx, root, ctx.platforms);
  if (planned.node === undefined) {
    const wanted = ctx.platforms.map((p) => formatPlatform(p)).join(", ");
    const available = planned.available.length > 0 ? planned.available.join(", ") : "no entries";
    throw new CopyError({
      code: "COPY_NO_MATCHING_PLATFORM",
      operation: "filter",
      side: "source",
      location: ctx.source.name,
      descriptor: root,
      message: `${ctx.source.name}@${root.digest} has none of the requested platforms (${wanted}); available: ${available}`,
    });
  }
  return planned.node;
}

function copyNode(ctx: CopyContext, node: GraphNode): Promise<void> {
  return node.kind === "blob" ? copyBlob(ctx, node.descriptor) : copyManifest(ctx, node);
}

/**
 * Copies nodes concurrently (their leaf operations are bounded by the
 * coordinator's slots). The first failure stops the others through the
 * copy's signal; this settles only once all have, so no work of a failed
 * copy goes on behind the caller's back.
 */
async function copyAll(ctx: CopyContext, nodes: readonly GraphNode[]): Promise<void> {
  const results = await Promise.allSettled(
    nodes.map((node) =>
      copyNode(ctx, node).catch((error: unknown) => {
        ctx.fail(error);
        throw error;
      }),
    ),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed !== undefined) throw failed.reason;
}

/** Copies a manifest: skipped when present (with its sub-graph), else children first, then the manifest. */
async function copyManifest(ctx: CopyContext, node: ManifestNode): Promise<void> {
  const { coordinator, identity } = ctx;
  const descriptor = node.descriptor;
  const present = (): boolean => coordinator.isPresent("manifest", identity.store, identity.repository, descriptor.digest);
  const done = (how: "pushed" | "skipped", reason?: "exists" | "copied-in-run"): void => {
    coordinator.recordPresent("manifest", identity.store, identity.repository, descriptor.digest);
    if (how === "pushed") ctx.stats.manifestsPushed++;
    else ctx.stats.manifestsSkipped++;
    ctx.emit({ type: "manifest-done", target: ctx.target.name, descriptor, how, ...(reason !== undefined ? { reason } : {}) });
  };
  if (present()) return done("skipped", "copied-in-run");
  const release = await coordinator.claim("manifest", identity.store, identity.repository, descriptor.digest, ctx.signal);
  try {
    if (present()) return done("skipped", "copied-in-run");
    // oras semantics: a manifest in the target was pushed after all its children, so its sub-graph is there too.
    if (!ctx.knownAbsent(descriptor) && (await coordinator.limiter.run(() => targetHas(ctx, descriptor), ctx.signal))) return done("skipped", "exists");
    const bytes = node.bytes ?? (await coordinator.limiter.run(() => fetchManifest(ctx, node.source), ctx.signal));
    const children = node.children ?? childNodes(childrenOf(parseManifestContent(bytes, node.source, ctx.source.name)));
    // No slot is held while the children copy: a parent waiting on them must not starve them (oras-go's region.End()).
    await copyAll(ctx, children);
    ctx.signal.throwIfAborted();
    await coordinator.limiter.run(() => pushManifest(ctx, descriptor, bytes), ctx.signal);
    done("pushed");
  } finally {
    release();
  }
}
