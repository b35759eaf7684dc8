/**
 * Typed apply events: the one stream the Ink, plain and JSON views render,
 * keyed by the same addresses as the plan.
 */
import type { FailureFacts } from "../core/errors.js";
import type { ChangeAction } from "../plan/model.js";

/** Apply began: what it will do. */
export interface ApplyStartEvent {
  readonly type: "apply-start";
  readonly changes: number;
  readonly bytes: number;
}

/** One change began. */
export interface ChangeStartEvent {
  readonly type: "change-start";
  readonly address: string;
  readonly action: ChangeAction;
  readonly bytes: number;
}

/** Bytes moved for one change so far (throttled). */
export interface ChangeProgressEvent {
  readonly type: "change-progress";
  readonly address: string;
  readonly bytes: number;
}

/** One change finished. */
export interface ChangeDoneEvent {
  readonly type: "change-done";
  readonly address: string;
  readonly action: ChangeAction;
  /** Bytes actually uploaded (mounted and skipped blobs move nothing). */
  readonly bytesMoved: number;
  readonly digest?: string;
}

/** One change failed; the others go on. The error keeps its facts (status, server codes, temporary) for machines. */
export interface ChangeFailedEvent {
  readonly type: "change-failed";
  readonly address: string;
  readonly error: FailureFacts;
}

/** Apply finished (or was interrupted): what was done. */
export interface ApplyDoneEvent {
  readonly type: "apply-done";
  readonly summary: ApplySummary;
}

/** The closing account of an apply. */
export interface ApplySummary {
  readonly done: number;
  readonly failed: number;
  /** Changes not started because apply was interrupted. */
  readonly notStarted: number;
  readonly bytesMoved: number;
  readonly interrupted: boolean;
  readonly failures: readonly { readonly address: string; readonly error: FailureFacts }[];
}

/** Any apply event. */
export type ApplyEvent = ApplyStartEvent | ChangeStartEvent | ChangeProgressEvent | ChangeDoneEvent | ChangeFailedEvent | ApplyDoneEvent;
