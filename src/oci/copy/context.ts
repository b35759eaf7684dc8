/**
 * The shapes shared by the steps of one copy: the graph nodes, the per-call
 * context and the statistics. Kept apart from the algorithm so the blob
 * step, the manifest step and the index rewriter depend on data, not on
 * each other.
 */
import type { Logger } from "../../core/logger.js";
import type { Descriptor, Platform } from "../../core/oci-types.js";
import type { ContentReader, ContentWriter } from "../content.js";
import type { CopyCoordinator } from "./coordinator.js";
import type { CopyEventListener } from "./events.js";
import type { ForeignLayerPolicy, KnownAbsent, MountCandidates } from "./options.js";
import type { CopyTargetIdentity } from "./target-identity.js";

/** Counts of what one copy did. */
export interface CopyStats {
  readonly blobsUploaded: number;
  readonly blobsMounted: number;
  readonly blobsSkipped: number;
  /** Blob bytes sent to the target (uploads only). */
  readonly bytesUploaded: number;
  readonly manifestsPushed: number;
  readonly manifestsSkipped: number;
}

/** Statistics while they are being counted. */
export type MutableStats = { -readonly [K in keyof CopyStats]: CopyStats[K] };

/** A manifest to copy, with its bytes and children when they are already known. */
export interface ManifestNode {
  readonly kind: "manifest";
  /** The manifest as it is pushed to the target. */
  readonly descriptor: Descriptor;
  /** The manifest in the source (differs from `descriptor` for a rewritten index). */
  readonly source: Descriptor;
  /** Known content (fetched while planning, or rewritten); fetched from the source when absent. */
  readonly bytes?: Buffer;
  /** Known children; parsed from the bytes when absent. */
  readonly children?: readonly GraphNode[];
}

/** A blob to copy. */
export interface BlobNode {
  readonly kind: "blob";
  readonly descriptor: Descriptor;
}

/** A node of the graph to copy. */
export type GraphNode = BlobNode | ManifestNode;

/** Everything one copyGraph call shares between its steps. */
export interface CopyContext {
  readonly source: ContentReader;
  readonly target: ContentWriter;
  readonly identity: CopyTargetIdentity;
  readonly coordinator: CopyCoordinator;
  /** The caller's signal combined with the copy's own, which is aborted on the first failure to stop siblings. */
  readonly signal: AbortSignal;
  /** Platforms to keep, or undefined when indexes are copied whole. */
  readonly platforms: readonly Platform[] | undefined;
  readonly foreignLayers: ForeignLayerPolicy;
  readonly mountCandidates: MountCandidates | undefined;
  /** Content whose existence check is skipped (the caller just saw it missing). */
  readonly knownAbsent: KnownAbsent;
  readonly maxMountAttempts: number;
  readonly progressIntervalMs: number;
  readonly emit: CopyEventListener;
  readonly logger: Logger;
  readonly stats: MutableStats;
  /** Records the first failure and stops the rest of this copy. */
  readonly fail: (error: unknown) => void;
}
