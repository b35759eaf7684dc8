/**
 * Progress events of a copy, for the apply executor and the views (oras-go's
 * PreCopy / PostCopy / OnCopySkipped hooks, as data). Events are plain
 * objects so that the Ink, plain and JSON views render the same stream.
 */
import type { Descriptor } from "../../core/oci-types.js";
import type { Logger } from "../../core/logger.js";

/** How a blob ended up in the target. */
export type BlobOutcome = "uploaded" | "mounted" | "skipped";

/**
 * Why something was skipped: `exists` (the target had it), `copied-in-run`
 * (another copy of this run put it there), `foreign` (a non-distributable
 * layer the source cannot provide, or that the policy leaves out).
 */
export type SkipReason = "exists" | "copied-in-run" | "foreign";

/** A blob is being examined in the target (it holds a transfer slot from now until `blob-done`). */
export interface BlobStartEvent {
  readonly type: "blob-start";
  readonly target: string;
  readonly descriptor: Descriptor;
}

/** Bytes of a blob uploaded so far (throttled; see `progressIntervalMs`). */
export interface BlobProgressEvent {
  readonly type: "blob-progress";
  readonly target: string;
  readonly descriptor: Descriptor;
  readonly bytes: number;
  readonly total: number;
}

/** A blob is in the target; `bytes` is what was sent for it (0 unless uploaded). */
export interface BlobDoneEvent {
  readonly type: "blob-done";
  readonly target: string;
  readonly descriptor: Descriptor;
  readonly how: BlobOutcome;
  readonly bytes: number;
  /** Set when `how` is `skipped`. */
  readonly reason?: SkipReason;
  /** The repository it was mounted from, when `how` is `mounted`. */
  readonly from?: string;
}

/** A manifest (with its whole sub-graph) is in the target. */
export interface ManifestDoneEvent {
  readonly type: "manifest-done";
  readonly target: string;
  readonly descriptor: Descriptor;
  readonly how: "pushed" | "skipped";
  readonly reason?: Exclude<SkipReason, "foreign">;
}

/** A tag points at the copied root; `changed` is false when it already did. */
export interface TaggedEvent {
  readonly type: "tagged";
  readonly target: string;
  readonly descriptor: Descriptor;
  readonly tag: string;
  readonly changed: boolean;
}

/** Everything a copy reports. */
export type CopyEvent = BlobStartEvent | BlobProgressEvent | BlobDoneEvent | ManifestDoneEvent | TaggedEvent;

/** Receives copy events; it must not throw (if it does, the error is logged and the copy goes on). */
export type CopyEventListener = (event: CopyEvent) => void;

/** Wraps a listener so a failing view can never break a copy. */
export function safeEmitter(listener: CopyEventListener | undefined, logger: Logger): CopyEventListener {
  if (listener === undefined) return () => undefined;
  return (event) => {
    try {
      listener(event);
    } catch (error) {
      logger.log("warn", "copy event listener failed", { event: event.type, error: error instanceof Error ? error.message : String(error) });
    }
  };
}

/**
 * Turns a running byte count into at most one `blob-progress` event per
 * `intervalMs` (and one at the end), so a fast loopback upload does not
 * flood the views with thousands of events per second.
 */
export function throttledProgress(intervalMs: number, report: (bytes: number) => void, total: number): (bytes: number) => void {
  let last = -Infinity;
  return (bytes) => {
    const now = Date.now();
    if (bytes === total || now - last >= intervalMs) {
      last = now;
      report(bytes);
    }
  };
}
