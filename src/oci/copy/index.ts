/**
 * The copy graph: moves an image (or any OCI content graph) from any
 * ContentReader to any ContentWriter, children first and tag last, skipping,
 * mounting and deduplicating across a whole run, filtering platforms when
 * asked. Import from here; the files behind it are implementation detail.
 *
 * Below the pipeline (config → sources → lock → desired/observe → diff →
 * plan → apply): apply and bundles move content through it; it knows no config.
 */
export { copyGraph, type CopyGraphResult } from "./copy-graph.js";
export { copyReference, type CopyReferenceResult, type TagOutcome } from "./copy-reference.js";
export type { CopyGraphOptions, ForeignLayerPolicy, KnownAbsent, MountCandidates } from "./options.js";
export type { CopyStats } from "./context.js";
export { CopyCoordinator, DEFAULT_COPY_CONCURRENCY, type CopyCoordinatorOptions, type ContentKind, type ReleaseClaim } from "./coordinator.js";
export { Semaphore, type ReleaseSlot } from "../../core/semaphore.js";
export { CopyError, type CopyErrorCode, type CopyErrorDetails, type CopyOperation, type CopySide } from "./errors.js";
export type { BlobDoneEvent, BlobOutcome, BlobProgressEvent, BlobStartEvent, CopyEvent, CopyEventListener, ManifestDoneEvent, SkipReason, TaggedEvent } from "./events.js";
export { describePlatform, matchesAnyPlatform, normalizedVariant, platformMatches } from "./platform-match.js";
export { isManifestDescriptor, isNonDistributable, NON_DISTRIBUTABLE_MEDIA_TYPES, OCI_ARTIFACT_MANIFEST } from "./manifest-content.js";
export { targetIdentity, type CopyTargetIdentity } from "./target-identity.js";
export { describeCopy, type CopyDescription } from "./describe-graph.js";
