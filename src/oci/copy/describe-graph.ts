/**
 * What a copy WOULD do, without writing anything: the root digest the target
 * will end up with (after platform filtering, the same rewrite copyGraph
 * does) and every blob and manifest the target needs. Plan uses it to know
 * desired digests and transfer sizes; it only reads manifests from the source.
 */
import { silentLogger } from "../../core/logger.js";
import type { Descriptor, Platform } from "../../core/oci-types.js";
import type { CallOptions, ContentReader, ContentWriter } from "../content.js";
import type { CopyContext, GraphNode, MutableStats } from "./context.js";
import { rootNode } from "./copy-graph.js";
import { CopyCoordinator } from "./coordinator.js";
import { childrenOf, parseManifestContent } from "./manifest-content.js";
import { childNodes, fetchManifest } from "./store-calls.js";

/** The outcome of {@link describeCopy}. */
export interface CopyDescription {
  /** The root the target will hold (a rewritten index when platforms filtered it). */
  readonly root: Descriptor;
  /** Every distinct manifest and blob under the root, root included. */
  readonly content: readonly Descriptor[];
  /** Manifests the copy writes that the source does not hold (rewritten indexes), by digest. */
  readonly generated: ReadonlyMap<string, Buffer>;
}

/** A writer that must never be called: describe only reads. */
const NO_TARGET: ContentWriter = {
  name: "(describe)",
  resolve: () => Promise.reject(new Error("describeCopy does not touch a target")),
  exists: () => Promise.reject(new Error("describeCopy does not touch a target")),
  fetch: () => Promise.reject(new Error("describeCopy does not touch a target")),
  push: () => Promise.reject(new Error("describeCopy does not touch a target")),
  tag: () => Promise.reject(new Error("describeCopy does not touch a target")),
};

/** Walks the graph under `root` as copyGraph would, reading manifests from `source` only. */
export async function describeCopy(
  source: ContentReader,
  root: Descriptor,
  options: CallOptions & { readonly platforms?: readonly Platform[]; readonly preserveDigests: boolean; readonly coordinator?: CopyCoordinator },
): Promise<CopyDescription> {
  const stats: MutableStats = { blobsUploaded: 0, blobsMounted: 0, blobsSkipped: 0, bytesUploaded: 0, manifestsPushed: 0, manifestsSkipped: 0 };
  const ctx: CopyContext = {
    source,
    target: NO_TARGET,
    identity: { store: "(describe)", repository: "" },
    coordinator: options.coordinator ?? new CopyCoordinator(),
    signal: options.signal ?? new AbortController().signal,
    platforms: options.preserveDigests ? undefined : options.platforms,
    foreignLayers: "copy-if-available",
    mountCandidates: undefined,
    knownAbsent: () => false,
    maxMountAttempts: 0,
    progressIntervalMs: 0,
    emit: () => undefined,
    logger: silentLogger,
    stats,
    fail: () => undefined,
  };
  const content = new Map<string, Descriptor>();
  const generated = new Map<string, Buffer>();
  const visit = async (node: GraphNode): Promise<void> => {
    if (content.has(node.descriptor.digest)) return;
    content.set(node.descriptor.digest, node.descriptor);
    if (node.kind === "blob") return;
    if (node.bytes && node.descriptor.digest !== node.source.digest) generated.set(node.descriptor.digest, node.bytes);
    const children = node.children ?? childNodes(childrenOf(parseManifestContent(node.bytes ?? (await fetchManifest(ctx, node.source)), node.source, source.name)));
    for (const child of children) await visit(child);
  };
  const node = await rootNode(ctx, root);
  await visit(node);
  return { root: node.descriptor, content: [...content.values()], generated };
}
